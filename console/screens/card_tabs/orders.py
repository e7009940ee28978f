"""Orders: the contact's orders (number, date, amount, status), newest first; enter opens
the order screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable

from console.calls import run_service
from console.screens.card_tabs.base import CardTab
from console.widgets.lists import KeyTable
from core.i18n import N_, _, format_money, format_short_date
from core.schemas.common import Window
from core.services import orders as order_service

SHOWN = 200  # the newest orders of one contact; the orders area has them all


class OrdersTab(CardTab):
    # Not named `Tab`: Textual's own `Tab` type selector (the tab bar's, height 1) would
    # match a class of that name and squeeze the pane to one line.
    tab_id, label, key, order = "orders", N_("Orders"), "r", 30
    kinds = frozenset({"order"})
    DEFAULT_CSS = "OrdersTab #orders-table { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield KeyTable(id="orders-table", cursor_type="row")

    def on_mount(self) -> None:
        self.orders = []
        table = self.query_one("#orders-table", DataTable)
        table.add_column(_("Number"), key="number", width=8)
        table.add_column(_("Date"), key="date", width=10)
        table.add_column(_("Product"), key="product", width=24)
        table.add_column(_("Amount"), key="amount", width=11)
        table.add_column(_("Status"), key="status", width=10)
        super().on_mount()

    def load(self) -> None:
        run_service(self, order_service.contact_orders, self.ctx, self.contact_id,
                    Window(limit=SHOWN), on_done=self.show, group="card-orders",
                    exclusive=True)

    def show(self, rows) -> None:
        from console.screens.orders.labels import status_label

        self.orders = rows
        table = self.query_one("#orders-table", DataTable)
        table.clear()
        for r in rows:
            table.add_row(str(r.number), format_short_date(r.ordered_at), r.product_name,
                          format_money(r.total, r.currency), status_label(r.status),
                          key=str(r.number))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            event.stop()
            from console.screens.orders.order import OrderScreen

            self.app.push_screen(OrderScreen(self.ctx, int(event.row_key.value)))


Tab = OrdersTab  # the name console/screens/card_tabs/__init__.py looks for
