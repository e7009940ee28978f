"""The orders area (key 4): every order, newest first, windowed; `/` filters by number,
status, product, contact and date; `enter` opens the order."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Input, Static

from console.calls import show_error
from console.messages import EntityChanged
from console.screens.orders.labels import status_label
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


class OrdersScreen(Screen):
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
        self.filter_text = text
        search = self.query_one("#search", Input)
        if search.value != text:
            search.value = text
        self.query_one("#status", Static).update(_("Counting…"))
        self.query_one(WindowedTable).set_source(OrderSource(self.ctx, f))

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        self.apply_filter(event.value.strip())
        self.query_one(WindowedTable).focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            self.query_one(WindowedTable).focus()
        elif search.value:
            self.apply_filter("")

    def action_reload(self) -> None:
        self.query_one(WindowedTable).refresh_data()

    def on_entity_changed(self, event: EntityChanged) -> None:
        if event.kind in ("order", "contact"):
            self.action_reload()

    @on(WindowedTable.Loaded)
    @on(WindowedTable.CursorMoved)
    def _status(self, event) -> None:
        self.call_after_refresh(self.query_one(ColumnHeader).refresh)
        table = self.query_one(WindowedTable)
        if not table.counted:
            return
        total = table.total or 0
        text = ngettext("{n} order", "{n} orders", total).format(n=format_number(total))
        if self.filter_text:
            text += " · " + self.filter_text
        self.query_one("#status", Static).update(text)

    @on(WindowedTable.Failed)
    def _failed(self, event: WindowedTable.Failed) -> None:
        show_error(self, event.error)

    @on(WindowedTable.Activated)
    def _open(self, event: WindowedTable.Activated) -> None:
        from console.screens.orders.order import OrderScreen

        self.app.push_screen(OrderScreen(self.ctx, event.row.number))
