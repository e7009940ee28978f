"""The rule 7 worked examples through the services and the billing run (SQLite and PostgreSQL):
a cancellation stored by the service gives the stated expiry and the run bills to it."""

import pytest

from core.services import invoices, plans
from core.services import subscriptions as subs
from core.services.billing_run import run_billing
from tests.core.billing.notice_examples import EXAMPLES
from tests.services.billing_helpers import BERLIN, contact


def b(moment):
    return moment.replace(tzinfo=BERLIN)


@pytest.mark.parametrize("ex", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_billing_run_bills_to_the_worked_examples_expiry(admin, ex):
    plans.create_plan(admin, ex.plan)
    s = subs.create_subscription(admin, {"contact_id": contact(admin), "plan": ex.plan["handle"],
                                         "start": b(ex.start)}, now=b(ex.start))
    preview = subs.preview_cancellation(admin, s.id, at=b(ex.cancel_at))
    assert preview.expires == b(ex.expires)
    cancelled = subs.cancel_subscription(admin, s.id, at=b(ex.cancel_at), now=b(ex.cancel_at))
    assert cancelled.expires == b(ex.expires)
    run_billing(admin, b(ex.expires).date())
    got = invoices.list_invoices(admin, subscription_id=s.id)
    assert [i.amount for i in got] == ex.amounts
    assert got[-1].period_end == b(ex.expires)
    after = subs.get_subscription(admin, s.id, at=b(ex.expires))
    assert after.state == "cancelled" and after.expires == b(ex.expires)
