"""The subscriptions area (key 5) and a plan's subscribers one key (`b`) from the plan list."""

from __future__ import annotations

from console.app import KontorApp
from console.screens.plans import PlanListScreen
from console.screens.subscription import SubscriptionScreen
from console.screens.subscriptions import SubscriptionsScreen
from console.widgets.windowed_table import WindowedTable
from core.services import subscription_list
from core.services.operators import sign_in
from tests.console.conftest import SIZE, settle, type_text
from tests.console.test_subscriptions_pilot import billed  # noqa: F401


async def test_area_lists_filters_by_id_and_opens_a_subscription(billed):  # noqa: F811
    ctx = sign_in(billed, "alice")
    total = subscription_list.count_subscriptions(ctx)
    newest = subscription_list.list_subscriptions(ctx)[0]
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, SubscriptionsScreen)
        table = screen.query_one(WindowedTable)
        assert total >= 3 and table.total == total
        assert table.current_row.id == newest.id  # newest first
        await pilot.press("slash")
        await type_text(pilot, f"#{newest.id}")
        await pilot.press("enter")
        await settle(pilot)
        assert table.total == 1 and table.current_row.id == newest.id
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SubscriptionScreen)
        assert pilot.app.screen.subscription_id == newest.id


async def test_b_on_a_plan_opens_its_subscribers(billed):  # noqa: F811
    ctx = sign_in(billed, "alice")
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        plans = pilot.app.screen
        assert isinstance(plans, PlanListScreen)
        handle = plans.query_one(WindowedTable).current_row.handle
        expected = subscription_list.count_subscriptions(
            ctx, subscription_list.SubscriptionFilter(plan_handle=handle))
        await pilot.press("b")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, SubscriptionsScreen) and screen.filter_text == f"plan:{handle}"
        table = screen.query_one(WindowedTable)
        assert table.total == expected
        rows = [table.row_at(i) for i in range(expected)]
        assert all(r.plan_handle == handle for r in rows)


def test_the_filter_words_parse_and_refuse_clearly():
    f = subscription_list.parse_filter("state:active,trial plan:gold next:2026-12-01..2026-12-31")
    assert f.states == ("active", "trial") and f.plan_handle == "gold"
    assert (f.next_from.isoformat(), f.next_to.isoformat()) == ("2026-12-01", "2026-12-31")
    assert subscription_list.parse_filter("#42").subscription_id == 42
    import pytest

    from core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        subscription_list.parse_filter("state:sleeping")
    assert "state" in exc.value.fields
    with pytest.raises(ValidationFailed):
        subscription_list.parse_filter("next:tomorrow")
