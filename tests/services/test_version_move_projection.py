"""A scheduled version move is visible before it happens: the timeline, the cancellation
preview and the subscription show the new version and its amounts from the move on, and
the projection's invoices are exactly those the billing run then creates."""

from datetime import date

import pytest

from core.services import invoices, plans
from core.services import subscriptions as subs
from core.services.billing_run import run_billing
from core.services.subscription_timeline import subscription_timeline
from tests.services.billing_helpers import berlin, contact

GOLD = {"handle": "gold-monthly", "name": "Gold membership (monthly)", "amount": 2900,
        "vat": "0.19", "schedule_type": "month_fixedday", "schedule_fixed_day": 1,
        "notice_periods": 1}


def _subscribed(admin, plan=GOLD):
    start = berlin(2026, 10, 1)
    plans.create_plan(admin, plan)
    s = subs.create_subscription(admin, {"contact_id": contact(admin), "plan": plan["handle"],
                                         "start": start}, now=start)
    run_billing(admin, date(2026, 12, 9))
    return s


def test_timeline_cancel_preview_and_summary_show_the_new_version(admin):
    s = _subscribed(admin)
    v2 = plans.create_plan_version(admin, "gold-monthly", {"amount": 3400},
                                   scope="new_and_existing", now=berlin(2026, 12, 10),
                                       expected_row_version=plans.get_plan(admin, "gold-monthly").row_version).plan
    now = berlin(2026, 12, 10, 12)
    sub = subs.get_subscription(admin, s.id, at=now)
    assert (sub.pending_change_at, sub.pending_plan_name, sub.pending_plan_version,
            sub.pending_period_amount, sub.pending_period_text) == (
        berlin(2027, 1, 1), "Gold membership (monthly)", 2, 3400, "per month")
    assert (sub.period_amount, sub.period_text) == (2900, "per month")

    tl = subscription_timeline(admin, s.id, at=now)
    upcoming = [(e.at, e.amount, e.plan_version) for e in tl.events if e.kind == "invoice"]
    assert upcoming == [(berlin(2027, 1, 1), 3400, 2), (berlin(2027, 2, 1), 3400, 2),
                        (berlin(2027, 3, 1), 3400, 2)]
    change = next(e for e in tl.events if e.kind == "plan_change")
    assert (change.at, change.plan_version, change.period_amount, change.currency) == (
        berlin(2027, 1, 1), 2, 3400, "EUR")

    preview = subs.preview_cancellation(admin, s.id, at=now)
    # One period's notice after the current one: ends 1 Feb, January billed at the new price.
    assert preview.expires == berlin(2027, 2, 1)
    assert [(i.issued, i.amount, i.plan_version) for i in preview.invoices] == [
        (berlin(2027, 1, 1), 3400, 2)]
    assert v2.version == 2


@pytest.mark.parametrize("changes, cancel_at", [
    ({"amount": 3400}, None),
    ({"amount": 3400}, berlin(2027, 2, 10)),
    ({"amount": 12000, "schedule_fixed_day": 15}, None),  # re-anchored on the 15th
    ({"amount": 9900, "schedule_type": "month_startdate", "interval_length": 12,
      "schedule_fixed_day": None}, None),  # monthly → yearly
    ({"fixed_count": 4, "subscription_duration": "fixed_count"}, None),
])
def test_projection_equals_what_the_billing_run_creates(admin, changes, cancel_at):
    s = _subscribed(admin)
    plans.create_plan_version(admin, "gold-monthly", changes, scope="new_and_existing",
                              now=berlin(2026, 12, 10),
                                  expected_row_version=plans.get_plan(admin, "gold-monthly").row_version)
    now = berlin(2026, 12, 10, 12)
    if cancel_at is not None:
        # Cancelled after the move: the preview at that moment, then the real cancel.
        run_billing(admin, cancel_at.date())
        projected = subs.preview_cancellation(admin, s.id, at=cancel_at).invoices
        subs.cancel_subscription(admin, s.id, at=cancel_at, now=cancel_at)
    else:
        tl = subscription_timeline(admin, s.id, at=now, upcoming=6)
        projected = [e for e in tl.events if e.kind == "invoice"]
    billed_before = len(invoices.list_invoices(admin, subscription_id=s.id))
    run_billing(admin, date(2030, 12, 31))
    created = invoices.list_invoices(admin, subscription_id=s.id)[billed_before:]
    n = len(projected)
    assert n > 0
    got = [(i.issued, i.amount, plans.get_plan_by_id(admin, i.plan_id).version)
           for i in created[:n]]
    want = [(getattr(p, "issued", None) or p.at, p.amount, p.plan_version) for p in projected]
    assert got == want
    if cancel_at is not None:
        assert len(created) == n  # nothing billed beyond what the preview said
