"""The subscription timeline for screens: the engine's events for one subscription."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from core.billing.timeline import timeline
from core.models import utcnow
from core.services.context import READ, ServiceContext, require
from core.services.subscriptions import (
    engine_state,
    get_row,
    pending_move,
    period_amount,
    terms_for,
)


class TimelineEvent(BaseModel):
    at: datetime
    kind: str
    amount: int | None = None
    currency: str | None = None
    detail: str = ""
    plan_name: str | None = None  # invoices and plan_change: the plan version that bills
    plan_version: int | None = None
    period_amount: int | None = None  # plan_change: gross per full period from then on


class SubscriptionTimeline(BaseModel):
    at: datetime
    timezone: str
    events: list[TimelineEvent]
    cancel_now_expires: datetime | None
    notice_deadline: datetime | None


def subscription_timeline(ctx: ServiceContext, subscription_id: int, *,
                          at: datetime | None = None, upcoming: int = 3
                          ) -> SubscriptionTimeline:
    """Milestones and the next invoices as seen at `at` (default now); nothing is written."""
    at = at or utcnow()
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        sub = get_row(session, subscription_id)
        plan, terms = terms_for(session, sub)
        pending_plan, move = pending_move(session, sub)
        on_hold = sub.on_hold_at is not None
        state = engine_state(sub)
        tl = timeline(terms, state, at, upcoming=0 if on_hold else upcoming, move=move)

        def event(e) -> TimelineEvent:
            shown = pending_plan if e.moved else plan
            named = e.kind in ("invoice", "plan_change")
            return TimelineEvent(
                at=e.at, kind=e.kind, amount=e.amount, detail=e.detail,
                currency=move.terms.currency if e.kind == "plan_change" else e.currency,
                plan_name=shown.name if named else None,
                plan_version=shown.version if named else None,
                period_amount=period_amount(move.terms, state.quantity)
                if e.kind == "plan_change" else None)

        return SubscriptionTimeline(
            at=at, timezone=sub.timezone, events=[event(e) for e in tl.events],
            cancel_now_expires=None if on_hold else tl.cancel_now_expires,
            notice_deadline=None if on_hold else tl.notice_deadline)
