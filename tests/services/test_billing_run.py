"""Billing run: worked examples, idempotency, chunking, version moves, agreement with simulate."""

from datetime import date

import pytest

from core.billing import simulate
from core.services import invoices, plans
from core.services import subscriptions as subs
from core.services.billing_run import run_billing
from tests.services.billing_helpers import BERLIN, MONTHLY_1ST, berlin, contact, dump


def test_worked_example_prorated_first_month_then_full_months(admin):
    """100.00 monthly on day 1, start 14 March 10:00: 18/31 → 58.06, then 100.00 (§7.1 r2)."""
    plans.create_plan(admin, MONTHLY_1ST)
    s = subs.create_subscription(admin, {"contact_id": contact(admin), "plan": "gold",
                                         "start": berlin(2026, 3, 14, 10)}, now=berlin(2026, 3, 14, 10))
    assert [i.amount for i in s.invoices] == [5806]  # stored at creation
    summary = run_billing(admin, date(2026, 5, 31))
    assert (summary.subscriptions, summary.invoices, summary.periods) == (1, 2, 2)
    assert summary.amount_by_currency == {"EUR": 20000}
    got = [(i.number, i.issued, i.period_start, i.period_end, i.amount)
           for i in invoices.list_invoices(admin, subscription_id=s.id)]
    assert got == [
        (f"{s.id:06d}-0001", berlin(2026, 3, 14, 10), berlin(2026, 3, 14, 10),
         berlin(2026, 4, 1), 5806),
        (f"{s.id:06d}-0002", berlin(2026, 4, 1), berlin(2026, 4, 1), berlin(2026, 5, 1), 10000),
        (f"{s.id:06d}-0003", berlin(2026, 5, 1), berlin(2026, 5, 1), berlin(2026, 6, 1), 10000),
    ]
    assert subs.get_subscription(admin, s.id).next_invoice_at == berlin(2026, 6, 1)


def test_second_run_creates_nothing(db, admin):
    plans.create_plan(admin, MONTHLY_1ST)
    for day in range(1, 8):
        subs.create_subscription(admin, {"contact_id": contact(admin), "plan": "gold",
                                         "start": berlin(2026, 1, day)}, now=berlin(2026, 1, day))
    first = run_billing(admin, date(2026, 6, 30), chunk=3)
    before = dump(db)
    again = run_billing(admin, date(2026, 6, 30), chunk=3)
    assert first.invoices == 7 * 5 and first.chunks == 3  # January was billed at creation
    assert (again.subscriptions, again.invoices) == (0, 0)
    assert dump(db) == before


def test_setup_fee_trial_and_separate_invoice(admin):
    plans.create_plan(admin, {**MONTHLY_1ST, "setup_fee": 2500, "setup_fee_handling":
                              "separate_conditional", "trial_interval_length": 7,
                              "trial_interval_unit": "days"})
    s = subs.create_subscription(admin, {"contact_id": contact(admin), "plan": "gold",
                                         "start": berlin(2026, 3, 14, 10)}, now=berlin(2026, 3, 14, 10))
    assert [i.kind for i in s.invoices] == ["setup_fee"]  # due at the start: stored then
    summary = run_billing(admin, date(2026, 4, 1))
    assert (summary.setup_fees, summary.periods) == (0, 2)
    kinds = [(i.kind, i.amount) for i in invoices.list_invoices(admin, subscription_id=s.id)]
    # Trial to 21 March; then 21 March–1 April (11 of 31 days) and April.
    assert kinds == [("setup_fee", 2500), ("plan", 3548), ("plan", 10000)]
    assert subs.get_subscription(admin, s.id, at=berlin(2026, 3, 15)).state == "trial"


def test_fixed_count_instalments_expire_after_the_last_period(admin):
    plans.create_plan(admin, {"handle": "six", "name": "Six instalments", "amount": 5000,
                              "schedule_type": "month_startdate", "fixed_count": 6})
    s = subs.create_subscription(admin, {"contact_id": contact(admin), "plan": "six",
                                         "start": berlin(2026, 1, 31)}, now=berlin(2026, 1, 31))
    run_billing(admin, date(2026, 12, 31))
    got = invoices.list_invoices(admin, subscription_id=s.id)
    assert [i.period_start.astimezone(BERLIN).date() for i in got] == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30),
        date(2026, 5, 31), date(2026, 6, 30)]
    after = subs.get_subscription(admin, s.id)
    assert (after.state, after.expires) == ("expired", berlin(2026, 7, 31))


def test_version_move_applies_at_the_next_period_in_the_run(admin):
    plans.create_plan(admin, MONTHLY_1ST)
    s = subs.create_subscription(admin, {"contact_id": contact(admin), "plan": "gold",
                                         "start": berlin(2026, 3, 1)}, now=berlin(2026, 3, 1))
    run_billing(admin, date(2026, 3, 31))
    v2 = plans.create_plan_version(admin, "gold", {"amount": 12000, "schedule_fixed_day": 15},
                                   scope="new_and_existing", now=berlin(2026, 3, 20),
                                       expected_row_version=plans.get_plan(admin, "gold").row_version).plan
    summary = run_billing(admin, date(2026, 5, 31))
    assert summary.version_moves == 1
    got = [(i.plan_id, i.period_start, i.period_end, i.amount)
           for i in invoices.list_invoices(admin, subscription_id=s.id)]
    # Moves on 1 April; the new schedule (day 15) re-anchors: 1–15 April prorated over the
    # full period ending on 15 April (15 March–15 April, 31 days): 14/31 of 120.00.
    assert got[1:] == [
        (v2.id, berlin(2026, 4, 1), berlin(2026, 4, 15), 5419),
        (v2.id, berlin(2026, 4, 15), berlin(2026, 5, 15), 12000),
        (v2.id, berlin(2026, 5, 15), berlin(2026, 6, 15), 12000)]
    after = subs.get_subscription(admin, s.id)
    assert (after.plan_version, after.pending_plan_id) == (2, None)


def test_bad_until_is_refused(admin):
    from core.errors import ValidationFailed
    from core.services.billing_run import parse_until

    with pytest.raises(ValidationFailed):
        parse_until("31.05.2026")


@pytest.mark.parametrize("plan, start, until, cancel_at", [
    (MONTHLY_1ST, (2026, 3, 14, 10), date(2026, 9, 30), None),
    ({**MONTHLY_1ST, "partial_period_handling": "no_bill"}, (2026, 3, 14), date(2026, 6, 1),
     None),
    ({**MONTHLY_1ST, "partial_proration_days": False, "minimum_prorated_amount": 6000},
     (2026, 3, 14, 10), date(2026, 6, 1), None),
    ({"handle": "w", "name": "Weekly", "amount": 700, "schedule_type": "weekly_fixedday",
      "schedule_fixed_day": 1, "interval_length": 2}, (2026, 3, 25, 17), date(2026, 7, 1),
     (2026, 5, 5)),
    ({"handle": "q", "name": "Quarterly", "amount": 29900, "schedule_type": "month_fixedday",
      "schedule_fixed_day": 1, "interval_length": 3, "base_month": 1, "vat": "0.25"},
     (2026, 2, 10), date(2027, 3, 1), None),
    ({"handle": "l", "name": "Last day", "amount": 990, "schedule_type": "month_lastday",
      "setup_fee": 500, "setup_fee_handling": "separate", "notice_periods": 1},
     (2026, 1, 31, 23, 30), date(2026, 8, 1), (2026, 3, 3)),
    ({"handle": "d", "name": "Daily", "amount": 100, "schedule_type": "daily",
      "interval_length": 10, "fixed_life_time_length": 2, "fixed_life_time_unit": "months"},
     (2026, 3, 29, 1, 30), date(2026, 8, 1), None),
    ({"handle": "c", "name": "Contract", "amount": 4900, "schedule_type": "month_startdate",
      "contract_period_length": 12, "contract_period_unit": "months",
      "notice_period_length": 3, "notice_period_unit": "months",
      "notice_periods_after_current": False, "trial_interval_length": 1,
      "trial_interval_unit": "months", "amount_incl_vat": False, "vat": "0.19"},
     (2026, 1, 31), date(2027, 6, 1), (2026, 11, 20)),
])
def test_billing_run_agrees_with_simulate(admin, plan, start, until, cancel_at):
    plans.create_plan(admin, plan)
    s = subs.create_subscription(admin, {"contact_id": contact(admin), "plan": plan["handle"],
                                         "start": berlin(*start), "quantity": 2}, now=berlin(*start))
    if cancel_at:
        subs.cancel_subscription(admin, s.id, at=berlin(*cancel_at), now=berlin(*cancel_at))
    run_billing(admin, until)
    sim = simulate(plans.to_terms(plans.get_plan(admin, plan["handle"])), berlin(*start), until,
                   quantity=2, cancel_at=berlin(*cancel_at) if cancel_at else None)
    expected = [inv.to_json_dict() for inv in sim.invoices]
    got = invoices.list_invoices(admin, subscription_id=s.id)
    assert len(got) == len(expected) > 0
    for inv, exp in zip(got, expected):
        assert inv.issued.astimezone(BERLIN).isoformat() == exp["issued"]
        assert inv.period_end is None or (
            inv.period_end.astimezone(BERLIN).isoformat() == exp["period_end"])
        assert (inv.amount, inv.vat_amount) == (exp["amount"], exp["vat_amount"])
        assert [line.gross for line in inv.lines] == [line["amount"] for line in exp["lines"]]
