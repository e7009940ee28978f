"""Migration 0006: pending cancellations stored under the old rule 7 get the corrected
expiry, mirror columns as the service writes them, and one `system` audit record each."""

import importlib.util
from datetime import UTC, date, datetime

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import select

from core.db import MIGRATIONS_DIR
from core.models import AuditRecord, Subscription
from core.services import invoices, plans
from core.services import subscriptions as subs
from core.services.billing_run import run_billing, state_columns
from tests.core.billing.notice_examples import FIXATION, YEARLY_CONTRACT
from tests.services.billing_helpers import berlin, contact

MIGRATION = MIGRATIONS_DIR / "versions" / "0006_recompute_pending_cancellations.py"
NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)  # the moment the migration runs


@pytest.fixture
def migration(monkeypatch):
    spec = importlib.util.spec_from_file_location("m0006", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "utcnow", lambda: NOW)
    return module


def _run_step(db, module):
    with db.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        module.upgrade()


def _store_old_expiry(db, sub_id, old_expiry):
    """What the old rule wrote: the same request with its (wrong) expiry in every mirror."""
    with db.transaction() as s:
        sub = s.get(Subscription, sub_id)
        state = subs.engine_state(sub)
        from dataclasses import replace

        _plan, terms = subs.terms_for(s, sub)
        old = replace(state, cancel_expires=old_expiry)
        for key, value in state_columns(terms, old, NOW).items():
            setattr(sub, key, value)


def test_pending_cancellations_get_the_corrected_expiry_and_an_audit_record(db, admin,
                                                                            migration):
    assert migration.down_revision == "0005"
    plans.create_plan(admin, YEARLY_CONTRACT)
    plans.create_plan(admin, FIXATION)
    plans.create_plan(admin, {**FIXATION, "handle": "plain", "fixation_periods": 0})
    yearly = subs.create_subscription(admin, {"contact_id": contact(admin), "plan": "yearly",
                                              "start": berlin(2026, 7, 2)}, now=berlin(2026, 7, 2))
    fixed = subs.create_subscription(admin, {"contact_id": contact(admin), "plan": "fix",
                                             "start": berlin(2026, 11, 14)}, now=berlin(2026, 11, 14))
    plain = subs.create_subscription(admin, {"contact_id": contact(admin), "plan": "plain",
                                             "start": berlin(2026, 11, 14)}, now=berlin(2026, 11, 14))
    subs.cancel_subscription(admin, yearly.id, at=berlin(2026, 12, 1), now=berlin(2026, 12, 1))
    subs.cancel_subscription(admin, fixed.id, at=berlin(2026, 11, 20), now=berlin(2026, 11, 20))
    subs.cancel_subscription(admin, plain.id, at=berlin(2026, 11, 20), now=berlin(2026, 11, 20))
    run_billing(admin, date(2026, 12, 2))
    # The old rule: notice added to the period end and rounded up (2028), fixation counting
    # the partial first period as one (1 Jan instead of 14 Feb).
    _store_old_expiry(db, yearly.id, berlin(2028, 7, 2))
    _store_old_expiry(db, fixed.id, berlin(2027, 1, 1))
    with db.reading() as s:
        plain_before = s.get(Subscription, plain.id).row_version
        audits_before = s.scalar(select(AuditRecord.id).order_by(AuditRecord.id.desc()).limit(1))

    _run_step(db, migration)

    got = {i: subs.get_subscription(admin, i, at=NOW) for i in (yearly.id, fixed.id, plain.id)}
    assert got[yearly.id].expires == berlin(2027, 7, 2)
    assert got[fixed.id].expires == berlin(2027, 2, 14)
    assert got[plain.id].expires == berlin(2026, 12, 1)
    with db.reading() as s:
        for sub_id, expiry in ((yearly.id, berlin(2027, 7, 2)), (fixed.id, berlin(2027, 2, 14))):
            row = s.get(Subscription, sub_id)
            _plan, terms = subs.terms_for(s, row)
            state = subs.engine_state(row)
            assert state.cancel_expires == expiry
            assert row.updated_by == "system"
            expected = state_columns(terms, state, NOW, expire_reason=row.expire_reason)
            assert {k: getattr(row, k) for k in expected} == expected
        assert s.get(Subscription, plain.id).row_version == plain_before  # unchanged
        records = s.scalars(select(AuditRecord).where(AuditRecord.id > audits_before)
                            .order_by(AuditRecord.id)).all()
    assert [(r.operator, r.entity, r.entity_id, r.action) for r in records] == [
        ("system", "subscription", str(yearly.id), "recompute_cancellation"),
        ("system", "subscription", str(fixed.id), "recompute_cancellation")]
    assert records[0].before["cancel_expires"] == berlin(2028, 7, 2).astimezone(UTC).isoformat()
    assert records[0].after["cancel_expires"] == berlin(2027, 7, 2).astimezone(UTC).isoformat()
    assert records[1].after["expires"] == berlin(2027, 2, 14).astimezone(UTC).isoformat()

    # The billing run now bills to the corrected dates: 1 Feb → 14 Feb prorated (13/28 days).
    run_billing(admin, date(2027, 3, 1))
    amounts = [i.amount for i in invoices.list_invoices(admin, subscription_id=fixed.id)]
    assert amounts == [5667, 10000, 10000, 4643]
    # Running the step again changes nothing.
    _run_step(db, migration)
    with db.reading() as s:
        assert len(s.scalars(select(AuditRecord).where(
            AuditRecord.action == "recompute_cancellation")).all()) == 2
