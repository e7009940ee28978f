"""The version history of one plan: what each version costs and bills, and what it changed.

Versions of one handle are few (a new version per price change), so a DataTable holds them
all. enter opens a version read-only in the plan form; e edits the current version; d/u delete
and undelete the plan.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from console.calls import run_service
from console.screens.plan.delete import confirm_delete_plan, confirm_undelete_plan
from console.screens.plan.fields import changed_fields, describe_changes, state_label
from console.screens.plan.form import PlanForm, open_plan_form
from console.widgets.footer import KontorFooter
from console.widgets.lists import KeyTable
from core.i18n import _, format_money, format_short_date
from core.schemas.plans import PLAN_INPUT_FIELDS, PlanInput
from core.schemas.plans import Plan as PlanOut
from core.services import plans as plan_service
from core.services.context import ServiceContext


def version_changes(previous: PlanOut | None, version: PlanOut) -> list[str]:
    """What `version` changed against the one before it, one line per field."""
    if previous is None:
        return [_("first version")]
    changes = changed_fields(previous, PlanInput.model_validate(
        version.model_dump(include=set(PLAN_INPUT_FIELDS))))
    return describe_changes(previous, changes) or [_("no field changed")]


class PlanVersionsScreen(Screen[None]):
    DEFAULT_CSS = """
    PlanVersionsScreen { layout: vertical; }
    PlanVersionsScreen #versions-title { height: 1; padding: 0 1; text-style: bold; }
    PlanVersionsScreen #versions-table { height: 1fr; }
    PlanVersionsScreen #versions-detail { height: auto; max-height: 8; padding: 0 1; }
    """

    BINDINGS = [
        Binding("escape,q", "back", _("Back")),
        Binding("enter", "open", _("Open read-only")),
        Binding("e", "edit", _("Edit current")),
        Binding("d", "delete", _("Delete")),
        Binding("u", "undelete", _("Undelete")),
        Binding("ctrl+r,f5", "reload", _("Refresh"), show=False),
    ]

    def __init__(self, ctx: ServiceContext, handle: str):
        super().__init__()
        self.ctx, self.handle = ctx, handle
        self.versions: list[PlanOut] = []

    def compose(self) -> ComposeResult:
        yield Static(_("Versions of {handle}").format(handle=self.handle), id="versions-title",
                     markup=False)
        yield KeyTable(id="versions-table", cursor_type="row")
        yield Static("", id="versions-detail")
        yield KontorFooter()

    def on_mount(self) -> None:
        self.title = _("Versions of {handle}").format(handle=self.handle)
        table = self.query_one(DataTable)
        table.add_column("v", key="version", width=3)
        table.add_column(_("State"), key="state", width=10)
        table.add_column(_("Created"), key="created", width=10)
        table.add_column(_("Amount"), key="amount", width=11)
        table.add_column(_("Billing"), key="billing", width=22)
        table.add_column(_("Changes"), key="changes", width=10)
        table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        run_service(self, plan_service.list_plan_versions, self.ctx, self.handle,
                    on_done=self._show, group="versions", exclusive=True)

    def _show(self, versions: list[PlanOut]) -> None:
        self.versions = versions
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        previous = None
        newest_first = []
        for v in versions:
            newest_first.append((v, version_changes(previous, v)))
            previous = v
        newest_first.reverse()
        self._changes = {v.version: c for v, c in newest_first}
        for v, changes in newest_first:
            names = ", ".join(line.split(":", 1)[0] for line in changes)
            table.add_row(str(v.version), state_label(v.state), format_short_date(v.created),
                          format_money(v.amount, v.currency), v.billing_frequency, names,
                          key=str(v.version))
        if versions:
            table.move_cursor(row=min(keep, len(versions) - 1))
        self._detail()
        self.refresh_bindings()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def selected(self) -> PlanOut | None:
        table = self.query_one(DataTable)
        if not self.versions or table.cursor_row < 0:
            return None
        newest_first = list(reversed(self.versions))
        if table.cursor_row >= len(newest_first):
            return None
        return newest_first[table.cursor_row]

    @property
    def current(self) -> PlanOut | None:
        return self.versions[-1] if self.versions else None

    def _detail(self) -> None:
        v = self.selected()
        widget = self.query_one("#versions-detail", Static)
        if v is None:
            widget.update("")
            return
        lines = [_("Version {v}: {name}, {state}, created {created}").format(
            v=v.version, name=v.name, state=state_label(v.state),
            created=format_short_date(v.created))]
        lines += ["  " + line for line in self._changes.get(v.version, [])]
        widget.update(escape("\n".join(lines)))

    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("edit", "delete", "undelete"):
            if not self.ctx.can("plans.write") or self.current is None:
                return None
            # The plan table's answer for the current version (core/rules/plans.py).
            return self.current.allowed_actions.get(action, "") is None
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_open(self) -> None:
        v = self.selected()
        if v is not None:
            self.app.push_screen(PlanForm(self.ctx, v, read_only=True))

    def action_edit(self) -> None:
        if self.current is not None:
            open_plan_form(self, self.ctx, self.current, lambda _plan: self.action_reload())

    def action_delete(self) -> None:
        if self.current is not None:
            confirm_delete_plan(self, self.ctx, self.current, lambda _p: self.action_reload())

    def action_undelete(self) -> None:
        if self.current is not None:
            confirm_undelete_plan(self, self.ctx, self.current, lambda _p: self.action_reload())


def open_versions(screen: Screen, ctx: ServiceContext, handle: str,
                  on_closed: Callable[[], None] | None = None) -> None:
    """Push the version history of `handle`; `on_closed` runs when it is left (to refresh)."""
    screen.app.push_screen(PlanVersionsScreen(ctx, handle),
                           callback=lambda _r: on_closed() if on_closed else None)
