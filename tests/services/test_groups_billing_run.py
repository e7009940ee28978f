"""The billing run keeps the groups' cached seats and offline date current (issue 12), on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from core.models import Access, AuditRecord, Group
from core.services import groups, subscriptions
from core.services.billing_run import run_billing
from tests.services.test_groups import JAN15, _create, _monthly


def test_an_ended_subscription_takes_the_group_offline_in_the_billing_run(db, admin):
    offer = _monthly(db, admin)
    g = _create(admin, offer, seats=5)
    m = groups.enrol(admin, g.id, "p@example.org", now=JAN15)
    sub_id = g.subscriptions[0].id
    at = datetime(2026, 1, 20, tzinfo=UTC)
    # Cancelled through the subscription service alone: the group's cache does not know.
    with db.transaction() as s:
        assert subscriptions.cancel_in_transaction(s, admin, sub_id, at=at, now=at)
    with db.reading() as s:
        row = s.get(Group, g.id)
        assert (row.seats_total, row.offline_at) == (5, None)
    later = datetime(2026, 3, 31, tzinfo=UTC)
    first = run_billing(admin, later, now=later)
    assert first.groups_refreshed == 1
    with db.reading() as s:
        row = s.get(Group, g.id)
        assert row.seats_total == 0 and row.offline_at is not None
        assert row.offline_at <= later
        assert row.seats_free_open == 0 - row.active_count
        access = s.get(Access, m.access_id)
        assert access.end_reason == "group_offline"
        (op,) = s.scalars(select(AuditRecord.operator).where(
            AuditRecord.entity == "group", AuditRecord.action == "refresh")).all()
        assert op == "system"
        audits = s.scalar(select(func.count()).select_from(AuditRecord)
                          .where(AuditRecord.entity != "billing_run"))
    assert groups.get_group(admin, g.id, at=later).state == "offline"
    again = run_billing(admin, later, now=later)
    assert again.groups_refreshed == 0
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(AuditRecord)
                        .where(AuditRecord.entity != "billing_run")) == audits


def test_a_live_group_is_left_alone(db, admin):
    offer = _monthly(db, admin)
    g = _create(admin, offer, seats=3)
    later = JAN15 + timedelta(days=70)
    assert run_billing(admin, later, now=later).groups_refreshed == 0
    with db.reading() as s:
        row = s.get(Group, g.id)
        assert (row.seats_total, row.offline_at) == (3, None)
