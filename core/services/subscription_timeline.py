"""The subscription timeline for screens: the engine's events for one subscription."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from core.billing.timeline import timeline
from core.models import utcnow
from core.services.context import READ, ServiceContext, require
from core.services.subscriptions import _get, _state, _terms


class TimelineEvent(BaseModel):
    at: datetime
    kind: str
    amount: int | None = None
    currency: str | None = None
    detail: str = ""


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
        sub = _get(session, subscription_id)
        _plan, terms = _terms(session, sub)
        on_hold = sub.on_hold_at is not None
        tl = timeline(terms, _state(sub), at, upcoming=0 if on_hold else upcoming)
        return SubscriptionTimeline(
            at=at, timezone=sub.timezone,
            events=[TimelineEvent(at=e.at, kind=e.kind, amount=e.amount, currency=e.currency,
                                  detail=e.detail) for e in tl.events],
            cancel_now_expires=None if on_hold else tl.cancel_now_expires,
            notice_deadline=None if on_hold else tl.notice_deadline)
