"""Granting and ending accesses (core/services/accesses.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from core.models import Access, AuditRecord, Contact, Order
from core.services import accesses
from tests.services.commerce_rows import product_with_offer

START = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)


def _contact(session) -> Contact:
    c = Contact(name="Anna Becker", sort_key="anna becker", email="anna@example.de",
                email_key="anna@example.de", search_doc="anna becker")
    session.add(c)
    session.flush()
    return c


def test_a_month_long_access_ends_on_the_last_day_of_february(db, admin):
    with db.transaction() as s:
        offer = product_with_offer(s, template={"duration": {"length": 1, "unit": "months"}})
        access = accesses.grant(s, admin, contact_id=_contact(s).id, offer=offer,
                                starts_at=START)
        access_id = access.id
    with db.reading() as s:
        row = s.get(Access, access_id)
        # 2026-01-31 10:00 Berlin + 1 month = 2026-02-28 10:00 Berlin (the 31st is clamped)
        assert row.ends_at == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
        assert accesses.status_of(row, datetime(2026, 2, 28, 8, 59, tzinfo=UTC)) == "active"
        assert accesses.status_of(row, datetime(2026, 2, 28, 9, 0, tzinfo=UTC)) == "expired"
        audit = s.scalars(select(AuditRecord).where(AuditRecord.entity == "access")).all()
        assert [a.action for a in audit] == ["create"]


def test_ending_an_order_cancels_only_its_live_accesses(db, admin):
    at = datetime(2026, 3, 1, tzinfo=UTC)
    with db.transaction() as s:
        offer = product_with_offer(s, template={})
        contact = _contact(s)
        order = Order(number=1, contact_id=contact.id, ordered_at=START, status="paid")
        s.add(order)
        s.flush()
        mine = accesses.grant(s, admin, contact_id=contact.id, offer=offer, starts_at=START,
                              order_id=order.id)
        other = accesses.grant(s, admin, contact_id=contact.id, offer=offer, starts_at=START)
        assert mine.ends_at is None  # unlimited
        ended = accesses.end_for_order(s, admin, order.id, at=at, reason="refunded")
        assert [a.id for a in ended] == [mine.id]
        # ending again ends nothing more
        assert accesses.end_for_order(s, admin, order.id, at=at, reason="refunded") == []
    with db.reading() as s:
        assert accesses.status_of(s.get(Access, mine.id), at) == "cancelled"
        assert s.get(Access, mine.id).end_reason == "refunded"
        assert accesses.status_of(s.get(Access, other.id), at) == "active"
