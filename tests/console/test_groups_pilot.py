"""The group quota view driven by keys (issue 12): area 6 lists the groups; a full group
offers "buy more seats" instead of "enrol"; buying 3 seats adds a second subscription; a
participant is enrolled; the limit setting flips the seat arithmetic; the downgrade
assistant ends the newer subscription; the contact card's Groups tab lists the group."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console.app import KontorApp
from console.screens.group import DowngradeForm, GroupScreen, quota_bar
from console.screens.groups import GroupsScreen
from console.widgets.windowed_table import WindowedTable
from core.services import groups
from core.services.operators import sign_in
from core.services.plans import create_plan
from tests.console.conftest import SIZE, settle, type_text
from tests.services.commerce_rows import product_with_offer

JAN15 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def full_group(seeded):
    ctx = sign_in(seeded, "alice")
    create_plan(ctx, {"handle": "team", "name": "Team", "amount": 1000,
                      "schedule_type": "month_startdate", "interval_length": 1},
                now=datetime(2025, 12, 1, tzinfo=UTC))
    with seeded.transaction() as s:
        o = product_with_offer(s, handle="course", payment="subscription", price=None,
                               plan_handle="team")
        o.group_min_seats, o.group_max_seats = 1, 50
    g = groups.create_group(ctx, {"offer": o.handle, "leader": "anna.mueller@example.de",
                                  "name": "Team Alpha", "seats": 5}, now=JAN15)
    for i in range(5):
        groups.enrol(ctx, g.id, f"member{i}@example.org", now=JAN15)
    return ctx, g.id


def _quota(screen) -> str:
    return str(screen.query_one("#group-quota").render())


async def test_full_group_buy_more_enrol_flip_limit_and_downgrade(full_group):
    ctx, _gid = full_group
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        area = pilot.app.screen
        assert isinstance(area, GroupsScreen)
        assert area.query_one(WindowedTable).total == 1
        await pilot.press("f")  # only full groups
        await settle(pilot)
        assert area.query_one(WindowedTable).total == 1
        await pilot.press("enter")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, GroupScreen)
        assert "5 of 5 seats used" in _quota(screen) and "buys more seats" in _quota(screen)
        assert screen.check_action("enrol", ()) is False  # "buy more seats" instead
        await pilot.press("n")  # the name cannot be changed
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await type_text(pilot, "3")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert "5 of 8 seats used" in _quota(screen)
        assert len(screen.group.subscriptions) == 2
        days = {s.next_invoice_at.day for s in screen.group.subscriptions}
        assert len(days) == 2  # two billing days
        assert screen.group.monthly_total == 8000
        await pilot.press("e")
        await settle(pilot)
        await type_text(pilot, "new.person@example.org")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "6 of 8 seats used" in _quota(screen)
        # remove the newest participant, then flip the limit: the removed seat counts again
        table = screen.query_one(WindowedTable)
        table.focus()
        await pilot.press("G")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "5 of 8 seats used" in _quota(screen)
        await pilot.press("l")
        await settle(pilot)
        assert "6 of 8 seats used" in _quota(screen) and "limit active" in _quota(screen)
        await pilot.press("l")
        await settle(pilot)
        assert "5 of 8 seats used" in _quota(screen)
        # downgrade back to 5 with the assistant
        await pilot.press("d")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, DowngradeForm)
        await type_text(pilot, "5")
        await settle(pilot)
        preview = str(form.query_one("#downgrade-preview").render())
        assert "ends" in preview and "8 → 5" in preview
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert pilot.app.screen is screen
        states = [s.state for s in screen.group.subscriptions]
        assert states == ["active", "pending_cancellation"]


async def test_contact_card_groups_tab(full_group):
    ctx, gid = full_group
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "anna.mueller@example")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        table = pilot.app.screen.query_one("#groups-table")
        assert table.row_count == 1
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, GroupScreen) and pilot.app.screen.group_id == gid


def test_quota_bar():
    assert quota_bar(5, 8, 8) == "[█████░░░]"
    assert quota_bar(0, 0, 4) == "[░░░░]"
    assert quota_bar(9, 8, 8) == "[████████]!"
