"""SPEC §7.1 rule 7 worked examples in the engine: contract-terms notice runs from the
cancellation; Reepay's fixation_periods with and without fixation_periods_full."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.billing import cancellation_expiry, simulate, start_subscription
from core.schemas.plans import from_reepay
from tests.core.billing.notice_examples import EXAMPLES

BERLIN = ZoneInfo("Europe/Berlin")


def b(moment: datetime) -> datetime:
    return moment.replace(tzinfo=BERLIN)


@pytest.mark.parametrize("ex", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_worked_example(ex):
    _inp, terms = from_reepay(ex.plan)
    sim = simulate(terms, b(ex.start), b(ex.expires), cancel_at=b(ex.cancel_at))
    assert sim.subscription.expires == b(ex.expires)
    assert [i.amount for i in sim.invoices if i.kind == "plan"] == ex.amounts
    assert sim.subscription.state == "cancelled"
    state = start_subscription(terms, b(ex.start))
    assert cancellation_expiry(terms, state, b(ex.cancel_at)) == b(ex.expires)


def test_the_last_partial_period_of_a_notice_from_t_is_prorated_and_ends_at_expiry():
    ex = next(e for e in EXAMPLES if e.id == "monthly-notice-without-contract")
    _inp, terms = from_reepay(ex.plan)
    sim = simulate(terms, b(ex.start), b(ex.expires), cancel_at=b(ex.cancel_at))
    last = sim.invoices[-1]
    assert (last.period_start, last.period_end) == (b(datetime(2026, 4, 1)), b(ex.expires))
    assert last.lines[0].prorated
