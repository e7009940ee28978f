"""Property: the engine's projection of a scheduled plan move (`engine.project`, used by the
timeline, the cancellation preview and the subscription screen) gives exactly the invoices
the billing run's `advance` creates, however the run is split into runs at random moments."""

from dataclasses import replace
from datetime import timedelta
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from core.billing import PendingMove, project, start_subscription, version_switch_at
from core.services.billing_run import advance
from tests.core.billing.test_billing_properties import BERLIN, plan_terms, starts


@settings(max_examples=80, deadline=None)
@given(plan_terms(), plan_terms(), starts, st.integers(0, 400), st.integers(0, 300),
       st.lists(st.integers(0, 900), max_size=4))
def test_projection_equals_the_billing_runs_invoices(old, new, start, billed_days,
                                                     publish_days, run_days):
    start = start.replace(tzinfo=BERLIN)
    new = replace(new, name="New")
    terms = {1: old, 2: new}

    def terms_for(plan_id, amount):
        return terms[plan_id]

    state = start_subscription(old, start)
    row = SimpleNamespace(id=1, contact_id=1, plan_id=1, amount=None, expire_reason=None,
                          billing_state=state.to_storage_dict(), pending_plan_id=None,
                          pending_change_at=None, invoice_count=0)

    def run(upto):
        adv = advance(row, terms_for, upto, upto, "t")
        for key, value in adv.values.items():
            setattr(row, key, value)
        return adv.invoices

    billed = run(start + timedelta(days=billed_days))
    publish = start + timedelta(days=billed_days + publish_days)
    from core.billing import SubscriptionState

    current = SubscriptionState.from_json_dict(row.billing_state)
    switch = version_switch_at(old, current, publish)
    if switch is not None:
        row.pending_plan_id, row.pending_change_at = 2, switch
    horizon = start + timedelta(days=1300)
    move = PendingMove(switch, new) if switch is not None else None
    projected = [(s.invoice.issued, s.invoice.period_start, s.invoice.period_end,
                  s.invoice.amount, 2 if s.moved else 1)
                 for s in project(old, current, horizon, move)]
    created = []
    for moment in sorted({start + timedelta(days=d) for d in run_days} | {horizon}):
        if moment >= publish:
            created += run(moment)
    got = [(i["issued"], i["period_start"], i["period_end"], i["amount"], i["plan_id"])
           for i in created]
    assert got == projected
    assert len(billed) + len(got) == row.invoice_count
