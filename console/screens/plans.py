"""The plan catalogue: the list admins filter all day, at any size.

One filter state (`PlanFilter`) is edited three ways: the query line (`/`), the filter panel
(`f`) and the chips (`c`, then delete). Whatever changes it, the query line shows its
canonical text, the chips show each filter with its value, and the table refetches its window.
"""

from __future__ import annotations

from datetime import date
from functools import partial

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.suggester import Suggester
from textual.timer import Timer
from textual.widgets import Header, Input, Static

from console.calls import run_service, show_error
from console.keys import ready_for_keys
from console.widgets.chips import ChipBar
from console.widgets.clipboard import copy_to_clipboard
from console.widgets.column_header import ColumnHeader
from console.widgets.confirm import ConfirmDialog
from console.widgets.footer import KontorFooter
from console.widgets.windowed_table import Column, WindowedTable
from core import plan_query
from core.i18n import _, format_money, format_number, format_short_date, ngettext
from core.plan_query import PlanFilter, QueryError
from core.schemas.common import Window
from core.services import plan_catalogue as catalogue
from core.services import views as view_service
from core.services.context import ServiceContext
from core.services.plan_catalogue import COLUMN_LABELS, COLUMNS, DEFAULT_SORT, PlanSort

QUERY_DELAY = 0.15
COLUMNS_PREF = "plans.columns"
STATE_MARKS = {"active": "●", "superseded": "○", "deleted": "✗"}
WIDTHS = {"state": 2, "name": None, "handle": None, "version": 3, "created": 10,
          "trial": 9, "amount": 10, "billing_frequency": None}
WEIGHTS = {"name": 4, "handle": 3, "billing_frequency": 4}
# At 80 columns the least telling columns give way first (trial, then created, ...); name and
# handle identify a plan and are what the query matches, and the sorted column stays too.
PRIORITIES = {"trial": 5, "created": 4, "billing_frequency": 3, "version": 2, "amount": 2}
WANTS = {"name": 24, "handle": 16, "billing_frequency": 16}


class PlanSource:
    """The plans one filter and sort select, windows fetched by the catalogue service."""

    def __init__(self, ctx: ServiceContext, f: PlanFilter, sort: PlanSort, today: date | None):
        self.ctx, self.filter, self.sort, self.today = ctx, f, sort, today

    def count(self) -> int:
        return catalogue.count_plans(self.ctx, self.filter, today=self.today)

    def fetch(self, window: Window):
        return catalogue.list_plans_window(self.ctx, self.filter, self.sort, window,
                                           today=self.today)


def _state_cell(state: str) -> str:
    # A shape, not a colour: readable in 16 colours and with NO_COLOR (legend in the status).
    return STATE_MARKS.get(state, "?")


def plan_columns(visible: list[str], sort: PlanSort) -> list[Column]:
    cols = []
    for key in visible:
        label = {"state": "St", "version": "v"}.get(key) or _(COLUMN_LABELS[key])
        if key == sort.column:
            label += " ↓" if sort.descending else " ↑"
        render = None
        if key == "state":
            render = _state_cell
        elif key == "created":
            render = format_short_date
        elif key == "trial":
            render = lambda v: v or "—"
        elif key == "version":
            render = lambda v: f"v{v}"
        cols.append(Column(key, label, WIDTHS[key], min_width=6, weight=WEIGHTS.get(key, 1),
                           render=render, justify="right" if key == "amount" else "left",
                           priority=1 if key == sort.column else PRIORITIES.get(key, 1),
                           want=WANTS.get(key)))
    return cols


class AmountColumnRow:
    """PlanRow with `amount` formatted with its currency, as the table shows it."""

    __slots__ = ("row",)

    def __init__(self, row):
        self.row = row

    def __getattr__(self, name):
        if name == "amount":
            return format_money(self.row.amount, self.row.currency)
        return getattr(self.row, name)


class FormattedSource(PlanSource):
    def fetch(self, window: Window):
        return [AmountColumnRow(r) for r in super().fetch(window)]


class QuerySuggester(Suggester):
    """Completes filter keys and enum values at the end of the query line."""

    def __init__(self):
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        for c in plan_query.completions(value, len(value)):
            suggestion = value[:c.replace_from] + c.value + value[c.replace_to:]
            if suggestion.startswith(value) and suggestion != value:
                return suggestion
        return None


class PlanListScreen(Screen):
    BINDINGS = [
        Binding("slash", "query", _("Query"), tooltip=_("Type a filter query")),
        Binding("f", "filters", _("Filters"), tooltip=_("Open the filter panel")),
        Binding("c", "chips", _("Chips"), show=False,
                tooltip=_("Go to the active filters (delete removes one)")),
        Binding("s", "sort", _("Sort"), tooltip=_("Sort by a column")),
        Binding("S", "reverse_sort", _("Reverse"), show=False,
                tooltip=_("Reverse the sort order")),
        Binding("o", "columns", _("Columns"), show=False, tooltip=_("Hide or show columns")),
        Binding("v", "save_view", _("Save view"), show=False,
                tooltip=_("Save filters, columns and sort as a view")),
        Binding("w", "views", _("Views"), show=False, tooltip=_("Open a saved view")),
        Binding("x", "export", _("Export"), show=False,
                tooltip=_("Export exactly what the list shows (CSV or JSON)")),
        Binding("n", "new", _("New"), tooltip=_("New plan")),
        Binding("e", "edit", _("Edit"), tooltip=_("Edit the selected plan")),
        Binding("H", "versions", _("Versions"), show=False,
                tooltip=_("Version history of the selected plan")),
        Binding("d", "delete", _("Delete"), show=False, tooltip=_("Delete the selected plan")),
        Binding("u", "undelete", _("Undelete"), show=False,
                tooltip=_("Undelete the selected plan")),
        Binding("b", "subscribers", _("Subscribers"), show=False,
                tooltip=_("The plan's subscribers in the subscriptions area")),
        Binding("y", "copy_handle", _("Copy handle"), show=False,
                tooltip=_("Copy the plan's handle to the clipboard")),
        Binding("ctrl+r,f5", "reload", _("Refresh"), show=False,
                tooltip=_("Refresh the plan list")),
        Binding("escape", "leave_query", _("Back to the list"), show=False),
    ]

    def __init__(self, ctx: ServiceContext):
        super().__init__()
        self.ctx = ctx
        self.filter = PlanFilter()
        self.sort = DEFAULT_SORT
        self.shown_columns = list(COLUMNS)
        self.today: date | None = None
        self.views: list = []
        self.view_name: str | None = None
        self.query_error: QueryError | None = None
        self._debounce: Timer | None = None
        self._setting_query = False
        # Until the account's day, columns and views are loaded (and shown in the query line),
        # keys wait: a query typed meanwhile would be overwritten (console/keys.py).
        self.keys_ready = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=_("state:active amount:10-50 …  (/ to type, → completes)"),
                    id="plan-query", compact=True, suggester=QuerySuggester())
        yield ChipBar(id="plan-chips")
        yield Static("", id="plan-status")
        table = WindowedTable(plan_columns(self.shown_columns, self.sort), id="plans")
        yield ColumnHeader(table, id="plans-header")
        yield table
        yield KontorFooter()

    def on_mount(self) -> None:
        self.title = _("Plans")
        self.query_one(WindowedTable).focus()

        def prepared(result) -> None:
            today, columns, views = result
            self.today = today
            self.views = views
            if columns and all(c in COLUMNS for c in columns):
                self.shown_columns = list(columns)
            self.apply()
            ready_for_keys(self)

        def failed(exc: Exception) -> None:
            show_error(self, exc)
            ready_for_keys(self)

        run_service(self, self._prepare, on_done=prepared, on_error=failed,
                    group="plans-prepare")

    def _prepare(self):
        return (catalogue.account_today(self.ctx),
                view_service.get_preference(self.ctx, COLUMNS_PREF, None),
                view_service.list_views(self.ctx))

    # -- the one filter state ----------------------------------------------------------------

    def apply(self, f: PlanFilter | None = None, sort: PlanSort | None = None,
              *, from_query: bool = False) -> None:
        """Show `f`/`sort` everywhere: query line, chips, header, and the rows."""
        if f is not None:
            self.filter = f
        if sort is not None:
            self.sort = sort
        self.query_error = None
        if not from_query:
            self._setting_query = True
            query = self.query_one("#plan-query", Input)
            query.value = plan_query.format(self.filter)
            query.cursor_position = len(query.value)
        self.query_one(ChipBar).set_chips([(c.key, c.label)
                                           for c in plan_query.chips(self.filter)])
        table = self.query_one(WindowedTable)
        table.set_columns(plan_columns(self.shown_columns, self.sort))
        self.query_one(ColumnHeader).refresh()
        table.set_source(FormattedSource(self.ctx, self.filter, self.sort, self.today))
        self._status()

    @on(Input.Changed, "#plan-query")
    def _typed(self, event: Input.Changed) -> None:
        if self._setting_query:
            self._setting_query = False
            return
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(QUERY_DELAY, partial(self._parse, event.value))

    @on(Input.Submitted, "#plan-query")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        if self._parse(event.value):
            self.query_one(WindowedTable).focus()

    def _parse(self, text: str) -> bool:
        """Apply a typed query; a malformed one says where and why and keeps the last result."""
        try:
            f = plan_query.parse(text, today=self.today or date.today())
        except QueryError as exc:
            self.query_error = exc
            self._status()
            return False
        self.query_error = None
        if f != self.filter:
            self.view_name = None
            self.apply(f, from_query=True)
        else:
            self._status()
        return True

    def _status(self) -> None:
        status = self.query_one("#plan-status", Static)
        if self.query_error is not None:
            e = self.query_error
            status.update("[b]✗[/b] " + escape(_("At character {col}: {message} — showing the "
                                                 "last valid result.").format(
                col=e.position + 1, message=e.message)))
            return
        table = self.query_one(WindowedTable)
        if table.total is None or not table.counted:
            status.update(escape(_("Counting…")))
            return
        text = ngettext("{n} plan", "{n} plans", table.total).format(
            n=format_number(table.total))
        if "state" in self.shown_columns:
            text += " · " + _("● active ○ superseded ✗ deleted")
        text += " · " + _("sorted by {column} {dir}").format(
            column=_(COLUMN_LABELS[self.sort.column]), dir="↓" if self.sort.descending else "↑")
        if self.view_name:
            text += " · " + _("view: {name}").format(name=self.view_name)
        status.update(escape(text))

    @on(WindowedTable.Loaded)
    def _loaded(self) -> None:
        self.call_after_refresh(self.query_one(ColumnHeader).refresh)
        self._status()

    @on(WindowedTable.Failed)
    def _failed(self, event: WindowedTable.Failed) -> None:
        show_error(self, event.error)

    @on(ChipBar.Removed)
    def _chip_removed(self, event: ChipBar.Removed) -> None:
        self.view_name = None
        self.apply(plan_query.remove(self.filter, event.key))
        chips = self.query_one(ChipBar)
        if not chips.chips:
            self.query_one(WindowedTable).focus()

    # -- keys -------------------------------------------------------------------------------

    def action_query(self) -> None:
        self.query_one("#plan-query", Input).focus()

    def action_leave_query(self) -> None:
        self.query_one(WindowedTable).focus()

    def action_chips(self) -> None:
        chips = self.query_one(ChipBar)
        if chips.chips:
            chips.focus()

    def action_filters(self) -> None:
        from console.screens.plan_dialogs import FilterPanel

        def done(f: PlanFilter | None) -> None:
            if f is not None and f != self.filter:
                self.view_name = None
                self.apply(f)

        self.app.push_screen(FilterPanel(self.filter, self.today or date.today()),
                             callback=done)

    def action_sort(self) -> None:
        from console.screens.plan_dialogs import SortPicker

        self.app.push_screen(SortPicker(self.sort),
                             callback=lambda s: s is not None and self.apply(sort=s))

    def action_reverse_sort(self) -> None:
        self.apply(sort=PlanSort(column=self.sort.column, descending=not self.sort.descending))

    def action_columns(self) -> None:
        from console.screens.plan_dialogs import ColumnsPicker

        def chosen(columns: list[str] | None) -> None:
            if columns is None:
                return
            self.shown_columns = columns
            self.apply()
            run_service(self, view_service.set_preference, self.ctx, COLUMNS_PREF, columns,
                        group="plans-pref")

        self.app.push_screen(ColumnsPicker(self.shown_columns), callback=chosen)

    def action_save_view(self) -> None:
        from console.screens.plan_dialogs import SaveViewDialog

        def named(answer) -> None:
            if answer is None:
                return
            name, shared = answer

            def saved(view) -> None:
                self.view_name = view.name
                self.notify(_("Saved the view {name}.").format(name=view.name))
                self._status()
                self._reload_views()

            # Saving under the name of one of my views replaces it, at the version this list
            # showed (a view saved or changed meanwhile is a Conflict, never overwritten).
            known = next((v for v in self.views if v.mine and v.name == name.strip()), None)
            run_service(self, view_service.save_view, self.ctx, name,
                        plan_query.format(self.filter), list(self.shown_columns), self.sort.text(),
                        shared=shared, expected_version=known.version if known else None,
                        on_done=saved)

        self.app.push_screen(SaveViewDialog(self.view_name or "",
                                            can_share=self.ctx.can("plans.write")),
                             callback=named)

    def _reload_views(self) -> None:
        run_service(self, view_service.list_views, self.ctx,
                    on_done=lambda views: setattr(self, "views", views), group="plans-views")

    def action_views(self) -> None:
        from console.screens.plan_dialogs import ViewsDialog

        def picked(answer) -> None:
            if answer is None:
                return
            what, view = answer
            if what == "open":
                self.open_view(view)
            else:
                self.app.push_screen(
                    ConfirmDialog(_("Delete {name}?").format(name=escape(view.name)),
                                  yes=_("Delete view")),
                    callback=lambda yes: yes and delete(view))

        def delete(view) -> None:
            run_service(self, view_service.delete_view, self.ctx, view.id,
                        on_done=lambda _r: (self.notify(_("Deleted the view {name}.")
                                                        .format(name=view.name)),
                                            self._reload_views()))

        self.app.push_screen(ViewsDialog(self.views, self.ctx.operator), callback=picked)

    def open_view(self, view) -> None:
        try:
            f = plan_query.parse(view.query, today=self.today or date.today())
        except QueryError as exc:
            self.notify(_("The view {name} no longer parses: {error}").format(
                name=view.name, error=exc.message), severity="error")
            return
        self.shown_columns = [c for c in view.columns if c in COLUMNS] or list(COLUMNS)
        self.view_name = view.name
        self.apply(f, PlanSort.parse(view.sort))

    def palette_commands(self) -> list[tuple[str, str, object]]:
        """Every saved view, so the palette recalls one by name."""
        return [(_("View: {name}").format(name=v.name),
                 _("shared by {who}").format(who=v.owner) if v.owner != self.ctx.operator
                 else _("your view"), partial(self.open_view, v)) for v in self.views]

    def action_export(self) -> None:
        from console.screens.plan_dialogs import ExportDialog

        table = self.query_one(WindowedTable)

        def chosen(answer) -> None:
            if answer is None:
                return
            fmt, path = answer
            run_service(self, self._export, fmt, path,
                        on_done=lambda n: self.notify(
                            ngettext("Exported {n} plan to {path}.",
                                     "Exported {n} plans to {path}.", n).format(
                                n=format_number(n), path=path), timeout=10),
                        group="plans-export")

        self.app.push_screen(ExportDialog(table.total or 0), callback=chosen)

    def _export(self, fmt: str, path: str) -> int:
        with open(path, "w", encoding="utf-8", newline="") as out:
            return catalogue.write_plans(self.ctx, self.filter, self.sort, fmt, out,
                                         columns=list(self.shown_columns), today=self.today)

    def action_reload(self) -> None:
        self.query_one(WindowedTable).refresh_data()

    def on_entity_changed(self, event) -> None:
        if event.kind == "plan":  # created, edited, deleted or imported anywhere
            self.action_reload()

    # -- one plan ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters) -> bool | None:
        if action in {"new", "delete", "undelete"} and not self.ctx.can("plans.write"):
            return None
        return True

    def _current(self):
        row = self.query_one(WindowedTable).current_row
        return row.row if isinstance(row, AmountColumnRow) else row

    def _with_plan(self, then) -> None:
        from core.services import plans as plan_service

        row = self._current()
        if row is not None:
            run_service(self, plan_service.get_plan, self.ctx, row.handle, row.version,
                        on_done=then)

    def action_new(self) -> None:
        from console.screens.plan.form import open_plan_form

        open_plan_form(self, self.ctx, None, lambda _p: self.action_reload())

    def action_edit(self) -> None:
        from console.screens.plan.form import open_plan_form
        from console.screens.plan_versions import open_versions

        self._with_plan(lambda plan: open_plan_form(self, self.ctx, plan,
                                                    lambda _p: self.action_reload(),
                                                    versions=open_versions))

    @on(WindowedTable.Activated)
    def _activated(self) -> None:
        self.action_edit()

    def action_versions(self) -> None:
        from console.screens.plan_versions import open_versions

        row = self._current()
        if row is not None:
            open_versions(self, self.ctx, row.handle, lambda *_a: self.action_reload())

    def action_delete(self) -> None:
        from console.screens.plan.delete import confirm_delete_plan

        self._with_plan(lambda plan: confirm_delete_plan(self, self.ctx, plan,
                                                         lambda *_a: self.action_reload()))

    def action_undelete(self) -> None:
        from console.screens.plan.delete import confirm_undelete_plan

        self._with_plan(lambda plan: confirm_undelete_plan(self, self.ctx, plan,
                                                           lambda *_a: self.action_reload()))

    def action_copy_handle(self) -> None:
        row = self._current()
        if row is not None:
            copy_to_clipboard(self, row.handle)

    def action_subscribers(self) -> None:
        row = self.query_one(WindowedTable).current_row
        if row is not None:
            self.app.show_subscriptions(f"plan:{row.handle}")
