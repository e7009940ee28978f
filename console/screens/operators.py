"""Operators and their roles; admins add people and change roles here."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from console.calls import run_service
from console.forms import FieldSpec, FormScreen
from console.widgets.footer import KontorFooter
from console.widgets.lists import KeyTable
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
        yield KontorFooter()

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


class OperatorForm(FormScreen):
    """Add an operator (login, name, role, active) or change one; admins only."""

    def __init__(self, ctx: ServiceContext, operator: Operator | None):
        super().__init__(ctx)
        self.operator = operator

    def title_text(self) -> str:
        op = self.operator
        return _("Edit operator {login}").format(login=op.login) if op else _("Add operator")

    def fields(self) -> list[FieldSpec]:
        login = [FieldSpec("login", _("Login"), placeholder=_("their OS login"))]
        return [*(login if self.operator is None else []),
                FieldSpec("name", _("Name")),
                FieldSpec("role", _("Role"), "select", choices=role_options),
                FieldSpec("active", _("Active"), "switch")]

    def values(self) -> dict:
        op = self.operator
        if op is None:
            return {"role": "agent", "active": True}
        return {"name": op.name, "role": op.role, "active": op.active}

    def submit(self, data: dict):
        if self.operator is None:
            return operator_service.add_operator, (self.ctx, data), {}
        return (operator_service.update_operator, (self.ctx, self.operator.login, data),
                {"expected_version": self.operator.version})
