"""Area 7 (Follow-up) and the access status dialogs, driven by keys at 80x24 (issue 11):
cancel with preview, the end date typed and picked in the calendar, undo, a bulk action on
marked rows, enter to the contact card, the lock key on the card."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.app import KontorApp
from console.screens.access_status import SetEndDialog
from console.screens.contact_card import ContactCard
from console.screens.follow_up import FollowUpScreen
from console.widgets.confirm import ConfirmDialog
from console.widgets.date_input import DateInput
from console.widgets.markable_table import MARK, MarkableTable
from core.models import utcnow
from core.services import access_status as st
from core.services import accesses
from core.services.operators import sign_in
from tests.console.conftest import SIZE, settle, type_text
from tests.services.commerce_rows import product_with_offer


@pytest.fixture
def follow(seeded):
    """Contacts 2, 3, 4 with accesses pending cancellation in 5, 10, 15 days; contacts 5, 6,
    7 with accesses expiring in 3, 4, 5 days (one-time purchases, no subscription)."""
    ctx = sign_in(seeded, "alice")
    now = utcnow()
    start = now - timedelta(days=30)
    ids = {}
    with seeded.transaction() as s:
        offer = product_with_offer(s, handle="yoga", template={})
        for cid in (2, 3, 4, 5, 6, 7):
            ids[cid] = accesses.grant(s, ctx, contact_id=cid, offer=offer,
                                      starts_at=start).id
    for n, cid in enumerate((2, 3, 4)):
        st.cancel(ctx, ids[cid])
        st.set_end(ctx, ids[cid], now + timedelta(days=5 * (n + 1)))
    for n, cid in enumerate((5, 6, 7)):
        st.set_end(ctx, ids[cid], now + timedelta(days=3 + n))
    return ctx, ids


async def _area(pilot):
    await settle(pilot)
    await pilot.press("7")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, FollowUpScreen)
    return screen, screen.query_one(MarkableTable)


async def test_pending_list_bulk_undo_of_marked_rows(follow):
    ctx, ids = follow
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        screen, table = await _area(pilot)
        assert table.total == 3
        assert [table.row_at(i).id for i in range(3)] == [ids[2], ids[3], ids[4]]
        await pilot.press("space", "space")
        await settle(pilot)
        assert list(table.marks) == [ids[2], ids[3]]
        assert MARK in table.cells(table.row_at(0))[0]
        await pilot.press("u")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert "2 accesses" in dialog.detail
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FollowUpScreen)
        assert table.total == 1 and table.row_at(0).id == ids[4]
    assert st.get_status(ctx, ids[2]).status == "active"
    assert st.get_status(ctx, ids[3]).status == "active"
    assert st.get_status(ctx, ids[4]).status == "pending_cancellation"


async def test_bulk_refusal_lists_the_refused_rows_and_writes_nothing(follow):
    ctx, ids = follow
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        screen, table = await _area(pilot)
        await pilot.press("space", "space", "c")  # pending ones refuse a second cancel
        await settle(pilot)
        from console.screens.access_status import RefusedDialog

        assert isinstance(pilot.app.screen, RefusedDialog)
        await pilot.press("escape")
        await settle(pilot)
    assert st.get_status(ctx, ids[2]).status == "pending_cancellation"


async def test_expiring_list_cancel_one_with_preview(follow):
    ctx, ids = follow
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        screen, table = await _area(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert table.total == 3 and table.row_at(0).id == ids[5]
        await pilot.press("c")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert "Ends now" in dialog.detail and "Yoga" in dialog.detail
        await pilot.press("y")
        await settle(pilot)
        assert table.total == 2
    assert st.get_status(ctx, ids[5]).status == "cancelled"


async def test_end_date_typed_then_picked_in_the_calendar(follow):
    ctx, ids = follow
    today = st.local_today(ctx)
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        screen, table = await _area(pilot)
        await pilot.press("x", "e")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SetEndDialog)
        await type_text(pilot, "tomorrow")
        await settle(pilot)
        date_input = pilot.app.screen.query_one(DateInput)
        assert date_input.value == today + timedelta(days=1)
        parsed = str(pilot.app.screen.query_one("#date-parsed").render())
        assert parsed.startswith("→")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FollowUpScreen)
        assert st.get_status(ctx, ids[5]).ends_at == st.end_of_day(ctx, today
                                                                   + timedelta(days=1))
        # the calendar: tab to it, two days on, a week on, enter
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("tab", "right", "right", "down", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FollowUpScreen)
    # the same row (the cursor stays on it after the reload): today + 2 days + a week
    assert st.get_status(ctx, ids[5]).ends_at == st.end_of_day(ctx, today + timedelta(days=9))


async def test_a_bad_date_says_why_and_keeps_the_dialog(follow):
    ctx, ids = follow
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await _area(pilot)
        await pilot.press("x", "e")
        await settle(pilot)
        await type_text(pilot, "31.02.2026")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SetEndDialog)
        assert "no such day" in str(pilot.app.screen.query_one("#date-parsed").render())


async def test_undo_one_and_enter_opens_the_contact_card_and_lock(follow):
    ctx, ids = follow
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        screen, table = await _area(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert st.get_status(ctx, ids[2]).status == "active"
        await pilot.press("enter")
        await settle(pilot)
        card = pilot.app.screen
        assert isinstance(card, ContactCard) and card.contact_id == 3
        await pilot.press("L")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert st.contact_lock(ctx, 3)["locked"]
        assert "locked" in str(card.query_one("#card-title").render())


async def test_palette_entry_opens_the_overdue_list(follow):
    ctx, _ids = follow
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.action_follow_up("overdue")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, FollowUpScreen) and screen.which == "overdue"
        assert screen.query_one(MarkableTable).total == 0
