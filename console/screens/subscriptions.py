"""The subscriptions area (key 5): every subscription, windowed; `/` filters by #id, state,
plan and next invoice date; `enter` opens the subscription screen."""

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
from core.i18n import _, format_money, format_number, format_short_date, ngettext
from core.schemas.common import Window
from core.services import subscription_list as service
from core.services.context import ServiceContext


class SubscriptionSource:
    def __init__(self, ctx: ServiceContext, f: service.SubscriptionFilter):
        self.ctx, self.filter = ctx, f

    def count(self) -> int:
        return service.count_subscriptions(self.ctx, self.filter)

    def fetch(self, window: Window):
        return [ShownRow(r) for r in service.list_subscriptions(self.ctx, self.filter, window)]


class ShownRow:
    """A list row with its amount formatted in the locale (the amount has its currency)."""

    def __init__(self, row: service.SubscriptionListRow):
        self.row = row
        self.amount_text = format_money(row.amount, row.currency)

    def __getattr__(self, name: str):
        return getattr(self.row, name)


def _state(state: str) -> str:
    from console.screens.subscription import state_label

    return state_label(state)


def subscription_columns() -> list[Column]:
    return [
        Column("id", "#", 7, render=lambda v: f"#{v}"),
        Column("state", _("State"), 12, render=_state),
        Column("contact_name", _("Contact"), None, min_width=12),
        Column("plan_name", _("Plan"), None, min_width=10),
        Column("next_invoice_at", _("Next invoice"), 12,
               render=lambda v: format_short_date(v) if v else "—"),
    ]


class SubscriptionsScreen(SearchListScreen):
    REFRESH_KINDS = ("subscription", "plan", "contact")
    BINDINGS = [
        Binding("slash", "search", _("Search"),
                tooltip=_("Filter: #id, state:active, plan:HANDLE, next:DATE..DATE")),
        Binding("ctrl+r,f5", "reload", _("Refresh"), show=False,
                tooltip=_("Refresh the subscription list")),
        Binding("escape", "clear_search", _("Clear search"), show=False),
    ]

    def __init__(self, ctx: ServiceContext):
        super().__init__()
        self.ctx = ctx
        self.filter_text = ""
        self._mounted = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=_("#id  state:active  plan:HANDLE  next:DATE..DATE  (/)"),
                    id="search", compact=True)
        yield Static("", id="status")
        table = WindowedTable(self._columns(), id="subscriptions")
        yield ColumnHeader(table, id="subscriptions-header")
        yield table
        yield KontorFooter()

    @staticmethod
    def _columns() -> list[Column]:
        cols = subscription_columns()
        cols.append(Column("amount_text", _("Amount"), 11, justify="right"))
        return cols

    def on_mount(self) -> None:
        self.title = _("Subscriptions")
        self._mounted = True
        self.apply_filter(self.filter_text)
        self.query_one(WindowedTable).focus()

    def apply_filter(self, text: str) -> None:
        """Show the subscriptions matching `text` (see subscription_list.parse_filter); before
        the screen is mounted it only remembers it."""
        if not self._mounted:
            self.filter_text = text
            return
        try:
            f = service.parse_filter(text)
        except ValidationFailed as exc:
            show_error(self, exc)
            return
        self.show_source(text, SubscriptionSource(self.ctx, f))

    def count_text(self, total: int) -> str:
        return ngettext("{n} subscription", "{n} subscriptions", total).format(
            n=format_number(total))

    @on(WindowedTable.Activated)
    def _open(self, event: WindowedTable.Activated) -> None:
        from console.screens.subscription import SubscriptionScreen

        self.app.push_screen(SubscriptionScreen(self.ctx, event.row.id))
