"""Account settings (time zone, default currency and VAT): everyone reads, admins edit.

The keys, their types, defaults and validation live in `core.services.settings`; this screen
lists what the service returns and sends the typed text back to it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Header, Static

from console.calls import run_service, show_error
from console.widgets.form import Field, FormField
from console.widgets.lists import KeyTable
from core.errors import ValidationFailed
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
        yield Footer()

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


class SettingForm(ModalScreen[SettingValue | None]):
    """One setting's value as text; the service validates it and the error shows inline."""

    BINDINGS = [Binding("ctrl+s", "save", _("Save"), priority=True),
                Binding("escape", "cancel", _("Cancel"))]

    def __init__(self, ctx: ServiceContext, setting: SettingValue):
        super().__init__()
        self.ctx, self.setting = ctx, setting

    def compose(self) -> ComposeResult:
        s = self.setting
        with Vertical(id="form"):
            yield Static("[b]" + _("Setting {key}").format(key=s.key) + "[/b]")
            yield Static(s.description)
            yield FormField(Field("value", _("Value"), s.default), s.text)
            with Horizontal(id="form-buttons"):
                yield Button(_("Save") + " \\[ctrl+s]", id="save", variant="primary")
                yield Button(_("Cancel") + " \\[esc]", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_save() if event.button.id == "save" else self.action_cancel()

    def action_save(self) -> None:
        value = self.query_one(FormField).value
        run_service(self, settings_service.set_setting, self.ctx, self.setting.key, value,
                    on_done=self.dismiss, on_error=self._failed)

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, ValidationFailed):
            self.query_one(FormField).set_error(
                exc.fields.get(self.setting.key) or "; ".join(exc.fields.values()))
        else:
            show_error(self, exc)

    def action_cancel(self) -> None:
        self.dismiss(None)
