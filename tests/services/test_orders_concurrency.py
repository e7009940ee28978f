"""Two agents at once on one order (threads, each with its own session): one payment, one
refusal, never a second access; two orders created at once get distinct numbers. SQLite and
PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from core.errors import Conflict, ValidationFailed
from core.models import Access, Order
from core.services import orders
from tests.services.billing_helpers import berlin, contact
from tests.services.commerce_rows import product_with_offer

AT = berlin(2026, 3, 14, 10)


def _race(fn, n=2):
    """Run `fn` in n threads released together; their results or errors."""
    barrier = threading.Barrier(n)
    out: list = [None] * n

    def run(i):
        barrier.wait()
        try:
            out[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 — the refusal is the result looked at
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def test_two_agents_paying_one_order_give_one_access_and_one_refusal(db, admin, agent):
    with db.transaction() as s:
        handle = product_with_offer(s, price=4900).handle
    made = orders.create_order(admin, {"contact_id": contact(admin), "offer": handle,
                                       "payment": "pending"}, now=AT)
    number = made.order.number
    ctxs = [admin, agent]
    results = _race(lambda i: orders.pay_order(ctxs[i], number, at=AT))
    paid = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(paid) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], (ValidationFailed, Conflict))
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Access)) == 1


def test_orders_created_at_once_get_distinct_sequential_numbers(db, admin, agent):
    with db.transaction() as s:
        handle = product_with_offer(s, price=4900).handle
    cid = contact(admin)
    ctxs = [admin, agent, admin, agent]
    results = _race(lambda i: orders.create_order(ctxs[i], {"contact_id": cid,
                                                           "offer": handle}, now=AT), n=4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.order.number for r in results) == [1, 2, 3, 4]
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 4
