"""The orders area (key 4): every order, newest first, windowed; `/` filters by number,
status, product, contact and date; `enter` opens the order."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Input, Static

from console.screens.orders.labels import status_label
from console.screens.search_list import SearchListScreen
from console.widgets.column_header import ColumnHeader
from console.widgets.footer import KontorFooter
from console.widgets.windowed_table import Column, WindowedTable
from core.i18n import _, format_money, format_number, format_short_date, ngettext
from core.schemas.common import Window
from core.services import orders as service
from core.services.context import ServiceContext


class OrderSource:
    """The orders list through the service: a count and keyset windows."""

    def __init__(self, ctx: ServiceContext, f):
        self.ctx, self.filter = ctx, f

    def count(self) -> int:
        return service.count_orders(self.ctx, self.filter)

    def fetch(self, window: Window):
        return [ShownOrder(r) for r in service.list_orders(self.ctx, self.filter, window)]


class ShownOrder:
    """A list row with its total formatted in the locale."""

    def __init__(self, row):
        self.row = row
        self.total_text = format_money(row.total, row.currency)

    def __getattr__(self, name: str):
        return getattr(self.row, name)


def order_columns() -> list[Column]:
    return [
        Column("number", _("Number"), 8, render=str, justify="right"),
        Column("ordered_at", _("Date"), 10, render=format_short_date, priority=2),
        Column("contact_name", _("Contact"), None, min_width=12, priority=3),
        Column("product_name", _("Product"), None, min_width=10, priority=4),
        Column("total_text", _("Amount"), 11, justify="right", priority=2),
        Column("status", _("Status"), 10, render=status_label, priority=2),
    ]


class OrdersScreen(SearchListScreen):
    REFRESH_KINDS = ("order", "contact")
    BINDINGS = [
        Binding("slash", "search", _("Search"),
                tooltip=_("Filter: 42, status:paid, product:HANDLE, contact:EMAIL, "
                          "date:DATE..DATE")),
        Binding("ctrl+r,f5", "reload", _("Refresh"), show=False,
                tooltip=_("Refresh the order list")),
        Binding("escape", "clear_search", _("Clear search"), show=False),
    ]
    HELP_TITLE = "Orders"

    def __init__(self, ctx: ServiceContext):
        super().__init__()
        self.ctx = ctx
        self.filter_text = ""
        self._mounted = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=_("42  status:paid  product:HANDLE  contact:EMAIL  "
                                  "date:DATE..DATE  (/)"), id="search", compact=True)
        yield Static("", id="status")
        table = WindowedTable(order_columns(), id="orders")
        yield ColumnHeader(table, id="orders-header")
        yield table
        yield KontorFooter()

    def on_mount(self) -> None:
        self.title = _("Orders")
        self._mounted = True
        self.apply_filter(self.filter_text)
        self.query_one(WindowedTable).focus()

    def apply_filter(self, text: str) -> None:
        """Show the orders matching `text` (orders.parse_filter, which looks up the product
        and contact — in a worker); before the screen is mounted it only remembers it."""
        if not self._mounted:
            self.filter_text = text
            return
        from console.calls import run_service

        run_service(self, service.parse_filter, self.ctx, text,
                    on_done=lambda f: self._filtered(text, f), group="orders-filter",
                    exclusive=True)

    def _filtered(self, text: str, f) -> None:
        self.show_source(text, OrderSource(self.ctx, f))

    def count_text(self, total: int) -> str:
        return ngettext("{n} order", "{n} orders", total).format(n=format_number(total))

    @on(WindowedTable.Activated)
    def _open(self, event: WindowedTable.Activated) -> None:
        from console.screens.orders.order import OrderScreen

        self.app.push_screen(OrderScreen(self.ctx, event.row.number))
