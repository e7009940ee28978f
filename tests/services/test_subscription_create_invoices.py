"""Creating a subscription stores every invoice due by then with the billing run's key,
numbering and state advance (a run to the same moment adds nothing); its preview is the
same code, rolled back; both agree with `kontor simulate`."""

from datetime import date

import pytest

from core.billing import simulate
from core.services import invoices, plans
from core.services import subscriptions as subs
from core.services.billing_run import run_billing
from tests.services.billing_helpers import BERLIN, MONTHLY_1ST, berlin, contact, dump

PLANS = [
    MONTHLY_1ST,  # prorated first period
    {**MONTHLY_1ST, "handle": "fee", "setup_fee": 2500, "setup_fee_handling": "separate"},
    {**MONTHLY_1ST, "handle": "trial", "setup_fee": 900,
     "setup_fee_handling": "separate_conditional", "trial_interval_length": 14,
     "trial_interval_unit": "days"},
    {**MONTHLY_1ST, "handle": "zero", "partial_period_handling": "bill_zero_amount"},
    {**MONTHLY_1ST, "handle": "nobill", "partial_period_handling": "no_bill"},
    {"handle": "yearly", "name": "Yearly", "amount": 29000, "vat": "0.19",
     "schedule_type": "month_startdate", "interval_length": 12, "setup_fee": 4900},
]
START = berlin(2026, 3, 14, 10)


@pytest.mark.parametrize("plan", PLANS, ids=[p["handle"] for p in PLANS])
@pytest.mark.parametrize("created_at", [START, berlin(2026, 5, 20, 8)],
                         ids=["at-start", "backdated"])
def test_create_stores_what_is_due_and_a_run_to_then_adds_nothing(db, admin, plan, created_at):
    plans.create_plan(admin, plan)
    data = {"contact_id": contact(admin), "plan": plan["handle"], "start": START}
    preview = subs.preview_subscription(admin, data, now=created_at)
    assert invoices.list_invoices(admin) == []  # the preview saved nothing
    s = subs.create_subscription(admin, data, now=created_at)
    sim = simulate(plans.to_terms(plans.get_plan(admin, plan["handle"])), START, created_at)
    expected = [(i.issued, i.period_start, i.amount) for i in sim.invoices]
    assert [(i.issued, i.period_start, i.amount) for i in s.invoices] == expected
    assert [i.number for i in s.invoices] == [f"{s.id:06d}-{n:04d}"
                                              for n in range(1, len(expected) + 1)]
    assert s.invoice_count == len(expected)
    assert [(i.issued, i.period_start, i.amount) for i in preview.due_now] == expected
    assert (preview.trial_end, preview.first_period_start) == (s.trial_end,
                                                               sim.subscription.first_period_start)
    before = dump(db)
    again = run_billing(admin, created_at)
    assert (again.subscriptions, again.invoices) == (0, 0)
    assert dump(db) == before
    # Later runs continue exactly as `simulate` does, starting with the preview's next ones.
    run_billing(admin, date(2026, 9, 30))
    got = invoices.list_invoices(admin, subscription_id=s.id)
    full = simulate(plans.to_terms(plans.get_plan(admin, plan["handle"])), START,
                    date(2026, 9, 30))
    assert [(i.issued, i.period_start, i.amount) for i in got] == [
        (i.issued, i.period_start, i.amount) for i in full.invoices]
    later = [(i.issued, i.amount) for i in got[len(expected):]]
    upcoming = [(i.issued, i.amount) for i in preview.upcoming if i.issued < berlin(2026, 10, 1)]
    assert upcoming == later[:len(upcoming)] and len(preview.upcoming) == 3


def test_preview_worked_example(admin):
    plans.create_plan(admin, PLANS[2])
    p = subs.preview_subscription(admin, {"contact_id": contact(admin), "plan": "trial",
                                          "start": START}, now=START)
    # 14 days' trial to 28 Mar 10:00: the setup fee on its own at the start, then 28–31 Mar
    # prorated (4 of 31 days of 100.00) and April in full.
    assert (p.plan_name, p.plan_version, p.state) == ("Gold", 1, "trial")
    assert p.trial_end == berlin(2026, 3, 28, 10)
    assert (p.first_period_start, p.first_period_end) == (berlin(2026, 3, 28, 10),
                                                          berlin(2026, 4, 1))
    assert [(i.issued, i.amount, [line.kind for line in i.lines]) for i in p.due_now] == [
        (START, 900, ["setup_fee"])]
    assert [(i.issued, i.amount) for i in p.upcoming] == [
        (berlin(2026, 3, 28, 10), 1290), (berlin(2026, 4, 1), 10000),
        (berlin(2026, 5, 1), 10000)]
    assert p.start.astimezone(BERLIN) == START


def test_preview_refuses_bad_input_like_create(admin):
    from core.errors import ValidationFailed

    plans.create_plan(admin, MONTHLY_1ST)
    with pytest.raises(ValidationFailed) as exc:
        subs.preview_subscription(admin, {"contact_id": contact(admin), "plan": "nope"})
    assert "plan" in exc.value.fields
