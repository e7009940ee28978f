"""Orders journeys at 80x24, keyboard only: "+ Product" on a contact card (offer picked by
typing, preview, then created), the Orders tab, the order screen's refund with its preview and
confirmation, and the orders area with a filter."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from console.app import KontorApp
from console.screens.accesses.editor import AccessEditorScreen
from console.screens.orders.add_product import AddProductForm
from console.screens.orders.area import OrdersScreen
from console.screens.orders.order import OrderScreen
from console.widgets.confirm import ConfirmDialog
from console.widgets.windowed_table import WindowedTable
from core.schemas.common import Window
from core.services import orders as order_service
from tests.small_shop import seed_small_shop
from core.services.operators import sign_in
from tests.console.conftest import SIZE, settle, type_text


@pytest.fixture
def shop(seeded):
    """The seeded contacts plus the small demo catalogue (one-time, subscription and
    instalment offers)."""
    seed_small_shop(sign_in(seeded, "alice"))
    return seeded


async def open_card(pilot, email: str) -> None:
    await pilot.press("slash")
    await type_text(pilot, email)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def test_add_product_on_the_card_previews_then_creates_and_refund_ends_it(shop):
    ctx = sign_in(shop, "alice")
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_card(pilot, "giulia.rossi@example")
        await pilot.press("plus")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, AddProductForm)
        await type_text(pilot, "acquerel")  # part of the product's name, no handle
        await pilot.pause(0.3)
        await settle(pilot)
        await pilot.press("down", "enter")  # pick the first result
        await settle(pilot)
        assert form.row("offer").raw == "corso-acquerello"
        await pilot.press("ctrl+s")  # the preview first
        await settle(pilot)
        preview = str(form.query_one("#order-preview", Static).render())
        assert "€89.00" in preview and "Corso di acquerello" in preview
        assert order_service.count_orders(ctx, {}) == 0  # nothing saved yet
        await pilot.press("ctrl+s")  # the same values again: created
        await settle(pilot)
        assert not isinstance(pilot.app.screen, AddProductForm)
        (row,) = order_service.list_orders(ctx, {"contact_id": 2}, Window())
        assert (row.status, row.total) == ("paid", 8900)
        # the card shows its Orders tab with the new order; enter opens it
        table = pilot.app.screen.query_one("#orders-table", DataTable)
        assert table.row_count == 1
        await pilot.press("enter")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, OrderScreen) and screen.order.number == row.number
        await pilot.press("r")  # refund: the preview in the confirmation, No focused
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmDialog)
        detail = str(dialog.query_one("#confirm-detail", Static).render())
        assert "Corso di acquerello" in detail and "Refund: €89.00" in detail
        await pilot.press("enter")  # "No" is focused: nothing happens
        await settle(pilot)
        assert order_service.get_order(ctx, row.number).status == "paid"
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert order_service.get_order(ctx, row.number).status == "refunded"
        assert "refunded" in str(screen.query_one("#order-title", Static).render())


async def test_orders_area_lists_newest_first_and_filters_by_status(shop):
    ctx = sign_in(shop, "alice")
    for contact, payment in ((1, "paid"), (2, "pending"), (3, "paid")):
        order_service.create_order(ctx, {"contact_id": contact, "offer": "yoga-basics-full",
                                         "payment": payment})
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, OrdersScreen)
        table = screen.query_one(WindowedTable)
        assert table.total == 3
        await pilot.press("slash")
        await type_text(pilot, "status:pending")
        await pilot.press("enter")
        await settle(pilot)
        assert table.total == 1
        assert "1 order" in str(screen.query_one("#status", Static).render())
        await pilot.press("enter")
        await settle(pilot)
        order = pilot.app.screen
        assert isinstance(order, OrderScreen) and order.order.status == "pending"
        assert order.check_action("pay", ()) is True
        assert order.check_action("refund", ()) is None  # the table's reason: not paid
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert order.order.status == "paid" and len(order.order.accesses) == 1
        await pilot.press("a")  # the order editor of the access the payment created
        await settle(pilot)
        editor = pilot.app.screen
        assert isinstance(editor, AccessEditorScreen)
        assert editor.detail.id == order.order.accesses[0]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, OrderScreen)
