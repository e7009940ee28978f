"""What lies ahead for one subscription, as dated events: the agent's timeline.

Pure, like the rest of the engine: every date comes from the same functions the billing run
and `simulate` use, so a screen cannot show a date the run would not keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.billing import engine
from core.billing.engine import PendingMove, SubscriptionState, cancellation_expiry, project
from core.billing.periods import instant, zone
from core.billing.terms import PlanTerms

HORIZON = timedelta(days=3 * 366)


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str  # start, trial_start, trial_end, first_period, minimum_end, contract_end,
    #           notice_deadline, plan_change, invoice, cancelled, expires
    amount: int | None = None  # invoices: gross minor units
    currency: str | None = None
    detail: str = ""
    moved: bool = False  # an invoice (or the plan_change) on the terms of the scheduled move


@dataclass(frozen=True)
class Timeline:
    events: list[TimelineEvent]
    cancel_now_expires: datetime | None  # what a cancellation requested now would give
    notice_deadline: datetime | None  # last moment a cancellation still gives that date


def _notice_deadline(terms: PlanTerms, state: SubscriptionState, at: datetime,
                     expires: datetime) -> datetime:
    """The latest moment whose cancellation still takes effect at `expires` (to the minute).

    `cancellation_expiry` never decreases with the request time, so a binary search over the
    interval [at, expires] finds the edge.
    """
    lo, hi = at, expires
    if cancellation_expiry(terms, state, hi) == expires:
        return hi
    while hi - lo > timedelta(minutes=1):
        mid = lo + (hi - lo) / 2
        if cancellation_expiry(terms, state, mid) == expires:
            lo = mid
        else:
            hi = mid
    return lo.replace(second=0, microsecond=0)


def timeline(terms: PlanTerms, state: SubscriptionState, at: datetime, *,
             upcoming: int = 3, move: PendingMove | None = None) -> Timeline:
    """Events of the subscription seen at `at`: past milestones and the next invoices, with
    a scheduled plan `move` applied at its moment exactly as the billing run applies it."""
    z = zone(state.tz)
    at = instant(at, z)
    events: list[TimelineEvent] = [TimelineEvent(state.start, "start")]
    if state.trial_start is not None and state.trial_end is not None:
        events.append(TimelineEvent(state.trial_start, "trial_start"))
        events.append(TimelineEvent(state.trial_end, "trial_end"))
    if state.first_period_start is not None and state.first_period_start != state.start:
        events.append(TimelineEvent(state.first_period_start, "first_period"))
    schedule = engine._schedule(terms, state)
    if schedule is not None and state.first_period_start is not None:
        minimum = engine._minimum_contract_ends(terms, state, schedule)
        if minimum:
            events.append(TimelineEvent(max(minimum), "minimum_end"))
        if terms.has_contract:
            events.append(TimelineEvent(engine._contract_term_ends(terms, state, at),
                                        "contract_end"))
    if state.cancelled_at is not None:
        events.append(TimelineEvent(state.cancelled_at, "cancelled"))
    expires = engine.projected_expiry(terms, state, move)
    cancel_now = deadline = None
    if state.cancelled_at is None and (expires is None or at < expires) and (
            terms.schedule_type != "manual"):
        cancel_now = cancellation_expiry(terms, state, at)
        if expires is None or cancel_now < expires:
            deadline = _notice_deadline(terms, state, at, cancel_now)
            events.append(TimelineEvent(deadline, "notice_deadline",
                                        detail=cancel_now.isoformat()))
    # The next invoices, straight from the billing step (the projection of the run).
    found = 0
    moved = False
    for step in project(terms, state, at + HORIZON, move):
        if found >= upcoming:
            break
        if step.moved and not moved:
            moved = True
            events.append(TimelineEvent(move.at, "plan_change", detail=move.terms.name,
                                        moved=True))
        if step.invoice.issued >= at:
            events.append(TimelineEvent(step.invoice.issued, "invoice",
                                        amount=step.invoice.amount,
                                        currency=step.invoice.currency,
                                        detail=step.terms.name, moved=step.moved))
            found += 1
    if move is not None and not moved and (expires is None or move.at < expires):
        events.append(TimelineEvent(move.at, "plan_change", detail=move.terms.name,
                                    moved=True))
    if expires is not None:
        events.append(TimelineEvent(expires, "expires", detail=state.expire_reason or ""))
    events.sort(key=lambda e: e.at)
    return Timeline(events, cancel_now, deadline)
