"""Account settings (time zone, default currency and VAT): everyone reads, admins edit.

The keys, their types, defaults and validation live in `core.services.settings`; this screen
lists what the service returns and sends the typed text back to it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from console.calls import run_service
from console.forms import FieldSpec, FormScreen
from console.widgets.footer import KontorFooter
from console.widgets.lists import KeyTable
from core.i18n import _
from core.services import settings as settings_service
from core.services.context import ServiceContext
from core.services.settings import SettingValue

WRITE = "settings.write"


class SettingsScreen(Screen):
    BINDINGS = [
        Binding("e,enter", "edit", _("Edit")),
        Binding("ctrl+r,f5", "reload", _("Refresh")),
        Binding("escape", "back", _("Back")),
    ]

    def __init__(self, ctx: ServiceContext):
        super().__init__()
        self.ctx = ctx
        self.settings: list[SettingValue] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Account settings. Admins change them with e; everyone else reads.")
                     if self.ctx.can(WRITE) else
                     _("Account settings (read only: only admins change them)."),
                     id="settings-hint")
        yield KeyTable(id="settings-table", cursor_type="row")
        yield Static("", id="settings-description")
        yield KontorFooter()

    def on_mount(self) -> None:
        self.title = _("Settings")
        table = self.query_one(DataTable)
        table.add_column(_("Setting"), key="key", width=18)
        table.add_column(_("Value"), key="value", width=22)
        table.add_column(_("Default"), key="default", width=16)
        table.focus()
        self.action_reload()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "edit" and not self.ctx.can(WRITE):
            return None
        return True

    def action_reload(self) -> None:
        run_service(self, settings_service.list_settings, self.ctx, on_done=self._show)

    def _show(self, settings: list[SettingValue]) -> None:
        self.settings = settings
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for s in settings:
            value = s.text if not s.is_default else s.text + " " + _("(default)")
            table.add_row(s.key, value, s.default, key=s.key)
        if settings:
            table.move_cursor(row=min(row, len(settings) - 1))
        self._describe()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._describe()

    def _describe(self) -> None:
        current = self._current()
        self.query_one("#settings-description", Static).update(
            current.description if current else "")

    def _current(self) -> SettingValue | None:
        table = self.query_one(DataTable)
        if not self.settings or table.cursor_row >= len(self.settings):
            return None
        return self.settings[table.cursor_row]

    def action_edit(self) -> None:
        current = self._current()
        if current is not None:
            self.app.push_screen(SettingForm(self.ctx, current),
                                 callback=lambda r: r and self.action_reload())

    def action_back(self) -> None:
        self.app.pop_screen()


class SettingForm(FormScreen):
    """One setting's value as text; the service validates it and the error shows inline."""

    def __init__(self, ctx: ServiceContext, setting: SettingValue):
        super().__init__(ctx)
        self.setting = setting

    def title_text(self) -> str:
        return _("Setting {key}").format(key=self.setting.key)

    def intro(self):
        yield Static(self.setting.description)

    def fields(self) -> list[FieldSpec]:
        return [FieldSpec("value", _("Value"), placeholder=self.setting.default)]

    def values(self) -> dict:
        return {"value": self.setting.text}

    def submit(self, data: dict):
        return settings_service.set_setting, (self.ctx, self.setting.key, data["value"]), {}

    def error_field(self, key: str) -> str:
        return "value"  # the service names the setting's key
