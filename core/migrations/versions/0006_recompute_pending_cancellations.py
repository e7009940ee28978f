"""Recompute the expiry of every pending cancellation with the corrected rule 7 (SPEC §7.1).

A contract-terms notice now runs from the cancellation (not from the end of the current
period), and `fixation_periods_full` false ends the minimum n whole periods after the first
period start. Every subscription still pending cancellation gets the expiry the engine gives
today for its stored cancellation request, with the mirror columns written as the service
writes them (`state_columns`), and one audit record (operator `system`) per changed row.
An expiry is never moved before the end of a period already invoiced (no invoice is taken
back). Data only; the downgrade leaves the dates as they are.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
from dataclasses import replace
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

from core.billing import PlanTerms, SubscriptionState, cancellation_expiry
from core.models.base import UTCDateTime, utcnow

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OPERATOR = "system"
ACTION = "recompute_cancellation"
BATCH = 1000

_subs = sa.table(
    "subscriptions",
    sa.column("id", sa.Integer), sa.column("plan_id", sa.Integer),
    sa.column("amount", sa.Integer), sa.column("billing_state", sa.JSON),
    sa.column("state", sa.String), sa.column("next_billing_at", UTCDateTime),
    sa.column("current_period_start", UTCDateTime),
    sa.column("current_period_end", UTCDateTime), sa.column("expires", UTCDateTime),
    sa.column("expire_reason", sa.String), sa.column("cancelled_at", UTCDateTime),
    sa.column("on_hold_at", UTCDateTime), sa.column("row_version", sa.Integer),
    sa.column("updated_at", UTCDateTime), sa.column("updated_by", sa.String),
)
_audit = sa.table(
    "audit_records",
    sa.column("at", UTCDateTime), sa.column("operator", sa.String),
    sa.column("entity", sa.String), sa.column("entity_id", sa.String),
    sa.column("action", sa.String), sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
)


def _plan_terms(plans: sa.Table, conn, plan_id: int) -> PlanTerms:
    """The engine terms of a stored plan row (columns this revision has; the rest default)."""
    row = conn.execute(sa.select(plans).where(plans.c.id == plan_id)).mappings().one()
    values = {f: row[f] for f in PlanTerms.__dataclass_fields__ if f in row}
    values["vat"] = Decimal(str(values.get("vat") or "0"))
    return PlanTerms(**values)


def upgrade() -> None:
    from core.services.billing_run import state_columns

    conn = op.get_bind()
    now = utcnow()
    plans = sa.Table("plans", sa.MetaData(), autoload_with=conn)
    terms_of: dict[int, PlanTerms] = {}
    after_id = 0
    while True:
        rows = conn.execute(
            sa.select(_subs).where(_subs.c.id > after_id, _subs.c.cancelled_at.isnot(None),
                                   _subs.c.expires > now, _subs.c.on_hold_at.is_(None))
            .order_by(_subs.c.id).limit(BATCH)).mappings().all()
        if not rows:
            break
        after_id = rows[-1]["id"]
        for row in rows:
            state = SubscriptionState.from_json_dict(row["billing_state"])
            if state.cancelled_at is None or state.cancel_expires is None:
                continue
            if row["plan_id"] not in terms_of:
                terms_of[row["plan_id"]] = _plan_terms(plans, conn, row["plan_id"])
            terms = terms_of[row["plan_id"]]
            if row["amount"] is not None:
                terms = replace(terms, amount=row["amount"])
            uncancelled = replace(state, cancelled_at=None, cancel_expires=None)
            new = cancellation_expiry(terms, uncancelled, state.cancelled_at)
            if state.current_period_end is not None and new < state.current_period_end:
                new = state.current_period_end  # already invoiced to there
            if new == state.cancel_expires:
                continue
            new_state = replace(state, cancel_expires=new)
            values = state_columns(terms, new_state, now, expire_reason=row["expire_reason"])
            values.update(row_version=row["row_version"] + 1, updated_at=now,
                          updated_by=OPERATOR)
            conn.execute(sa.update(_subs).where(_subs.c.id == row["id"]).values(**values))
            conn.execute(sa.insert(_audit).values(
                at=now, operator=OPERATOR, entity="subscription", entity_id=str(row["id"]),
                action=ACTION,
                before={"cancel_expires": state.cancel_expires.isoformat(),
                        "expires": row["expires"] and row["expires"].isoformat(),
                        "state": row["state"]},
                after={"cancel_expires": new.isoformat(),
                       "expires": values["expires"] and values["expires"].isoformat(),
                       "state": values["state"]}))


def downgrade() -> None:
    """Nothing to undo in the schema; the corrected dates stay."""
