"""Pilots at 80x24: the timeline after a scheduled version move, the new-subscription
preview before confirming, the change-plan preview following When and Credit."""

from __future__ import annotations

import pytest
from textual.widgets import Select, Static

from console.app import KontorApp
from console.screens.subscription import ChangePlanForm, NewSubscriptionForm
from core.i18n import format_money, format_short_date
from core.services import invoices as invoice_service
from core.services import plans as plan_service
from core.services import subscriptions as subscription_service
from core.services.demo_billing import seed_billing_demo
from core.services.operators import sign_in
from tests.console.conftest import SIZE, settle, type_text
from tests.console.test_subscriptions_pilot import open_annas_subscription


@pytest.fixture
def billed(seeded):
    seed_billing_demo(sign_in(seeded, "alice"), subscribers=3)
    return seeded


def text(widget) -> str:
    return str(widget.render())


async def test_timeline_after_a_version_move_shows_the_new_version_and_amount(billed):
    ctx = sign_in(billed, "alice")
    plan_service.create_plan_version(ctx, "gold-monthly", {"amount": 3400},
                                     scope="new_and_existing",
                                         expected_row_version=plan_service.get_plan(ctx, "gold-monthly").row_version)
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_annas_subscription(pilot)
        sub = subscription_service.get_subscription(ctx, screen.subscription_id)
        assert sub.pending_plan_version == 2
        new = format_money(3400 * sub.quantity, "EUR")
        old = format_money(2900 * sub.quantity, "EUR")
        summary = text(screen.query_one("#sub-summary", Static))
        assert (f"Plan change scheduled for {format_short_date(sub.pending_change_at)}: "
                f"Gold membership (monthly) v2, {new} per month.") in \
            " ".join(summary.split())
        assert f"Next invoice {format_short_date(sub.pending_change_at)}: {new}" in summary
        timeline = text(screen.query_one("#sub-timeline", Static))
        assert (f"moves to Gold membership (monthly) v2: {new} per month"
                in timeline)
        invoice_lines = [line for line in timeline.splitlines() if "invoice €" in line]
        assert invoice_lines and all(new in line and "v2" in line for line in invoice_lines)
        assert old not in "\n".join(invoice_lines)
        # The cancel preview says the same.
        await pilot.press("c")
        await settle(pilot)
        detail = pilot.app.screen.detail
        assert new in detail and "v2" in detail


async def test_new_subscription_shows_its_preview_before_confirming(billed):
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
        contact_id = form.contact_id
        before = len(subscription_service.list_subscriptions(ctx, contact_id=contact_id))
        await type_text(pilot, "coaching-6")
        await pilot.press("ctrl+s")
        await settle(pilot)
        preview = text(form.query_one("#new-preview", Static))
        # Setup fee on the first invoice (150.00 + 49.00), due at once; then monthly.
        assert "Preview — Coaching, 6 instalments v1" in preview
        assert "On saving:" in preview and format_money(19900, "EUR") in preview
        assert "period, setup fee" in preview
        assert "Next:" in preview and "First period:" in preview
        assert pilot.app.screen is form
        assert len(subscription_service.list_subscriptions(ctx, contact_id=contact_id)) == \
            before  # nothing saved yet
        await pilot.press("tab", "tab")  # quantity
        await type_text(pilot, "2")
        await settle(pilot)
        assert form.query_one("#new-preview").has_class("-empty")  # stale: cleared
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert format_money(34900, "EUR") in text(form.query_one("#new-preview", Static))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is not form
    subs = subscription_service.list_subscriptions(ctx, contact_id=contact_id)
    assert len(subs) == before + 1
    created = invoice_service.list_invoices(ctx, subscription_id=subs[0].id)
    assert [i.amount for i in created] == [34900]  # what the preview said


async def test_change_plan_preview_follows_when_and_credit(billed):
    ctx = sign_in(billed, "alice")
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_annas_subscription(pilot)
        await pilot.press("p")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, ChangePlanForm)
        assert not form.query(Select)  # radio buttons: no overlay can cover the preview
        await type_text(pilot, "gold-yearly")
        await pilot.press("ctrl+s")
        await settle(pilot)
        preview = form.query_one("#change-preview", Static)
        assert "Moves to the new plan on" in text(preview) and "per year" in text(preview)
        renewal = subscription_service.preview_plan_change(ctx, screen.subscription_id,
                                                           plan="gold-yearly")
        await pilot.click("#immediate")
        await settle(pilot)
        now = text(preview)
        assert "Moves to the new plan on" not in now and "Invoice now" in now
        assert "unused" not in now
        await pilot.click("#prorated_credit")
        await settle(pilot)
        credited = text(preview)
        expected = subscription_service.preview_plan_change(
            ctx, screen.subscription_id, plan="gold-yearly", timing="immediate",
            compensation="prorated_credit").invoice
        credit = next(li for li in expected.lines if li.kind == "credit")
        lines = credited.splitlines()
        credit_at = next(i for i, li in enumerate(lines) if "unused" in li)
        plan_at = next(i for i, li in enumerate(lines) if "Gold membership (yearly)" in li
                       and "€" in li and i != 0)
        total_at = next(i for i, li in enumerate(lines) if li.strip().endswith("total"))
        assert credit_at < plan_at < total_at  # credit, new plan's line, total
        assert format_money(credit.gross, "EUR") in lines[credit_at]
        assert format_money(expected.amount, "EUR") in lines[total_at]
        # A result computed for values no longer on screen is dropped.
        form._show_preview(("gold-yearly", "renewal", "none"), renewal)
        assert text(preview) == credited
        await pilot.press("ctrl+s")  # confirms exactly what is on screen
        await settle(pilot)
        assert pilot.app.screen is screen
    sub = subscription_service.get_subscription(ctx, screen.subscription_id)
    assert sub.plan_handle == "gold-yearly"


async def test_contract_notice_runs_from_the_cancellation_on_the_screen(billed):
    """Yearly plan, 12-month contract, one month's notice, started five months ago: cancelled
    now it ends at the first term end (start + 1 year), not a year later (SPEC §7.1 rule 7)."""
    from datetime import UTC, datetime

    from dateutil.relativedelta import relativedelta

    from console.screens.subscription import CancelPreviewDialog, SubscriptionScreen
    from core.i18n import format_datetime

    ctx = sign_in(billed, "alice")
    start = (datetime.now(UTC) - relativedelta(months=5)).replace(microsecond=0)
    s = subscription_service.create_subscription(
        ctx, {"contact_id": 5, "plan": "gold-yearly", "start": start})
    term_end = start + relativedelta(years=1)
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = SubscriptionScreen(ctx, s.id)
        await pilot.app.push_screen(screen)
        await settle(pilot)
        timeline = text(screen.query_one("#sub-timeline", Static))
        assert f"to end on {format_short_date(term_end)}" in timeline
        assert f"it would end on {format_datetime(term_end)}" in " ".join(timeline.split())
        await pilot.press("c")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, CancelPreviewDialog)
        assert format_datetime(term_end) in dialog.detail
