"""The groups area (key 6): every group, windowed, newest first; `/` filters by product,
leader, full, over quota, no live subscription (f, o, n toggle the last three); `enter` opens
the group quota view."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Input, Static

from console.calls import show_error
from console.screens.search_list import SearchListScreen
from console.widgets.column_header import ColumnHeader
from console.widgets.footer import KontorFooter
from console.widgets.windowed_table import Column, WindowedTable
from core.errors import ValidationFailed
from core.i18n import _, format_number, format_short_date, ngettext
from core.schemas.common import Window
from core.services import groups as service
from core.services.context import ServiceContext


class GroupSource:
    def __init__(self, ctx: ServiceContext, filters: dict):
        self.ctx, self.filters = ctx, filters

    def count(self) -> int:
        return service.count_groups(self.ctx, self.filters)

    def fetch(self, window: Window):
        return service.list_groups(self.ctx, self.filters, window)


def seats_cell(row) -> str:
    return f"{row.seats_used}/{row.seats_total}"


def group_columns() -> list[Column]:
    return [
        Column("id", "#", 7, render=lambda v: f"#{v}"),
        Column("name", _("Group"), None, min_width=12),
        Column("product_name", _("Product"), None, min_width=10),
        Column("leader_name", _("Leader"), None, min_width=10),
        Column("seats_text", _("Seats"), 9, justify="right"),
        Column("offline_at", _("Offline"), 10,
               render=lambda v: format_short_date(v) if v else ""),
    ]


class ShownGroup:
    def __init__(self, row):
        self.row = row
        self.seats_text = seats_cell(row)

    def __getattr__(self, name: str):
        return getattr(self.row, name)


class _Source(GroupSource):
    def fetch(self, window: Window):
        return [ShownGroup(r) for r in super().fetch(window)]


class GroupsScreen(SearchListScreen):
    REFRESH_KINDS = ("group", "setting", "subscription")
    BINDINGS = [
        Binding("slash", "search", _("Search"),
                tooltip=_("Filter: product:HANDLE leader:EMAIL full over nosub")),
        Binding("f", "toggle('full')", _("Full"), tooltip=_("Only groups without a free seat")),
        Binding("o", "toggle('over')", _("Over quota"),
                tooltip=_("Only groups using more seats than bought")),
        Binding("n", "toggle('nosub')", _("No live sub"),
                tooltip=_("Only groups without a live subscription")),
        Binding("ctrl+r,f5", "reload", _("Refresh"), show=False,
                tooltip=_("Refresh the group list")),
        Binding("escape", "clear_search", _("Clear search"), show=False),
    ]

    def __init__(self, ctx: ServiceContext):
        super().__init__()
        self.ctx = ctx
        self.filter_text = ""
        self._mounted = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=_("product:HANDLE  leader:EMAIL  full  over  nosub  (/)"),
                    id="search", compact=True)
        yield Static("", id="status")
        table = WindowedTable(group_columns(), id="groups")
        yield ColumnHeader(table, id="groups-header")
        yield table
        yield KontorFooter()

    def on_mount(self) -> None:
        self.title = _("Groups")
        self._mounted = True
        self.apply_filter(self.filter_text)
        self.query_one(WindowedTable).focus()

    def apply_filter(self, text: str) -> None:
        if not self._mounted:
            self.filter_text = text
            return
        try:
            filters = service.parse_group_filter(text)
        except ValidationFailed as exc:
            show_error(self, exc)
            return
        self.show_source(text, _Source(self.ctx, filters))

    def action_toggle(self, word: str) -> None:
        words = self.filter_text.split()
        words = [w for w in words if w != word] if word in words else [*words, word]
        self.apply_filter(" ".join(words))

    def count_text(self, total: int) -> str:
        return ngettext("{n} group", "{n} groups", total).format(n=format_number(total))

    @on(WindowedTable.Activated)
    def _open(self, event: WindowedTable.Activated) -> None:
        from console.screens.group import GroupScreen

        self.app.push_screen(GroupScreen(self.ctx, event.row.id))
