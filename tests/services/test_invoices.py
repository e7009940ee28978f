"""Invoices: unique per (subscription, period, kind); payments recorded by hand."""

import pytest
from sqlalchemy.exc import IntegrityError

from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.models import Invoice
from core.services import invoices, plans
from core.services import subscriptions as subs
from core.services.billing_run import run_billing
from tests.services.billing_helpers import MONTHLY_1ST, berlin, contact


@pytest.fixture
def billed(admin, agent):
    plans.create_plan(admin, {**MONTHLY_1ST, "vat": "0.19", "amount_incl_vat": False,
                              "setup_fee": 5000, "setup_fee_handling": "first"})
    s = subs.create_subscription(agent, {"contact_id": contact(agent), "plan": "gold",
                                         "start": berlin(2026, 3, 1)}, now=berlin(2026, 3, 1))
    run_billing(agent, berlin(2026, 4, 30).date())
    return s


def test_lines_carry_net_vat_gross(agent, billed):
    first, second = invoices.list_invoices(agent, subscription_id=billed.id)
    assert first.number == f"{billed.id:06d}-0001"
    assert [(line.kind, line.net, line.vat, line.gross) for line in first.lines] == [
        ("plan", 10000, 1900, 11900), ("setup_fee", 5000, 950, 5950)]
    assert (first.net, first.vat_amount, first.amount) == (15000, 2850, 17850)
    assert second.amount == 11900 and second.state == "open"


def test_record_payment_and_failed_payment(agent, billed):
    first, second = invoices.list_invoices(agent, subscription_id=billed.id)
    paid = invoices.record_payment(agent, first.number, at=berlin(2026, 3, 3))
    assert (paid.state, paid.paid_at) == ("paid", berlin(2026, 3, 3))
    failed = invoices.record_failed_payment(agent, second.number)
    assert failed.state == "failed"
    assert invoices.record_payment(agent, second.number).state == "paid"
    with pytest.raises(ValidationFailed):
        invoices.record_failed_payment(agent, first.number)
    with pytest.raises(Conflict):
        invoices.credit_invoice(agent, first.number, expected_row_version=first.row_version)


def test_viewer_cannot_record_payments(viewer, billed):
    with pytest.raises(PermissionDenied):
        invoices.record_payment(viewer, f"{billed.id:06d}-0001")


def test_the_database_refuses_a_second_invoice_for_the_same_period(db, agent, billed):
    first = invoices.list_invoices(agent, subscription_id=billed.id)[0]
    with pytest.raises(IntegrityError), db.transaction() as s:
        row = s.get(Invoice, first.id)
        s.add(Invoice(number="dup", subscription_id=row.subscription_id,
                      contact_id=row.contact_id, plan_id=row.plan_id, kind=row.kind,
                      period_key=row.period_key, issued=row.issued, currency="EUR",
                      lines=[], net=0, vat_amount=0, amount=0, state="open",
                      updated_by="x"))
        s.flush()


def test_the_invoice_table_is_shipped_and_two_payments_at_once_record_one(agent, billed):
    import threading

    first = invoices.list_invoices(agent, subscription_id=billed.id)[0]
    assert first.allowed_actions == {"record_payment": None, "record_failed_payment": None,
                                     "credit": None}
    barrier = threading.Barrier(2)
    results: list[object] = []

    def pay() -> None:
        barrier.wait()
        try:
            results.append(invoices.record_payment(agent, first.number,
                                                   at=berlin(2026, 3, 3)))
        except (ValidationFailed, Conflict) as exc:
            results.append(exc)

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], ValidationFailed)
    assert refused[0].fields == {"state": "A paid invoice cannot become paid."}
    paid = invoices.get_invoice(agent, first.number)
    assert paid.state == "paid" and paid.row_version == first.row_version + 1
    assert paid.allowed_actions["credit"] == "A paid invoice cannot become credited."
