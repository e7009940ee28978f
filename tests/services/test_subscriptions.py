"""Subscriptions: create, cancel with preview, uncancel, expire, hold, change plan, guards."""

import pytest

from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.services import audit, contacts, invoices, plans
from core.services import subscriptions as subs
from core.services.billing_run import run_billing
from tests.services.billing_helpers import MONTHLY_1ST, berlin, contact


@pytest.fixture
def gold(admin):
    return plans.create_plan(admin, {**MONTHLY_1ST, "vat": "0.19"})


def _sub(ctx, **extra):
    data = {"contact_id": contact(ctx), "plan": "gold", "start": berlin(2026, 3, 14, 10)}
    return subs.create_subscription(ctx, {**data, **extra}, now=berlin(2026, 3, 14, 10))


def test_create_places_the_first_period_with_the_engine(agent, gold):
    s = _sub(agent, quantity=2)
    assert (s.state, s.quantity, s.plan_handle, s.plan_version) == ("active", 2, "gold", 1)
    # The invoice due at the start is stored at creation (14–31 Mar: 18/31 of 2 × 100.00).
    assert [(i.number, i.period_start, i.amount) for i in s.invoices] == [
        (f"{s.id:06d}-0001", berlin(2026, 3, 14, 10), 11613)]
    assert s.invoice_count == 1 and s.next_invoice_at == berlin(2026, 4, 1)
    assert s.timezone == "Europe/Berlin"


def test_naive_start_is_local_time_in_the_account_zone(admin, gold):
    from datetime import datetime

    subs.set_account_timezone(admin, "Europe/Rome")
    s = subs.create_subscription(admin, {"contact_id": contact(admin), "plan": "gold",
                                         "start": datetime(2026, 7, 1, 9)})
    assert s.timezone == "Europe/Rome" and s.start.hour == 7  # 09:00 CEST = 07:00 UTC


def test_trial_subscription_is_in_trial_until_it_ends(agent, admin):
    plans.create_plan(admin, {**MONTHLY_1ST, "trial_interval_length": 7,
                              "trial_interval_unit": "days"})
    s = _sub(agent)
    assert s.state == "trial" and s.trial_end == berlin(2026, 3, 21, 10)
    assert subs.get_subscription(agent, s.id, at=berlin(2026, 3, 22)).state == "active"
    assert _sub(agent, no_trial=True).trial_end is None


def test_bad_input_is_refused_per_field(agent, gold):
    with pytest.raises(ValidationFailed) as exc:
        subs.create_subscription(agent, {"contact_id": 999, "plan": "gold"})
    assert "contact_id" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        subs.create_subscription(agent, {"contact_id": contact(agent), "plan": "gold",
                                         "quantity": 0})
    assert "quantity" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        subs.create_subscription(agent, {"contact_id": contact(agent), "plan": "nope"})
    assert "plan" in exc.value.fields


def test_viewer_cannot_subscribe(viewer, gold, admin):
    with pytest.raises(PermissionDenied):
        subs.create_subscription(viewer, {"contact_id": contact(admin), "plan": "gold"})


def test_cancel_mid_month_pends_until_period_end_with_preview(agent, gold):
    s = _sub(agent)
    preview = subs.preview_cancellation(agent, s.id, at=berlin(2026, 5, 16, 12))
    assert preview.expires == berlin(2026, 6, 1)
    assert preview.last_period_start == berlin(2026, 5, 1)
    # The first invoice was stored at creation: the preview lists those still to come.
    assert [i.amount for i in preview.invoices] == [10000, 10000]
    c = subs.cancel_subscription(agent, s.id, at=berlin(2026, 5, 16, 12),
                                 now=berlin(2026, 5, 16, 12))
    assert (c.state, c.expires) == ("pending_cancellation", berlin(2026, 6, 1))
    with pytest.raises(ValidationFailed):
        subs.cancel_subscription(agent, s.id, now=berlin(2026, 5, 17))
    u = subs.uncancel_subscription(agent, s.id, now=berlin(2026, 5, 18))
    assert (u.state, u.expires, u.cancelled_at) == ("active", None, None)
    actions = [h.action for h in audit.history(agent, "subscription", s.id)]
    assert actions == ["uncancel", "cancel", "create"]


def test_cancel_with_notice_period_runs_past_the_current_period(admin, agent):
    plans.create_plan(admin, {"handle": "gold", "name": "Gold", "amount": 10000,
                              "schedule_type": "month_startdate", "notice_periods": 1})
    s = subs.create_subscription(agent, {"contact_id": contact(agent), "plan": "gold",
                                         "start": berlin(2025, 1, 15)}, now=berlin(2025, 1, 15))
    c = subs.cancel_subscription(agent, s.id, at=berlin(2025, 3, 2), now=berlin(2025, 3, 2))
    assert c.expires == berlin(2025, 4, 15)


def test_cancelled_subscription_ends_after_the_billing_run(agent, gold):
    s = _sub(agent)
    subs.cancel_subscription(agent, s.id, at=berlin(2026, 4, 10), now=berlin(2026, 4, 10))
    run_billing(agent, berlin(2026, 6, 30).date())
    assert subs.get_subscription(agent, s.id, at=berlin(2026, 6, 1)).state == "cancelled"
    numbers = [i.period_end for i in invoices.list_invoices(agent, subscription_id=s.id)]
    assert numbers == [berlin(2026, 4, 1), berlin(2026, 5, 1)]


def test_expire_now_stops_billing(agent, gold):
    s = _sub(agent)
    e = subs.expire_subscription(agent, s.id, now=berlin(2026, 4, 10))
    assert (e.state, e.expire_reason, e.expires) == ("expired", "ondemand", berlin(2026, 4, 10))
    summary = run_billing(agent, berlin(2026, 12, 31).date())
    assert summary.invoices == 1  # April (14 Mar–1 Apr was stored at creation)
    with pytest.raises(ValidationFailed):
        subs.expire_subscription(agent, s.id, now=berlin(2026, 4, 11))


def test_hold_and_reactivate_inside_the_paid_period_continues_the_schedule(agent, gold):
    s = _sub(agent)
    run_billing(agent, berlin(2026, 4, 5).date())
    h = subs.put_on_hold(agent, s.id, now=berlin(2026, 4, 10))
    assert h.state == "on_hold" and h.next_invoice_at is None
    assert run_billing(agent, berlin(2026, 8, 31).date()).invoices == 0
    with pytest.raises(ValidationFailed):
        subs.cancel_subscription(agent, s.id, now=berlin(2026, 4, 11))
    r = subs.reactivate_subscription(agent, s.id, now=berlin(2026, 4, 20))
    assert (r.state, r.next_invoice_at) == ("active", berlin(2026, 5, 1))


def test_reactivate_after_the_paid_period_restarts_billing_now(agent, gold):
    s = _sub(agent)
    run_billing(agent, berlin(2026, 4, 5).date())
    subs.put_on_hold(agent, s.id, now=berlin(2026, 4, 10))
    r = subs.reactivate_subscription(agent, s.id, now=berlin(2026, 6, 10, 9))
    assert r.next_invoice_at == berlin(2026, 6, 10, 9)
    run_billing(agent, berlin(2026, 6, 30).date())
    last = invoices.list_invoices(agent, subscription_id=s.id)[-1]
    # 10–30 June of 30 days, whole days counted: 21/30 of 100.00.
    assert (last.period_start, last.period_end, last.amount) == (
        berlin(2026, 6, 10, 9), berlin(2026, 7, 1), 7000)


def test_hold_is_refused_in_trial(admin, agent):
    plans.create_plan(admin, {**MONTHLY_1ST, "trial_interval_length": 1,
                              "trial_interval_unit": "months"})
    s = _sub(agent)
    with pytest.raises(ValidationFailed):
        subs.put_on_hold(agent, s.id, now=berlin(2026, 3, 20))


def test_change_plan_at_renewal_applies_at_the_next_period(admin, agent, gold):
    plans.create_plan(admin, {**MONTHLY_1ST, "handle": "silver", "name": "Silver",
                              "amount": 5000})
    s = _sub(agent)
    res = subs.change_plan(agent, s.id, plan="silver", timing="renewal",
                           at=berlin(2026, 4, 10), now=berlin(2026, 4, 10),
                           expected_row_version=s.row_version)
    assert res.change_at == berlin(2026, 5, 1) and res.invoice is None
    run_billing(agent, berlin(2026, 5, 31).date())
    amounts = [(i.period_start, i.amount) for i in
               invoices.list_invoices(agent, subscription_id=s.id)]
    assert amounts == [(berlin(2026, 3, 14, 10), 5806), (berlin(2026, 4, 1), 10000),
                       (berlin(2026, 5, 1), 5000)]
    assert subs.get_subscription(agent, s.id).plan_handle == "silver"


def test_immediate_change_bills_the_rest_prorated_with_a_credit(admin, agent, gold):
    plans.create_plan(admin, {**MONTHLY_1ST, "handle": "platinum", "name": "Platinum",
                              "amount": 30000, "vat": "0.19"})
    s = _sub(agent)
    res = subs.change_plan(agent, s.id, plan="platinum", timing="immediate",
                           compensation="prorated_credit", at=berlin(2026, 4, 16),
                           now=berlin(2026, 4, 16), expected_row_version=s.row_version)
    inv = res.invoice
    # The change caught billing up first: March (partial) and April are invoiced on Gold.
    # 16–30 April = 15 of 30 days: +150.00 Platinum, −50.00 unused Gold.
    assert inv.kind == "change" and inv.number.endswith("-0003")
    assert [(line.kind, line.gross) for line in inv.lines] == [
        ("prorated_plan", 15000), ("credit", -5000)]
    assert inv.amount == 10000
    run_billing(agent, berlin(2026, 5, 31).date())
    last = invoices.list_invoices(agent, subscription_id=s.id)[-1]
    assert (last.period_start, last.amount, last.kind) == (berlin(2026, 5, 1), 30000, "plan")


def test_stale_row_version_is_a_conflict(agent, gold):
    s = _sub(agent)
    subs.cancel_subscription(agent, s.id, now=berlin(2026, 3, 20))
    with pytest.raises(Conflict):
        subs.uncancel_subscription(agent, s.id, expected_row_version=s.row_version)


def test_contact_with_a_live_subscription_cannot_be_deleted(agent, gold):
    s = _sub(agent)
    c = contacts.get_contact(agent, s.contact_id)
    with pytest.raises(ValidationFailed) as exc:
        contacts.delete_contact(agent, c.id, expected_version=c.version)
    assert "live subscription" in exc.value.fields["_"]
    subs.expire_subscription(agent, s.id, now=berlin(2026, 3, 15))
    with pytest.raises(ValidationFailed) as exc:
        contacts.delete_contact(agent, c.id, expected_version=c.version)
    assert "billing history" in exc.value.fields["_"]
    free = contact(agent)
    contacts.delete_contact(agent, free, expected_version=1)


def test_a_cancellation_dated_before_the_invoiced_period_is_refused(db, admin):
    """Created on 14 Mar and billed to December, then 'cancelled on 20 Mar': refused, since
    months after that date are invoiced already; a cancellation dated now is accepted."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from core.errors import ValidationFailed

    berlin = ZoneInfo("Europe/Berlin")
    plans.create_plan(admin, {"handle": "m1", "name": "Monthly on the 1st", "amount": 10000,
                              "schedule_type": "month_fixedday", "schedule_fixed_day": 1})
    cid = contacts.create_contact(admin, {"name": "Early Bird", "email": "early@example.com"}).id
    now = datetime(2026, 12, 2, 12, tzinfo=berlin)
    sub = subs.create_subscription(admin, {"contact_id": cid, "plan": "m1",
                                           "start": datetime(2026, 3, 14, tzinfo=berlin)},
                                   now=now)
    with pytest.raises(ValidationFailed) as err:
        subs.cancel_subscription(admin, sub.id, at=datetime(2026, 3, 20, 12, tzinfo=berlin),
                                 now=now)
    assert "cannot be dated before the current period" in str(err.value)
    assert subs.get_subscription(admin, sub.id).cancelled_at is None
    out = subs.cancel_subscription(admin, sub.id, at=now, now=now)
    assert out.state == "pending_cancellation"
