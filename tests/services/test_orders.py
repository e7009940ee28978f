"""Orders (core/services/orders.py) on SQLite and PostgreSQL: worked examples with real dates
and amounts — one-time paid, pending then paid, external, subscription with a trial (nothing
billed at the start), instalments with fixed_count, refund and cancel."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core.errors import NotFound, ValidationFailed
from core.models import Access, AuditRecord, Invoice, Order, Subscription
from core.schemas.common import Window
from core.services import orders, plans
from core.services.settings import set_setting
from tests.services.billing_helpers import MONTHLY_1ST, berlin, contact
from tests.services.commerce_rows import product_with_offer

AT = berlin(2026, 3, 14, 10)


def _offer(db, **kw):
    with db.transaction() as s:
        offer = product_with_offer(s, **kw)
        return offer.handle


def _counts(db):
    with db.reading() as s:
        return (s.scalar(select(func.count()).select_from(Order)),
                s.scalar(select(func.count()).select_from(Access)),
                s.scalar(select(func.count()).select_from(Subscription)))


def test_one_time_paid_creates_order_and_access_with_vat_inside_the_price(db, admin):
    set_setting(admin, "default_vat", "0.19")
    handle = _offer(db, price=11900, template={"duration": {"length": 30, "unit": "days"}})
    cid = contact(admin)
    made = orders.create_order(admin, {"contact_id": cid, "offer": handle}, now=AT)
    o = made.order
    assert (o.number, o.status, o.total, o.currency, o.payment) == (1, "paid", 11900, "EUR",
                                                                     "one_time")
    (line,) = o.lines
    # 119.00 gross at 19 %: 19.00 VAT inside
    assert (line.unit_price, line.vat_bp, line.vat_amount, line.total) == (11900, 1900, 1900,
                                                                          11900)
    (pay,) = o.payments
    assert (pay.kind, pay.amount, pay.paid, pay.paid_at) == ("payment", 11900, True, AT)
    assert len(made.accesses) == 1 and made.subscriptions == []
    with db.reading() as s:
        access = s.get(Access, made.accesses[0])
        assert access.starts_at == AT and access.order_id == o.id
        assert access.ends_at == berlin(2026, 4, 13, 10)  # 30 days, same local time
    from core.services.contacts import contact_history

    (trail, *_rest) = contact_history(admin, cid)  # the card's History tab shows the order
    assert (trail.action, trail.after["order"], trail.after["offer"]) == (
        "order_create", 1, handle)
    assert o.allowed_actions["pay"] and o.allowed_actions["cancel"] is None
    assert o.allowed_actions["refund"] is None and o.allowed_actions["edit_access"] is None
    # the next order gets the next number
    again = orders.create_order(admin, {"contact_id": cid, "offer": handle, "price": 5000},
                                now=AT)
    assert again.order.number == 2 and again.order.total == 5000
    assert again.order.lines[0].price_override


def test_pending_creates_nothing_until_paid_then_pay_twice_is_refused(db, admin):
    handle = _offer(db, price=4900)
    cid = contact(admin)
    start = berlin(2026, 4, 1, 0)
    made = orders.create_order(admin, {"contact_id": cid, "offer": handle,
                                       "payment": "pending", "start": start}, now=AT)
    assert made.order.status == "pending" and made.accesses == []
    assert made.order.payments[0].paid is False
    assert made.order.allowed_actions["pay"] is None
    assert made.order.allowed_actions["refund"]  # a reason: not paid
    assert _counts(db) == (1, 0, 0)
    paid_at = berlin(2026, 3, 20, 9)
    paid = orders.pay_order(admin, made.order.number, at=paid_at)
    assert paid.order.status == "paid" and paid.order.paid_at == paid_at
    assert len(paid.accesses) == 1
    with db.reading() as s:
        assert s.get(Access, paid.accesses[0]).starts_at == start  # the start asked for
    with pytest.raises(ValidationFailed) as exc:
        orders.pay_order(admin, made.order.number, at=paid_at)
    assert "already paid" in str(exc.value)
    assert _counts(db) == (1, 1, 0)


def test_external_sale_counts_as_paid(db, admin):
    handle = _offer(db, price=9900)
    made = orders.create_order(admin, {"contact_id": contact(admin), "offer": handle,
                                       "payment": "external"}, now=AT)
    assert made.order.status == "paid" and made.order.external
    assert [(p.kind, p.paid) for p in made.order.payments] == [("external", True)]
    assert len(made.accesses) == 1


TRIAL = {**MONTHLY_1ST, "handle": "trialplan", "trial_interval_length": 14,
         "trial_interval_unit": "days"}


def test_subscription_with_trial_pays_nothing_at_the_start(db, admin):
    plans.create_plan(admin, TRIAL)
    handle = _offer(db, handle="club", payment="subscription", price=None,
                    plan_handle="trialplan")
    cid = contact(admin)
    preview = orders.preview_order(admin, {"contact_id": cid, "offer": handle}, now=AT)
    assert _counts(db) == (0, 0, 0)  # the preview saved nothing
    assert preview.total == 0 and len(preview.accesses) == 1
    (sp,) = preview.subscriptions
    assert sp.due_now == [] and sp.trial_end == berlin(2026, 3, 28, 10)
    # first invoice at trial end: 28 March to 1 April = 4 of 31 days of 100.00 → 12.90
    assert (sp.upcoming[0].issued, sp.upcoming[0].amount) == (berlin(2026, 3, 28, 10), 1290)
    made = orders.create_order(admin, {"contact_id": cid, "offer": handle}, now=AT)
    assert made.order.status == "paid" and made.order.total == 0
    assert made.order.payments == []  # nothing due at the start
    assert len(made.subscriptions) == 1 and made.order.subscriptions == made.subscriptions
    with db.reading() as s:
        access = s.get(Access, made.accesses[0])
        assert access.subscription_id == made.subscriptions[0] and access.ends_at is None


def test_subscription_first_period_is_paid_by_the_order(db, admin):
    plans.create_plan(admin, MONTHLY_1ST)
    handle = _offer(db, handle="gold", payment="subscription", price=None, plan_handle="gold")
    made = orders.create_order(admin, {"contact_id": contact(admin), "offer": handle}, now=AT)
    # 14 March to 1 April: 18 of 31 days of 100.00 → 58.06
    assert made.order.total == 5806
    (pay,) = made.order.payments
    assert (pay.kind, pay.amount, pay.paid, pay.due_at) == ("invoice", 5806, True, AT)
    with db.reading() as s:
        inv = s.scalar(select(Invoice).where(Invoice.subscription_id == made.subscriptions[0]))
        assert (inv.state, inv.paid_at, inv.number) == ("paid", AT, pay.invoice_number)


INSTALMENTS = {"handle": "three", "name": "Three payments", "amount": 10000,
               "schedule_type": "month_startdate", "interval_length": 1, "fixed_count": 3}


def test_instalments_one_payment_each_with_the_engines_due_dates(db, admin):
    plans.create_plan(admin, INSTALMENTS)
    handle = _offer(db, handle="course", payment="instalments", price=None,
                    plan_handle="three",
                    template={"duration": {"length": 6, "unit": "months"}})
    made = orders.create_order(admin, {"contact_id": contact(admin), "offer": handle}, now=AT)
    o = made.order
    assert o.total == 30000 and o.payment == "instalments"
    assert [(p.due_at, p.amount, p.paid) for p in o.payments] == [
        (AT, 10000, True), (berlin(2026, 4, 14, 10), 10000, False),
        (berlin(2026, 5, 14, 10), 10000, False)]
    with db.reading() as s:
        access = s.get(Access, made.accesses[0])
        # the offer's duration, whatever the instalments: paying off is not losing access
        assert access.ends_at == berlin(2026, 9, 14, 10)
        assert access.subscription_id == made.subscriptions[0]


def test_refund_ends_the_access_and_the_subscription_at_once(db, admin):
    plans.create_plan(admin, MONTHLY_1ST)
    handle = _offer(db, handle="gold", payment="subscription", price=None, plan_handle="gold")
    made = orders.create_order(admin, {"contact_id": contact(admin), "offer": handle}, now=AT)
    at = berlin(2026, 3, 20, 12)
    pv = orders.preview_end(admin, made.order.number, "refund", at=at)
    assert pv.refund_amount == 5806 and pv.status == "refunded"
    assert [a.id for a in pv.accesses] == made.accesses
    assert pv.subscriptions[0].last_invoice.amount == 5806
    assert orders.get_order(admin, made.order.number).status == "paid"  # nothing saved
    out = orders.refund_order(admin, made.order.number, at=at)
    assert out.status == "refunded" and out.refunded_at == at
    assert all(out.allowed_actions.values())  # final: every action has a reason
    with db.reading() as s:
        access = s.get(Access, made.accesses[0])
        assert (access.status, access.cancelled_at, access.end_reason) == (
            "cancelled", at, "refunded")
        sub = s.get(Subscription, made.subscriptions[0])
        assert sub.state == "expired"
        actions = [a.action for a in s.scalars(select(AuditRecord).where(
            AuditRecord.entity == "order").order_by(AuditRecord.id))]
        assert actions == ["create", "refund"]
    with pytest.raises(ValidationFailed):
        orders.refund_order(admin, made.order.number, at=at)


def test_cancel_pending_creates_nothing_and_cannot_be_paid(db, admin):
    handle = _offer(db, price=4900)
    made = orders.create_order(admin, {"contact_id": contact(admin), "offer": handle,
                                       "payment": "pending"}, now=AT)
    pv = orders.preview_end(admin, made.order.number, "cancel", at=AT)
    assert pv.accesses == [] and pv.subscriptions == [] and pv.refund_amount == 0
    out = orders.cancel_order(admin, made.order.number, at=AT)
    assert out.status == "cancelled" and out.accesses == []
    with pytest.raises(ValidationFailed) as exc:
        orders.pay_order(admin, made.order.number, at=AT)
    assert "cancelled" in str(exc.value)
    assert _counts(db) == (1, 0, 0)


def test_cancel_paid_subscription_order_pends_the_subscription(db, admin):
    plans.create_plan(admin, MONTHLY_1ST)
    handle = _offer(db, handle="gold", payment="subscription", price=None, plan_handle="gold")
    made = orders.create_order(admin, {"contact_id": contact(admin), "offer": handle}, now=AT)
    at = berlin(2026, 3, 20, 12)
    pv = orders.preview_end(admin, made.order.number, "cancel", at=at)
    assert pv.subscriptions[0].expires == berlin(2026, 4, 1, 0)
    orders.cancel_order(admin, made.order.number, at=at)
    with db.reading() as s:
        assert s.get(Access, made.accesses[0]).cancelled_at == at
        assert s.get(Subscription, made.subscriptions[0]).cancelled_at is not None


def test_bad_input_names_the_field_and_writes_nothing(db, admin):
    handle = _offer(db, price=4900)
    cid = contact(admin)
    cases = [({"contact_id": 999999, "offer": handle}, "contact"),
             ({"contact_id": cid, "offer": "nope"}, "offer"),
             ({"contact_id": cid, "offer": handle, "price": -1}, "price"),
             ({"contact_id": cid, "offer": handle, "price": 2**40}, "price"),
             ({"contact_id": cid, "offer": handle, "payment": "later"}, "payment"),
             ({"contact_id": cid, "offer": handle, "start": "2400-01-01T00:00"}, "start"),
             ({"contact_id": cid, "offer": "a\x00b"}, "offer"),
             ({"contact_id": cid, "offer": handle, "comment": "x\x07"}, "comment")]
    for data, field in cases:
        with pytest.raises(ValidationFailed) as exc:
            orders.create_order(admin, data, now=AT)
        assert field in exc.value.fields, (data, exc.value.fields)
    with pytest.raises(ValidationFailed) as exc:
        orders.create_order(admin, {"contact_id": cid, "offer": handle, "start": "now"})
    assert exc.value.fields["start"].startswith("Enter a date such as")
    assert _counts(db) == (0, 0, 0)
    with pytest.raises(NotFound):
        orders.pay_order(admin, 42)


def test_viewer_may_not_order(db, admin, viewer):
    from core.errors import PermissionDenied

    handle = _offer(db, price=4900)
    with pytest.raises(PermissionDenied):
        orders.create_order(viewer, {"contact_id": contact(admin), "offer": handle}, now=AT)


def test_list_newest_first_windows_filters_and_counts(db, admin):
    h1 = _offer(db, handle="yoga", price=4900)
    h2 = _offer(db, handle="pilates", price=5900)
    a, b = contact(admin), contact(admin)
    for day in range(1, 8):
        orders.create_order(admin, {"contact_id": a if day % 2 else b,
                                    "offer": h1 if day < 5 else h2,
                                    "payment": "pending" if day == 3 else "paid"},
                            now=berlin(2026, 3, day, 12))
    rows = orders.list_orders(admin, {}, Window(limit=3))
    assert [r.number for r in rows] == [7, 6, 5]
    nxt = orders.list_orders(admin, {}, Window(after=rows[-1].key, limit=3))
    assert [r.number for r in nxt] == [4, 3, 2]
    back = orders.list_orders(admin, {}, Window(before=nxt[0].key, limit=2))
    assert [r.number for r in back] == [6, 5]
    assert [r.number for r in orders.list_orders(admin, {}, Window(from_end=True, limit=2))] \
        == [2, 1]
    assert orders.count_orders(admin, {}) == 7
    assert orders.count_orders(admin, {"status": "pending"}) == 1
    assert [r.number for r in orders.list_orders(admin, {"contact_id": b})] == [6, 4, 2]
    assert orders.count_orders(admin, {"date_from": date(2026, 3, 2),
                                       "date_to": date(2026, 3, 4)}) == 3
    pil = orders.list_orders(admin, {})[0]
    assert pil.product_name == "Pilates" and pil.total == 5900
    with db.reading() as s:
        pid = s.scalar(select(Order.product_id).where(Order.number == 1))
    assert orders.count_orders(admin, {"product_id": pid}) == 4
    assert [r.number for r in orders.list_orders(admin, {"number": 5})] == [5]
    with pytest.raises(ValidationFailed) as exc:
        orders.list_orders(admin, {"status": "lost"})
    assert "status" in exc.value.fields


def test_search_offers_by_product_or_offer_words(db, admin):
    _offer(db, handle="yoga", price=4900)
    _offer(db, handle="pilates", price=5900)
    assert [o.handle for o in orders.search_offers(admin, "")] == ["pilates-one_time",
                                                                   "yoga-one_time"]
    assert [o.product_name for o in orders.search_offers(admin, "YOG")] == ["Yoga"]
    first = orders.search_offers(admin, "", Window(limit=1))
    assert [o.handle for o in orders.search_offers(admin, "", Window(after=first[0].key))] \
        == ["yoga-one_time"]


def _stored_counts(db) -> dict:
    from core.models import OrderCount

    with db.reading() as s:
        kept = {(c.status, c.product_key): c.n for c in s.scalars(select(OrderCount))
                if c.n}
        actual = {(st, pid or 0): n for st, pid, n in s.execute(
            select(Order.status, Order.product_id, func.count()).group_by(
                Order.status, Order.product_id))}
    return kept, actual


def test_the_count_table_follows_every_write_even_in_plain_sql(db, admin):
    """order_counts (migration 0013's triggers) stays equal to counting the orders: after
    create, pay, cancel, refund, and after writes made in SQL behind the services' back."""
    from sqlalchemy import delete, update

    h1 = _offer(db, handle="yoga", price=4900)
    h2 = _offer(db, handle="pilates", price=5900)
    a = contact(admin)
    for day in range(1, 7):
        orders.create_order(admin, {"contact_id": a, "offer": h1 if day < 4 else h2,
                                    "payment": "pending" if day % 3 == 0 else "paid"},
                            now=berlin(2026, 3, day, 12))
    orders.pay_order(admin, 3, at=berlin(2026, 3, 8, 9))
    orders.cancel_order(admin, 6, at=berlin(2026, 3, 8, 9))
    orders.refund_order(admin, 1, at=berlin(2026, 3, 9, 9))
    kept, actual = _stored_counts(db)
    assert kept == actual and sum(kept.values()) == 6
    assert orders.count_orders(admin, {"status": "paid"}) == 4
    assert orders.count_orders(admin, {"status": "cancelled"}) == 1
    with db.reading() as s:
        p1, p2 = (s.scalar(select(Order.product_id).where(Order.number == n)) for n in (1, 6))
    assert orders.count_orders(admin, {"product_id": p2, "status": "cancelled"}) == 1
    assert orders.count_orders(admin, {"product_id": p1}) == 3
    with db.transaction() as s:  # a fix made in SQL: the triggers count it too
        s.execute(update(Order).where(Order.number == 2).values(product_id=p2))
        s.execute(update(Order).where(Order.number == 4).values(status="refunded"))
        s.execute(update(Order).where(Order.number == 5).values(comment="seen"))
        s.execute(update(Order).where(Order.number == 3).values(product_id=None))
    kept, actual = _stored_counts(db)
    assert kept == actual
    assert orders.count_orders(admin, {"product_id": p1}) == 1
    assert orders.count_orders(admin, {"status": "refunded"}) == 2
    assert orders.count_orders(admin, {}) == 6
    with db.transaction() as s:
        from core.models import Access, OrderLine, OrderPayment

        ids = list(s.scalars(select(Order.id).where(Order.number.in_([5, 6]))))
        for model in (Access, OrderLine, OrderPayment):
            s.execute(delete(model).where(model.order_id.in_(ids)))
        s.execute(delete(Order).where(Order.id.in_(ids)))
    kept, actual = _stored_counts(db)
    assert kept == actual and orders.count_orders(admin, {}) == 4
