"""Operators and their roles; admins add people and change roles here."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Header, Select, Static, Switch

from console.calls import run_service, show_error
from console.widgets.form import Field, FormField
from console.widgets.lists import KeyTable, YesNoSwitch
from core.errors import Conflict, ValidationFailed
from core.i18n import _, format_date
from core.schemas.operators import Operator
from core.services import operators as operator_service
from core.services.context import ServiceContext


def role_options() -> list[tuple[str, str]]:
    return [(_("admin — everything"), "admin"),
            (_("agent — contacts, orders, access, groups, subscriptions"), "agent"),
            (_("viewer — read only"), "viewer")]


class OperatorsScreen(Screen):
    BINDINGS = [
        Binding("n", "new", _("Add operator")),
        Binding("e,enter", "edit", _("Edit")),
        Binding("s", "settings", _("Settings")),
        Binding("ctrl+r,f5", "reload", _("Refresh")),
    ]

    def __init__(self, ctx: ServiceContext):
        super().__init__()
        self.ctx = ctx
        self.operators: list[Operator] = []

    def action_settings(self) -> None:
        from console.screens.settings import SettingsScreen

        self.app.push_screen(SettingsScreen(self.ctx))

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("The first operator of a new database is admin. Unknown logins read "
                       "only (viewer) until an admin adds them."), id="operators-hint")
        yield KeyTable(id="operators-table", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Operators")
        table = self.query_one(DataTable)
        table.add_column(_("Login"), key="login", width=16)
        table.add_column(_("Name"), key="name", width=20)
        table.add_column(_("Role"), key="role", width=8)
        table.add_column(_("Active"), key="active", width=7)
        table.add_column(_("Since"), key="since", width=12)
        table.focus()
        self.action_reload()

    def check_action(self, action: str, parameters) -> bool | None:
        if action in {"new", "edit"} and not self.ctx.can("operators.write"):
            return None
        return True

    def action_reload(self) -> None:
        run_service(self, operator_service.list_operators, self.ctx, on_done=self._show)

    def _show(self, operators: list[Operator]) -> None:
        self.operators = operators
        table = self.query_one(DataTable)
        table.clear()
        for op in operators:
            table.add_row(op.login, op.name, _(op.role), _("yes") if op.active else _("no"),
                          format_date(op.created_at), key=op.login)

    def _current(self) -> Operator | None:
        table = self.query_one(DataTable)
        if not self.operators or table.cursor_row >= len(self.operators):
            return None
        return self.operators[table.cursor_row]

    def action_new(self) -> None:
        self.app.push_screen(OperatorForm(self.ctx, None),
                             callback=lambda r: r and self.action_reload())

    def action_edit(self) -> None:
        op = self._current()
        if op is not None:
            self.app.push_screen(OperatorForm(self.ctx, op),
                                 callback=lambda r: r and self.action_reload())


class OperatorForm(ModalScreen[Operator | None]):
    BINDINGS = [Binding("ctrl+s", "save", _("Save"), priority=True),
                Binding("escape", "cancel", _("Cancel"))]

    def __init__(self, ctx: ServiceContext, operator: Operator | None):
        super().__init__()
        self.ctx, self.operator = ctx, operator

    def compose(self) -> ComposeResult:
        op = self.operator
        with Vertical(id="form"):
            yield Static("[b]" + (_("Edit operator {login}").format(login=op.login) if op
                                  else _("Add operator")) + "[/b]")
            yield Static("", id="form-banner", classes="-empty")
            if op is None:
                yield FormField(Field("login", _("Login"), _("their OS login")))
            yield FormField(Field("name", _("Name")), op.name if op else "")
            with Horizontal(classes="form-row"):
                yield Static(_("Role"), classes="form-label")
                yield Select(role_options(), value=op.role if op else "agent",
                             allow_blank=False, id="input-role", compact=True)
            yield Static("", classes="field-error -empty", id="error-role")
            with Horizontal(classes="form-row"):
                yield Static(_("Active"), classes="form-label")
                yield YesNoSwitch(op.active if op else True, id="input-active")
            with Horizontal(id="form-buttons"):
                yield Button(_("Save") + " \\[ctrl+s]", id="save", variant="primary")
                yield Button(_("Cancel") + " \\[esc]", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_save() if event.button.id == "save" else self.action_cancel()

    def action_save(self) -> None:
        data = {f.field.name: f.value for f in self.query(FormField)}
        data["role"] = self.query_one("#input-role", Select).value
        data["active"] = self.query_one("#input-active", Switch).value
        if self.operator is None:
            run_service(self, operator_service.add_operator, self.ctx, data,
                        on_done=self.dismiss, on_error=self._failed)
        else:
            run_service(self, operator_service.update_operator, self.ctx, self.operator.login,
                        data, expected_version=self.operator.version,
                        on_done=self.dismiss, on_error=self._failed)

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, ValidationFailed):
            for f in self.query(FormField):
                f.set_error(exc.fields.get(f.field.name))
            role_error = self.query_one("#error-role", Static)
            role_error.update(("✗ " + exc.fields["role"]) if "role" in exc.fields else "")
            role_error.set_class("role" not in exc.fields, "-empty")
        elif isinstance(exc, Conflict):
            banner = self.query_one("#form-banner", Static)
            banner.update("⚠ " + str(exc))
            banner.remove_class("-empty")
        else:
            show_error(self, exc)

    def action_cancel(self) -> None:
        self.dismiss(None)
