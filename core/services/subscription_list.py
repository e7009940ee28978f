"""The subscriptions area: every subscription, filtered and windowed (keyset on id).

Designed for 1,000,000 subscriptions: every filter is an indexed column (state: (state, id);
plan: (plan_id, id), migration 0007; next invoice date: next_billing_at), rows are read in
windows of at most 500 by keyset on id (newest first), and the count is one SQL COUNT. A row
is read from stored columns only (no engine run per row): `next_invoice_at` is the billing run's
next date for the subscription (`next_billing_at`), `amount` the per-period price (the
subscription's own amount or the plan's, times the quantity).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select

from core.errors import ValidationFailed
from core.i18n import _
from core.models import Contact, Plan, Subscription
from core.schemas.common import Window
from core.services.context import READ, ServiceContext, require
from core.services.settings import account_zone

STATES = ("pending", "trial", "active", "pending_cancellation", "on_hold", "cancelled",
          "expired")


class SubscriptionFilter(BaseModel):
    """What the area shows; every field optional. `next_from`/`next_to` are days in the
    account's time zone (inclusive)."""

    model_config = ConfigDict(frozen=True)

    states: tuple[str, ...] = ()
    plan_handle: str | None = None
    next_from: date | None = None
    next_to: date | None = None
    subscription_id: int | None = None


class SubscriptionListRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    key: tuple[int, ...]
    state: str
    contact_id: int
    contact_name: str
    plan_handle: str
    plan_name: str
    next_invoice_at: datetime | None
    amount: int
    currency: str


def _where(session, q, f: SubscriptionFilter):
    _check_states(f)
    if f.subscription_id is not None:
        q = q.where(Subscription.id == f.subscription_id)
    if f.states:
        q = q.where(Subscription.state.in_(f.states))
    if f.plan_handle:
        q = q.where(Subscription.plan_id.in_(
            select(Plan.id).where(Plan.handle == f.plan_handle).scalar_subquery()))
    if f.next_from is not None or f.next_to is not None:
        tz = account_zone(session)
        if f.next_from is not None:
            q = q.where(Subscription.next_billing_at
                        >= datetime.combine(f.next_from, time(), tz))
        if f.next_to is not None:
            q = q.where(Subscription.next_billing_at
                        < datetime.combine(f.next_to + timedelta(days=1), time(), tz))
    return q


def count_subscriptions(ctx: ServiceContext, f: SubscriptionFilter | None = None) -> int:
    f = f or SubscriptionFilter()
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = _where(session, select(func.count()).select_from(Subscription), f)
        return int(session.scalar(q) or 0)


def list_subscriptions(ctx: ServiceContext, f: SubscriptionFilter | None = None,
                       window: Window | None = None) -> list[SubscriptionListRow]:
    """One window, newest first; `before`/`from_end` windows come in display order too."""
    f, window = f or SubscriptionFilter(), window or Window()
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = select(Subscription.id).select_from(Subscription)
        q = _where(session, q, f)
        reverse = False
        if window.after is not None:
            q = q.where(Subscription.id < window.after[0]).order_by(Subscription.id.desc())
        elif window.before is not None:
            q = q.where(Subscription.id > window.before[0]).order_by(Subscription.id.asc())
            reverse = True
        elif window.from_end:
            q = q.order_by(Subscription.id.asc())
            reverse = True
        else:
            q = q.order_by(Subscription.id.desc()).offset(window.offset or 0)
        ids = list(session.scalars(q.limit(window.limit)))
        if reverse:
            ids.reverse()
        if not ids:
            return []
        rows = session.execute(
            select(Subscription.id, Subscription.state, Subscription.contact_id, Contact.name,
                   Plan.handle, Plan.name, Subscription.next_billing_at, Subscription.amount,
                   Subscription.quantity, Plan.amount, Plan.currency)
            .join(Contact, Contact.id == Subscription.contact_id)
            .join(Plan, Plan.id == Subscription.plan_id)
            .where(Subscription.id.in_(ids))).all()
        by_id = {r[0]: r for r in rows}
        out = []
        for i in ids:
            (sid, state, contact_id, contact_name, handle, plan_name, next_at, own_amount,
             quantity, plan_amount, currency) = by_id[i]
            unit = own_amount if own_amount is not None else (plan_amount or 0)
            out.append(SubscriptionListRow(
                id=sid, key=(sid,), state=state, contact_id=contact_id,
                contact_name=contact_name, plan_handle=handle, plan_name=plan_name,
                next_invoice_at=next_at, amount=unit * (quantity or 1), currency=currency))
        return out


def parse_filter(text: str) -> SubscriptionFilter:
    """The area's search box: `#42` (one subscription), `state:active` (repeatable or
    comma-separated), `plan:HANDLE`, `next:2026-12-01` or `next:2026-12-01..2026-12-31`
    (either end may be left out). Words are ANDed; a bad one raises ValidationFailed."""
    states: list[str] = []
    values: dict = {}
    for word in text.split():
        name, sep, value = word.partition(":")
        if word.startswith("#") and word[1:].isdigit():
            values["subscription_id"] = int(word[1:])
        elif sep and name == "state" and value:
            states += [s for s in value.split(",") if s]
        elif sep and name == "plan" and value:
            values["plan_handle"] = value
        elif sep and name == "next" and value:
            first, dots, last = value.partition("..")
            try:
                if first:
                    values["next_from"] = date.fromisoformat(first)
                if last or not dots:
                    values["next_to"] = date.fromisoformat(last or first)
            except ValueError:
                raise ValidationFailed({"next": _(
                    "Not a date range: {value} (e.g. 2026-12-01..2026-12-31)").format(
                    value=value)}) from None
        else:
            raise ValidationFailed({"search": _(
                "Unknown search word {word}: use #id, state:, plan: or next:").format(
                word=word)})
    f = SubscriptionFilter(states=tuple(states), **values)
    _check_states(f)
    return f


def _check_states(f: SubscriptionFilter) -> None:
    unknown = [s for s in f.states if s not in STATES]
    if unknown:
        raise ValidationFailed({"state": _("Unknown state {state}; choose from {states}.").format(
            state=unknown[0], states=", ".join(STATES))})
