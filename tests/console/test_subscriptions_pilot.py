"""Subscription journeys at 80x24: the card's tab, the timeline, cancel and change plan."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Static

from console.app import KontorApp
from console.screens.subscription import (
    CancelPreviewDialog,
    ChangePlanForm,
    NewSubscriptionForm,
    SubscriptionScreen,
)
from core.i18n import format_datetime, format_short_date
from core.services import subscriptions as subscription_service
from core.services.demo_billing import seed_billing_demo
from core.services.operators import add_operator, sign_in
from tests.console.conftest import SIZE, settle, type_text


@pytest.fixture
def billed(seeded):
    """Anna Müller (contact 1) holds gold-monthly; a billing run has run up to now."""
    seed_billing_demo(sign_in(seeded, "alice"), subscribers=3)
    return seeded


async def open_annas_subscription(pilot) -> SubscriptionScreen:
    await pilot.press("slash")
    await type_text(pilot, "anna.mueller@example")
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("enter")  # the card
    await settle(pilot)
    await pilot.press("s")  # Subscriptions tab, its table focused
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SubscriptionScreen)
    return screen


async def test_card_lists_subscriptions_and_the_screen_shows_the_engines_dates(billed):
    ctx = sign_in(billed, "alice")
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_annas_subscription(pilot)
        sub = subscription_service.get_subscription(ctx, screen.subscription_id)
        summary = str(screen.query_one("#sub-summary", Static).render())
        assert "Gold membership (monthly)" in summary
        assert format_short_date(sub.next_invoice_at) in summary
        timeline = str(screen.query_one("#sub-timeline", Static).render())
        assert "today" in timeline and "notice deadline" in timeline
        assert "invoice €" in timeline


async def test_cancel_shows_the_preview_first_then_pends(billed):
    ctx = sign_in(billed, "alice")
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_annas_subscription(pilot)
        preview = subscription_service.preview_cancellation(ctx, screen.subscription_id)
        await pilot.press("c")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, CancelPreviewDialog)
        assert format_datetime(preview.expires) in dialog.detail
        assert isinstance(pilot.app.focused, Button) and pilot.app.focused.id == "no"
        await pilot.press("enter")  # No: nothing changes
        await settle(pilot)
        assert subscription_service.get_subscription(ctx, screen.subscription_id).state == \
            "active"
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        sub = subscription_service.get_subscription(ctx, screen.subscription_id)
        assert sub.state == "pending_cancellation" and sub.expires == preview.expires
        assert "pending cancellation" in str(screen.query_one("#sub-summary").render())
        await pilot.press("u")  # uncancel, confirmed
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert subscription_service.get_subscription(ctx, screen.subscription_id).state == \
            "active"


async def test_change_plan_previews_then_confirms(billed):
    ctx = sign_in(billed, "alice")
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_annas_subscription(pilot)
        await pilot.press("p")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, ChangePlanForm)
        await type_text(pilot, "nope")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "nope" in str(form.query_one("#error-plan", Static).render())
        await pilot.press("ctrl+u")
        await type_text(pilot, "gold-yearly")
        await pilot.press("ctrl+s")
        await settle(pilot)
        preview = str(form.query_one("#change-preview", Static).render())
        assert "Preview" in preview and "Moves to the new plan on" in preview
        assert "per year" in preview
        assert subscription_service.get_subscription(
            ctx, screen.subscription_id).pending_plan_id is None  # a preview writes nothing
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
    sub = subscription_service.get_subscription(ctx, screen.subscription_id)
    assert sub.pending_plan_id is not None and sub.pending_change_at == sub.current_period_end


async def test_add_subscription_from_the_card(billed):
    ctx = sign_in(billed, "alice")
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "oliver.smith@")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(pilot.app.screen, NewSubscriptionForm)
        await type_text(pilot, "starter")
        await pilot.press("ctrl+s")  # the preview first
        await settle(pilot)
        assert isinstance(pilot.app.screen, NewSubscriptionForm)
        assert "Trial until" in str(pilot.app.screen.query_one("#new-preview").render())
        await pilot.press("ctrl+s")  # the same values: create it
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, SubscriptionScreen)
        assert "trial" in str(screen.query_one("#sub-summary").render())


async def test_viewer_sees_the_subscription_but_cannot_cancel(billed):
    add_operator(sign_in(billed, "alice"), {"login": "vera", "role": "viewer"})
    vera = sign_in(billed, "vera")
    async with KontorApp(vera).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_annas_subscription(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert screen.check_action("cancel_subscription", ()) is None


async def test_pick_the_plan_by_typing_part_of_its_name(billed):
    """Defect 11: the plan was a handle typed from memory; now part of its name finds it."""
    from textual.widgets import Input, OptionList

    from core.services import subscriptions as subscription_service

    ctx = sign_in(billed, "alice")
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "oliver.smith@")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, NewSubscriptionForm)
        await type_text(pilot, "members")
        await pilot.pause(0.3)
        await settle(pilot)
        results = form.query_one("#input-plan-results", OptionList)
        shown = [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]
        assert len(shown) == 2 and all("Gold membership" in s for s in shown)
        assert "gold-yearly" in shown[1] and "€290.00" in shown[1] and "year" in shown[1]
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert form.query_one("#input-plan", Input).value == "gold-yearly"
        assert form.query_one("#input-plan", Input).has_focus
        await pilot.press("ctrl+s")  # the preview
        await settle(pilot)
        assert "Gold membership (yearly)" in str(form.query_one("#new-preview").render())
        await pilot.press("ctrl+s")  # the same values: create it
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, SubscriptionScreen)
    assert subscription_service.get_subscription(
        ctx, screen.subscription_id).plan_handle == "gold-yearly"


async def test_the_keys_follow_the_services_allowed_actions(billed):
    """`check_action` looks the transition table's verdict up: hold an active subscription,
    then only reactivate, expire and change plan remain."""
    ctx = sign_in(billed, "alice")
    state_keys = dict(SubscriptionScreen.STATE_ACTIONS)
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_annas_subscription(pilot)
        for state in ("active", "on_hold"):
            sub = subscription_service.get_subscription(ctx, screen.subscription_id)
            assert sub.state == state
            shown = {key: screen.check_action(key, ()) for key in state_keys}
            assert shown == {key: sub.allowed_actions[action] is None
                             for key, action in state_keys.items()}
            if state == "active":
                assert shown["hold"] and not shown["reactivate"]
                await pilot.press("h")
                await settle(pilot)
                await pilot.press("y")
                await settle(pilot)
        assert shown == {"cancel_subscription": False, "uncancel": False, "change_plan": True,
                         "hold": False, "reactivate": True, "expire": True}


async def test_a_paid_invoice_says_why_instead_of_asking(billed):
    """`m` on a paid invoice: the invoice table's reason (allowed_actions), no question."""
    from console.widgets.confirm import ConfirmDialog
    from core.services import invoices as invoice_service

    ctx = sign_in(billed, "alice")
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_annas_subscription(pilot)
        for inv in screen.invoices:
            if inv.state != "paid":
                invoice_service.record_payment(ctx, inv.number,
                                               expected_row_version=inv.row_version)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert screen.invoices and all(i.state == "paid" for i in screen.invoices)
        messages = []
        pilot.app.notify = lambda message, **kw: messages.append(message)
        await pilot.press("m")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, ConfirmDialog)
        assert messages == [screen.invoices[0].allowed_actions["record_payment"]]
        assert messages == ["A paid invoice cannot become paid."]
