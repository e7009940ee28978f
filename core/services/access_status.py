"""Access status, cancellation and expiry (SPEC §5, issue 11).

* `get_status` / `contact_statuses`: the status of accesses at a moment (now or `at`),
  computed from their dates, the subscription behind each, a failed payment (overdue) and the
  contact's lock — core/rules/accesses.py decides, nothing is stored by a read;
* `cancel` (+ `preview_cancel`): the seed rule — no paid plan invoice of a non-zero amount
  behind the access: the access and its subscription end now and their unpaid invoices are
  credited; otherwise the subscription is cancelled through the billing engine (SPEC §7.1
  rule 7) and the access is pending cancellation until the engine's date;
* `set_end`: an edited end date (a cancellation date when one is pending, else the expiry);
  the status follows at once and the subscription's end follows the date;
* `undo_cancel`: a pending cancellation withdrawn (access and subscription active again);
* `bulk_*` / `preview_bulk`: the same actions on many accesses, all or nothing
  (core/services/_bulk.py), one audit record per access;
* follow-up lists: pending cancellations, expiring soon, overdue (keyset windows);
* `lock_contact` / `unlock_contact`: no content for any access, billing unaffected;
* `persist_statuses`: what the billing run stores of what has passed (audited as `system`).

Every write takes the access under the row lock; a state action given the version the screen
showed (`expected_row_version`) is a Conflict when another agent changed it meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, text
from sqlalchemy.orm import Session

from core import billing
from core.errors import NotFound, ValidationFailed
from core.i18n import _
from core.models import (Access, BundleItem, Contact, Invoice, Product, Subscription,
                         utcnow)
from core.models.accesses import WITH_PAUSES
from core.rules import Refused
from core.rules import accesses as rules
from core.schemas.access_status import (AccessStatus, BulkStatusPreview, CancelPreview,
                                        FollowUpRow, InvoiceNote, ProductLoss,
                                        SubscriptionEffect, SubscriptionRef)
from core.schemas.common import Window
from core.services import _bulk, _uow, audit
from core.services import subscriptions as subs
from core.services.accesses import (KIND, Facts, action_facts, gather, in_batches,
                                     snapshot, status_with, sub_cancelled)
from core.services.context import READ, ServiceContext, require
from core.services.settings import setting

WRITE = "access.write"
LOCK = "contacts.lock"
SYSTEM = "system"
PAID_KINDS = ("plan", "change")
UNPAID = ("open", "failed")
_FAR = datetime(9000, 1, 1, tzinfo=UTC)


# -- facts and status ------------------------------------------------------------------------


def _pending_at(access: Access, facts: Facts) -> datetime | None:
    if access.pending_cancellation_at is not None:
        return access.pending_cancellation_at
    sub = facts.sub
    if sub is not None and sub_cancelled(sub) and sub.expires is not None:
        return sub.expires
    return None


def _allowed(access: Access, state: str, at: datetime) -> dict[str, str | None]:
    return rules.allowed_actions(state, **action_facts(access, at))


def _sub_state(sub: Subscription, at: datetime) -> str:
    return subs.status_now(sub, at)


def _status_out(session: Session, access: Access, facts: Facts, at: datetime,
                keeps: bool, products: dict[int, Product] | None = None) -> AccessStatus:
    state = status_with(access, facts, at)
    product = (products.get(access.product_id) if products is not None
               else session.get(Product, access.product_id))
    refs = []
    if facts.sub is not None:
        refs.append(SubscriptionRef(id=facts.sub.id, state=_sub_state(facts.sub, at),
                                    expires=facts.sub.expires))
    return AccessStatus(
        id=access.id, contact_id=access.contact_id, product_id=access.product_id,
        product_name=product.name if product else "", is_bundle=bool(product and
                                                                      product.is_bundle),
        status=state, starts_at=access.starts_at, ends_at=access.ends_at,
        pending_cancellation_at=_pending_at(access, facts) if state in (
            "pending_cancellation", "overdue", "paused", "cancelled") else None,
        cancelled_at=access.cancelled_at, deleted=access.deleted_at is not None,
        grants_content=rules.grants_content(state, locked=facts.locked,
                                            overdue_keeps_access=keeps),
        contact_locked=facts.locked, at=at, subscriptions=refs,
        allowed_actions=_allowed(access, state, at), row_version=access.row_version)


def _moment(at: datetime | None) -> datetime:
    if at is None:
        return utcnow()
    if at.tzinfo is None:
        raise ValidationFailed({"at": _("A moment needs a time zone.")})
    return at.astimezone(UTC)


def get_status(ctx: ServiceContext, access_id: int, *, at: datetime | None = None
               ) -> AccessStatus:
    """One access and its status at `at` (default now)."""
    at = _moment(at)
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        access = _uow.load(session, KIND, access_id)
        facts = gather(session, [access], at)[access.id]
        return _status_out(session, access, facts, at,
                           bool(setting(session, "overdue_keeps_access")))


# What a status needs (the card reads 200 accesses without their templates).
_STATUS_COLUMNS = (Access.id, Access.contact_id, Access.product_id, Access.subscription_id,
                   Access.starts_at, Access.ends_at, Access.pending_cancellation_at,
                   Access.cancelled_at, Access.deleted_at, Access.pauses,
                   Access.replaced_by_id, Access.row_version)


def contact_statuses(ctx: ServiceContext, contact_id: int, *, at: datetime | None = None,
                     limit: int = 1000) -> list[AccessStatus]:
    """Every access of a contact (oldest first) with its status at `at`: what the card shows.
    Products are read in one query, facts in three."""
    at = _moment(at)
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        from sqlalchemy.orm import load_only

        rows = list(session.scalars(
            select(Access).options(load_only(*_STATUS_COLUMNS))
            .where(Access.contact_id == contact_id).order_by(Access.id).limit(limit)))
        facts = gather(session, rows, at)
        pids = sorted({a.product_id for a in rows})
        products: dict[int, Product] = {}
        for part in in_batches(pids):
            products.update((p.id, p) for p in session.scalars(
                select(Product).where(Product.id.in_(part))))
        keeps = bool(setting(session, "overdue_keeps_access"))
        return [_status_out(session, a, facts[a.id], at, keeps, products) for a in rows]


# -- what a cancellation loses ---------------------------------------------------------------


def _granted_products(session: Session, product_ids: set[int]) -> dict[int, set[int]]:
    """product -> the products it grants (itself, and a bundle's items)."""
    out = {p: {p} for p in product_ids}
    for part in in_batches(sorted(product_ids)):
        for bundle_id, pid in session.execute(select(BundleItem.bundle_id, BundleItem.product_id)
                                              .where(BundleItem.bundle_id.in_(part))):
            out[bundle_id].add(pid)
    return out


def _losses(session: Session, access: Access, at_effect: datetime
            ) -> tuple[list[ProductLoss], list[ProductLoss]]:
    """(lost, kept): the products the access grants that the contact loses at `at_effect`,
    and those another access still grants then (a bundle's products stay available)."""
    others = [a for a in session.scalars(select(Access).where(
        Access.contact_id == access.contact_id, Access.id != access.id,
        Access.deleted_at.is_(None)))]
    facts = gather(session, others, at_effect)
    live = [a for a in others if status_with(a, facts[a.id], at_effect) in (
        "active", "pending_cancellation", "overdue", "paused")]
    grants = _granted_products(session, {access.product_id} | {a.product_id for a in live})
    still = set().union(*(grants[a.product_id] for a in live)) if live else set()
    mine = grants[access.product_id]
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(mine)))}
    lost, kept = [], []
    for pid in sorted(mine, key=lambda i: (i != access.product_id, products[i].sort_key, i)):
        p = products[pid]
        item = ProductLoss(id=p.id, name=p.name, lessons=p.lesson_count)
        (kept if pid in still else lost).append(item)
    return lost, kept


# -- the actions on one access (inside the caller's transaction) -----------------------------


def _refuse(reason: str | None, action: str = "") -> None:
    if reason is not None:
        raise Refused(action, reason)


def _paid(session: Session, sub: Subscription) -> bool:
    """A paid plan invoice of a non-zero amount behind the subscription (the seed's
    "subscription payment made")."""
    return session.scalar(select(Invoice.id).where(
        Invoice.subscription_id == sub.id, Invoice.kind.in_(PAID_KINDS),
        Invoice.state == "paid", Invoice.amount > 0).limit(1)) is not None


def _sub_live(sub: Subscription | None, at: datetime) -> bool:
    return sub is not None and _sub_state(sub, at) not in ("cancelled", "expired")


@dataclass
class Outcome:
    """What one action did: the access's effect date and notes for previews."""

    access: Access
    effective_at: datetime
    immediate: bool
    credited: list[InvoiceNote]
    sub_effects: list[SubscriptionEffect]


def _credit_unpaid(session: Session, ctx: Any, sub: Subscription, now: datetime
                   ) -> list[InvoiceNote]:
    notes = []
    rows = session.scalars(select(Invoice).where(Invoice.subscription_id == sub.id,
                                                 Invoice.state.in_(UNPAID))
                           .order_by(Invoice.issued, Invoice.id)).all()
    for inv in rows:
        before = {"state": inv.state}
        inv.state = "credited"
        inv.updated_at, inv.updated_by = now, ctx.operator
        audit.record(session, ctx, "invoice", inv.number, "credited", before,
                     {"state": "credited", "reason": "access_cancelled"}, at=now)
        notes.append(InvoiceNote(subscription_id=sub.id, number=inv.number, issued=inv.issued,
                                 amount=inv.amount, currency=inv.currency))
    return notes


def _save_sub(session: Session, ctx: Any, sub: Subscription, action: str,
              before: dict[str, Any], now: datetime) -> None:
    _uow.save(session, ctx, subs.KIND, sub, action, before, subs.snapshot(sub), now=now,
              extra={"by": "access"})


def _end_sub_now(session: Session, ctx: Any, sub: Subscription, at: datetime,
                 now: datetime) -> SubscriptionEffect:
    state_before = _sub_state(sub, at)
    before = subs.end_in(session, ctx, sub, at, at, now, cancellation=True)
    sub.expire_reason = "cancelled"
    _save_sub(session, ctx, sub, "cancel", before, now)
    return SubscriptionEffect(id=sub.id, state_before=state_before, ends_at=at, ends_now=True)


def cancel_in(session: Session, ctx: Any, access: Access, facts: Facts, at: datetime,
              now: datetime) -> Outcome:
    """Cancel a loaded (locked) access at `at`; the caller checked the transition table."""
    sub = facts.sub
    credited: list[InvoiceNote] = []
    effects: list[SubscriptionEffect] = []
    if _sub_live(sub, at) and _paid(session, sub):
        state_before = _sub_state(sub, at)
        if state_before != "pending_cancellation":
            before = subs.cancel_in(session, ctx, sub, at, now)
            _save_sub(session, ctx, sub, "cancel", before, now)
        effective = subs.engine_state(sub).expires or at
        effects.append(SubscriptionEffect(id=sub.id, state_before=state_before,
                                          ends_at=effective, ends_now=effective <= at))
        if effective <= at:
            access.cancelled_at, access.pending_cancellation_at = at, None
        else:
            access.pending_cancellation_at, access.cancelled_at = effective, None
        immediate = effective <= at
    else:
        if _sub_live(sub, at):
            effects.append(_end_sub_now(session, ctx, sub, at, now))
        if sub is not None:
            credited = _credit_unpaid(session, ctx, sub, now)
        access.cancelled_at, access.pending_cancellation_at = at, None
        effective, immediate = at, True
    access.end_reason = "cancelled"
    access.status = status_with(access, facts, at)
    return Outcome(access, effective, immediate, credited, effects)


def undo_in(session: Session, ctx: Any, access: Access, facts: Facts, at: datetime,
            now: datetime) -> Outcome:
    """Withdraw a loaded access's pending cancellation (and its subscription's)."""
    sub = facts.sub
    effects = []
    if sub is not None and _sub_live(sub, at) and sub.cancelled_at is not None:
        state_before = _sub_state(sub, at)
        before = subs.uncancel_in(session, ctx, sub, at, now)
        _save_sub(session, ctx, sub, "uncancel", before, now)
        effects.append(SubscriptionEffect(id=sub.id, state_before=state_before,
                                          ends_at=sub.expires, ends_now=False))
    access.pending_cancellation_at = None
    access.cancelled_at = None
    access.end_reason = None
    access.status = status_with(access, facts, at)
    return Outcome(access, at, False, [], effects)


def _set_end_reason(access: Access, facts: Facts, end: datetime, at: datetime) -> str | None:
    if end <= access.starts_at:
        return _("The end cannot be before the start ({start}).").format(
            start=access.starts_at.isoformat())
    sub = facts.sub
    if end > at and sub is not None and not _sub_live(sub, at):
        return _("The subscription behind this access has ended; a later date cannot "
                 "restart it.")
    return None


def set_end_in(session: Session, ctx: Any, access: Access, facts: Facts, end: datetime,
               at: datetime, now: datetime) -> Outcome:
    """Move a loaded access's end to `end`: the cancellation date when it is (pending)
    cancelled, else its expiry; the subscription's end follows."""
    cancellation = (access.pending_cancellation_at is not None
                    or access.cancelled_at is not None
                    or (facts.sub is not None and sub_cancelled(facts.sub)
                        and _sub_live(facts.sub, at)))
    if cancellation:
        access.cancelled_at = None
        access.pending_cancellation_at = end
        if access.ends_at is not None and access.ends_at < end:
            access.ends_at = None
        access.end_reason = "cancelled"
    else:
        access.ends_at = end
        access.end_reason = None
    effects = []
    sub = facts.sub
    if _sub_live(sub, at):
        state_before = _sub_state(sub, at)
        before = subs.end_in(session, ctx, sub, end, at, now, cancellation=cancellation)
        _save_sub(session, ctx, sub, "set_end", before, now)
        effects.append(SubscriptionEffect(id=sub.id, state_before=state_before,
                                          ends_at=sub.expires, ends_now=end <= at))
    access.status = status_with(access, facts, at)
    return Outcome(access, end, end <= at, [], effects)


# -- single actions --------------------------------------------------------------------------


def _load(session: Session, ctx: ServiceContext, access_id: int,
          expected_row_version: int | None) -> Access:
    require(session, ctx, WRITE)
    return _uow.load_for_write(session, KIND, access_id, expected_row_version, lock=True,
                               required=False)


def _state_reason(action: str, access: Access, facts: Facts, at: datetime) -> str | None:
    return _allowed(access, status_with(access, facts, at), at)[action]


def _finish(session: Session, ctx: ServiceContext, access: Access, action: str,
            before: dict[str, Any], now: datetime, extra: dict[str, Any]) -> None:
    _uow.save(session, ctx, KIND, access, action, before, snapshot(access), now=now,
              extra=extra)


def _do(ctx: ServiceContext, access_id: int, action: str, at: datetime | None,
        expected_row_version: int | None, now: datetime | None,
        body: Callable[[Session, Access, Facts, datetime, datetime], Outcome],
        extra: Callable[[Outcome], dict[str, Any]], preview: bool = False):
    now = _moment(now)
    at = _moment(at) if at is not None else now
    with ctx.db.transaction() as session:
        access = _load(session, ctx, access_id, expected_row_version)
        facts = gather(session, [access], at)[access.id]
        _refuse(_state_reason(action, access, facts, at))
        before = snapshot(access)
        outcome = body(session, access, facts, at, now)
        _finish(session, ctx, access, action, before, now, extra(outcome))
        if preview:
            raise _RollBack(session, outcome, at, _preview_of(session, outcome, at))
        return _status_out(session, access, facts, at,
                           bool(setting(session, "overdue_keeps_access")))


class _RollBack(Exception):
    def __init__(self, session, outcome, at, result=None):
        self.session, self.outcome, self.at, self.result = session, outcome, at, result


def _iso(v: datetime | None) -> str | None:
    return v.isoformat() if v is not None else None


def cancel(ctx: ServiceContext, access_id: int, *, at: datetime | None = None,
           expected_row_version: int | None = None, now: datetime | None = None
           ) -> AccessStatus:
    """Cancel an access (a bundle: one access) at `at`: ends now without a paid plan invoice,
    else pending cancellation until the billing engine's date."""
    return _do(ctx, access_id, "cancel", at, expected_row_version, now,
               lambda s, a, f, t, n: cancel_in(s, ctx, a, f, t, n),
               lambda o: {"at": _iso(o.effective_at), "immediate": o.immediate})


def undo_cancel(ctx: ServiceContext, access_id: int, *, at: datetime | None = None,
                expected_row_version: int | None = None, now: datetime | None = None
                ) -> AccessStatus:
    """Withdraw a pending cancellation before its date (refused, with why, after it)."""
    return _do(ctx, access_id, "undo_cancel", at, expected_row_version, now,
               lambda s, a, f, t, n: undo_in(s, ctx, a, f, t, n), lambda o: {})


def set_end(ctx: ServiceContext, access_id: int, end: datetime, *, at: datetime | None = None,
            expected_row_version: int | None = None, now: datetime | None = None
            ) -> AccessStatus:
    """Edit the end (expiry or cancellation) date; the status follows at once."""
    end = _end_moment(end)

    def body(s, a, f, t, n):
        _refuse(_set_end_reason(a, f, end, t))
        return set_end_in(s, ctx, a, f, end, t, n)

    return _do(ctx, access_id, "set_end", at, expected_row_version, now, body,
               lambda o: {"end": _iso(end)})


def _end_moment(end: datetime) -> datetime:
    from core.limits import date_in_range, date_range_message

    if not isinstance(end, datetime):
        raise ValidationFailed({"end": _("Not a date and time.")})
    if end.tzinfo is None:
        raise ValidationFailed({"end": _("A moment needs a time zone.")})
    if not date_in_range(end):
        raise ValidationFailed({"end": date_range_message()})
    return end.astimezone(UTC)


def _preview_of(session: Session, outcome: Outcome, at: datetime) -> CancelPreview:
    access = outcome.access
    lost, kept = _losses(session, access, max(outcome.effective_at, at))
    product = session.get(Product, access.product_id)
    last, to_come = None, 0
    if access.subscription_id:
        sub = session.get(Subscription, access.subscription_id)
        last, to_come = _invoices_to_come(session, sub)
    return CancelPreview(
        access_id=access.id, contact_id=access.contact_id,
        product_name=product.name if product else "", effective_at=outcome.effective_at,
        immediate=outcome.immediate, status_after=access.status, products_lost=lost,
        products_kept=kept, lessons_lost=sum(p.lessons for p in lost), last_invoice=last,
        invoices_to_come=to_come, credited=outcome.credited, subscriptions=outcome.sub_effects)


def _invoices_to_come(session: Session, sub: Subscription) -> tuple[InvoiceNote | None, int]:
    """The last invoice of the subscription (still to come, else the last issued) and how
    many are still to be issued before it ends."""
    _plan, terms = subs.terms_for(session, sub)
    _pp, move = subs.pending_move(session, sub)
    steps = []
    if sub.expires is not None and sub.on_hold_at is None:
        steps = list(billing.project(terms, subs.engine_state(sub), _FAR, move))
    if steps:
        inv = steps[-1].invoice
        return InvoiceNote(subscription_id=sub.id, number=None, issued=inv.issued,
                           amount=inv.amount, currency=inv.currency), len(steps)
    row = session.scalars(select(Invoice).where(Invoice.subscription_id == sub.id,
                                                Invoice.state != "credited")
                          .order_by(Invoice.issued.desc(), Invoice.id.desc()).limit(1)).first()
    if row is None:
        return None, 0
    return InvoiceNote(subscription_id=sub.id, number=row.number, issued=row.issued,
                       amount=row.amount, currency=row.currency), 0


def preview_cancel(ctx: ServiceContext, access_id: int, *, at: datetime | None = None,
                   now: datetime | None = None) -> CancelPreview:
    """What `cancel` would do — the same code, rolled back: effective date, products and
    lessons lost (those another access grants stay), the last invoice, the subscriptions."""
    try:
        _do(ctx, access_id, "cancel", at, None, now,
            lambda s, a, f, t, n: cancel_in(s, ctx, a, f, t, n), lambda o: {}, preview=True)
    except _RollBack as done:
        return done.result
    raise AssertionError("a preview always rolls back")


# -- bulk ------------------------------------------------------------------------------------

BULK_ACTIONS = ("cancel", "undo_cancel", "set_end")


def _bulk_parts(session: Session, ctx: ServiceContext, action: str, at: datetime,
                now: datetime, end: datetime | None):
    facts_cache: dict[int, Facts] = {}
    outcomes: list[Outcome] = []

    def facts_of(access: Access) -> Facts:
        if access.id not in facts_cache:
            facts_cache[access.id] = gather(session, [access], at)[access.id]
        return facts_cache[access.id]

    def check(access: Access) -> str | None:
        facts = facts_of(access)
        reason = _state_reason(action, access, facts, at)
        if reason is None and action == "set_end":
            reason = _set_end_reason(access, facts, end, at)
        return reason

    def apply(access: Access) -> tuple[dict[str, Any], dict[str, Any]]:
        before = snapshot(access)
        facts = facts_of(access)
        if action == "cancel":
            outcome = cancel_in(session, ctx, access, facts, at, now)
        elif action == "undo_cancel":
            outcome = undo_in(session, ctx, access, facts, at, now)
        else:
            outcome = set_end_in(session, ctx, access, facts, end, at, now)
        outcomes.append(outcome)
        return before, snapshot(access)

    def prefetch(ids: list[int]) -> None:
        rows = []
        for part in in_batches(ids):
            rows.extend(session.scalars(select(Access).where(Access.id.in_(part))))
        facts_cache.update(gather(session, rows, at))

    return check, apply, outcomes, prefetch


def _bulk_check_action(action: str, end: datetime | None) -> datetime | None:
    if action not in BULK_ACTIONS:
        raise ValidationFailed({"action": _("Choose one of: {actions}.").format(
            actions=", ".join(BULK_ACTIONS))})
    if action == "set_end":
        if end is None:
            raise ValidationFailed({"end": _("Give the new end date.")})
        return _end_moment(end)
    return None


def bulk(ctx: ServiceContext, action: str, ids: Iterable[int], *, end: datetime | None = None,
         at: datetime | None = None, now: datetime | None = None):
    """`action` (cancel, undo_cancel, set_end) on every access of `ids`, or on none: one
    transaction, one audit record per access; a refusal raises `BulkRefused` listing every
    refused access with its reason and writes nothing."""
    end = _bulk_check_action(action, end)
    ids = list(ids)
    now = _moment(now)
    at = _moment(at) if at is not None else now
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        return _run_bulk(session, ctx, action, ids, end, at, now)[0]


def _run_bulk(session, ctx, action, ids, end, at, now):
    check, apply, outcomes, prefetch = _bulk_parts(session, ctx, action, at, now, end)
    if session.get_bind().dialect.name == "sqlite":
        _uow.lock_sqlite(session)
    try:
        prefetch(list(dict.fromkeys(int(i) for i in ids)))
    except (TypeError, ValueError):
        raise ValidationFailed({"ids": _("Every id must be a whole number.")}) from None
    result = _bulk.run(session, ctx, KIND, action, ids, check=check, apply=apply, now=now)
    return result, outcomes


def preview_bulk(ctx: ServiceContext, action: str, ids: Iterable[int], *,
                 end: datetime | None = None, at: datetime | None = None,
                 now: datetime | None = None) -> BulkStatusPreview:
    """One preview for a bulk action — the same code rolled back: counts, refused rows with
    their reasons, earliest and latest effective dates, invoices still to come."""
    end = _bulk_check_action(action, end)
    ids = list(ids)
    now = _moment(now)
    at = _moment(at) if at is not None else now
    try:
        with ctx.db.transaction() as session:
            require(session, ctx, READ)
            try:
                _result, outcomes = _run_bulk(session, ctx, action, ids, end, at, now)
            except _bulk.BulkRefused as refused:
                raise _RollBack(session, None, at, BulkStatusPreview(
                    action=action, total=refused.total,
                    allowed=refused.total - len(refused.refused), refused=refused.refused,
                    immediate=0, pending=0, earliest=None, latest=None, invoices_to_come=0,
                    amount_to_come={})) from None
            dates = [o.effective_at for o in outcomes]
            to_come, amounts = 0, {}
            for sub_id in sorted({o.access.subscription_id for o in outcomes
                                  if o.access.subscription_id}):
                sub = session.get(Subscription, sub_id)
                if sub.expires is None or sub.on_hold_at is not None:
                    continue
                _plan, terms = subs.terms_for(session, sub)
                _pp, move = subs.pending_move(session, sub)
                for step in billing.project(terms, subs.engine_state(sub), _FAR, move):
                    to_come += 1
                    amounts[step.invoice.currency] = amounts.get(step.invoice.currency, 0) \
                        + step.invoice.amount
            raise _RollBack(session, None, at, BulkStatusPreview(
                action=action, total=len(outcomes), allowed=len(outcomes), refused=[],
                immediate=sum(1 for o in outcomes if o.immediate),
                pending=sum(1 for o in outcomes if not o.immediate),
                earliest=min(dates) if dates else None, latest=max(dates) if dates else None,
                invoices_to_come=to_come, amount_to_come=amounts))
    except _RollBack as done:
        return done.result


# -- follow-up lists -------------------------------------------------------------------------

LISTS = ("pending", "expiring", "overdue")


def parse_within(text: str | int | None) -> int:
    """`30d`, `2w`, `30` -> days (1..3660); ValidationFailed naming `within` otherwise."""
    if text is None:
        return 30
    raw = str(text).strip().lower()
    factor = 1
    if raw.endswith("w"):
        factor, raw = 7, raw[:-1]
    elif raw.endswith(("d", "t", "g")):
        raw = raw[:-1]
    if not raw.isdigit() or not 1 <= int(raw) * factor <= 3660:
        raise ValidationFailed({"within": _("A number of days from 1 to 3660 (30d, 2w): "
                                            "{value}").format(value=str(text)[:20])})
    return int(raw) * factor


def follow_up(ctx: ServiceContext, which: str, *, within_days: int = 30,
              product_id: int | None = None, date_from: datetime | None = None,
              date_to: datetime | None = None, at: datetime | None = None,
              window: Window | None = None) -> list[FollowUpRow]:
    """One window of a follow-up list, keyset on (date, id):

    * `pending`: pending cancellations ending after `at` and within `within_days` (or in
      [date_from, date_to));
    * `expiring`: live accesses whose end falls in the same range;
    * `overdue`: accesses the billing run (or a failed payment) marked overdue, by id.
    """
    if which not in LISTS:
        raise ValidationFailed({"list": _("Choose one of: {lists}.").format(
            lists=", ".join(LISTS))})
    window = window or Window()
    at = _moment(at)
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        lo, hi = _range(session, at, within_days, date_from, date_to)
        q = _list_query(which, lo, hi, product_id)
        col = _list_column(which)
        by_id = which == "overdue"
        order = [Access.id] if by_id else [col, Access.id]
        descending = False
        if window.after is not None:
            key_date, key_id = _key(window.after)
            q = q.where(Access.id > key_id if by_id else _after(col, key_date, key_id))
        elif window.before is not None:
            key_date, key_id = _key(window.before)
            q = q.where(Access.id < key_id if by_id else _before(col, key_date, key_id))
            descending = True
        elif window.from_end:
            descending = True
        elif window.offset:
            q = q.offset(window.offset)
        q = q.order_by(*([c.desc() for c in order] if descending else order))
        rows = session.execute(q.limit(window.limit)).all()
        if descending:
            rows = rows[::-1]
        return [_follow_row(r, which) for r in rows]


def count_follow_up(ctx: ServiceContext, which: str, *, within_days: int = 30,
                    product_id: int | None = None, date_from: datetime | None = None,
                    date_to: datetime | None = None, at: datetime | None = None,
                    cap: int = 100_000) -> int:
    """How many rows the list has (counted in SQL, capped)."""
    at = _moment(at)
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        lo, hi = _range(session, at, within_days, date_from, date_to)
        inner = _hinted(select(Access.id).where(*_list_where(which, lo, hi, product_id)),
                        which).limit(cap)
        return session.scalar(select(func.count()).select_from(inner.subquery())) or 0


def _range(session: Session, at: datetime, within_days: int, date_from, date_to
           ) -> tuple[datetime, datetime]:
    """The list's (lo, hi]: moments as given; a date from its local midnight, a date to
    the end of its local day (account zone)."""
    from core.dates import day_end
    from core.services.settings import account_zone

    def start(v):
        if isinstance(v, datetime):
            return _moment(v)
        return datetime.combine(v, datetime.min.time(),
                                tzinfo=account_zone(session)).astimezone(UTC)

    def end(v):
        return _moment(v) if isinstance(v, datetime) else day_end(v, account_zone(session))

    if not isinstance(within_days, int) or not 0 < within_days <= 3660:
        raise ValidationFailed({"within": _("A number of days from 1 to 3660 (30d, 2w): "
                                            "{value}").format(value=str(within_days)[:20])})
    lo = start(date_from) if date_from is not None else at
    hi = end(date_to) if date_to is not None else lo + timedelta(days=within_days)
    return lo, hi


def _list_column(which: str):
    return {"pending": Access.pending_cancellation_at, "expiring": Access.ends_at,
            "overdue": Access.updated_at}[which]


def _list_query(which: str, lo: datetime, hi: datetime, product_id: int | None):
    col = _list_column(which)
    q = (select(Access.id, Access.contact_id, Contact.name, Access.product_id, Product.name,
                Access.status, col, Access.subscription_id)
         .join(Contact, Contact.id == Access.contact_id)
         .join(Product, Product.id == Access.product_id))
    return _hinted(q.where(*_list_where(which, lo, hi, product_id)), which)


# SQLite's planner without fresh statistics takes `pending_cancellation_at IS NULL` of the
# expiring list for an equality on ix_accesses_pending_live (most rows): name the index.
_SQLITE_INDEX = {"pending": "ix_accesses_pending_live", "expiring": "ix_accesses_ends_live"}


def _hinted(q, which: str):
    index = _SQLITE_INDEX.get(which)
    return q.with_hint(Access, f"INDEXED BY {index}", "sqlite") if index else q


def _list_where(which: str, lo: datetime, hi: datetime, product_id: int | None) -> list:
    """The list's conditions: those of the partial indexes ix_accesses_pending_live and
    ix_accesses_ends_live (migration 0010), so a count reads the index alone."""
    live = [Access.cancelled_at.is_(None), Access.deleted_at.is_(None)]
    if which == "pending":
        where = [Access.pending_cancellation_at > lo, Access.pending_cancellation_at <= hi,
                 *live]
    elif which == "expiring":
        # An end in (lo, hi] has not passed at lo: the access is live (or paused) then.
        where = [Access.ends_at > lo, Access.ends_at <= hi,
                 Access.pending_cancellation_at.is_(None), *live]
    else:
        where = [Access.status == "overdue", Access.deleted_at.is_(None)]
    if product_id is not None:
        where.append(Access.product_id == product_id)
    return where


def _key(after: Any) -> tuple[datetime | None, int]:
    if len(after) == 2:
        d, i = after
        if isinstance(d, str):
            d = datetime.fromisoformat(d)
        return d, int(i)
    return None, int(after[-1])


def _after(col, key_date: datetime | None, key_id: int):
    if key_date is None:
        return Access.id > key_id
    return or_(col > key_date, and_(col == key_date, Access.id > key_id))


def _before(col, key_date: datetime | None, key_id: int):
    if key_date is None:
        return Access.id < key_id
    return or_(col < key_date, and_(col == key_date, Access.id < key_id))


def _follow_row(r, which: str) -> FollowUpRow:
    d = r[6]
    if d is not None and d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return FollowUpRow(id=r[0], contact_id=r[1], contact_name=r[2], product_id=r[3],
                       product_name=r[4], status=r[5], date=d, subscription_id=r[7],
                       key=(d.isoformat() if d else None, r[0]))


# -- contact lock ----------------------------------------------------------------------------

CONTACT_KIND = _uow.Kind(
    model=Contact, entity="contact",
    not_found=lambda cid: _("Contact {id} does not exist (deleted?).").format(id=cid),
    changed=lambda by, at: _("This contact was changed by {by} at {at} — reload to see their "
                             "change.").format(by=by, at=at),
    meanwhile=lambda: _("This contact was changed by someone else meanwhile — reload."))


def _lock(ctx: ServiceContext, contact_id: int, lock: bool, at: datetime | None,
          expected_version: int | None) -> dict[str, Any]:
    now = _moment(at)
    with ctx.db.transaction() as session:
        require(session, ctx, LOCK)
        c = _uow.load_for_write(session, CONTACT_KIND, contact_id, expected_version,
                                lock=True, required=False)
        if lock and c.locked_at is not None:
            raise ValidationFailed({"_": _("The contact is already locked (by {by}).").format(
                by=c.locked_by or "?")})
        if not lock and c.locked_at is None:
            raise ValidationFailed({"_": _("The contact is not locked.")})
        before = {"locked_at": _iso(c.locked_at), "locked_by": c.locked_by}
        c.locked_at, c.locked_by = (now, ctx.operator) if lock else (None, None)
        _uow.save(session, ctx, CONTACT_KIND, c, "lock" if lock else "unlock", before,
                  {"locked_at": _iso(c.locked_at), "locked_by": c.locked_by}, now=now)
        return {"id": c.id, "locked": c.locked_at is not None, "locked_at": c.locked_at,
                "locked_by": c.locked_by, "version": c.row_version}


def lock_contact(ctx: ServiceContext, contact_id: int, *, at: datetime | None = None,
                 expected_version: int | None = None) -> dict[str, Any]:
    """Lock a contact (admins): no access shows content; billing goes on."""
    return _lock(ctx, contact_id, True, at, expected_version)


def unlock_contact(ctx: ServiceContext, contact_id: int, *, at: datetime | None = None,
                   expected_version: int | None = None) -> dict[str, Any]:
    """Lift a contact's lock (admins)."""
    return _lock(ctx, contact_id, False, at, expected_version)


def contact_lock(ctx: ServiceContext, contact_id: int) -> dict[str, Any]:
    """The lock state of a contact and whether this operator may change it."""
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        c = session.get(Contact, contact_id)
        if c is None:
            raise NotFound(CONTACT_KIND.not_found(contact_id))
        from core.services.context import PERMISSIONS, current_role

        may = LOCK in PERMISSIONS.get(current_role(session, ctx.operator), frozenset())
        return {"id": c.id, "locked": c.locked_at is not None, "locked_at": c.locked_at,
                "locked_by": c.locked_by, "version": c.row_version,
                "allowed_actions": {
                    "lock": None if may and c.locked_at is None else (
                        _("Only an admin may lock a contact.") if not may
                        else _("The contact is already locked (by {by}).").format(
                            by=c.locked_by or "?")),
                    "unlock": None if may and c.locked_at is not None else (
                        _("Only an admin may lock a contact.") if not may
                        else _("The contact is not locked."))}}


# -- persisted statuses ----------------------------------------------------------------------


def _stale_candidates(session: Session, upto: datetime) -> list[int]:
    live = ("active", "pending_cancellation", "paused", "overdue")
    ids: set[int] = set()
    ids.update(session.scalars(select(Access.id).where(
        Access.pending_cancellation_at <= upto, Access.status.in_(live))))
    ids.update(session.scalars(select(Access.id).where(
        Access.status.in_(live), Access.ends_at <= upto)))
    ids.update(session.scalars(select(Access.id).where(
        Access.status.in_(("paused", "overdue", "pending_cancellation")))))
    # a planned pause whose start has come (stored "active" until now): an active access
    # with any pause is looked at; the status function decides
    # (its partial index, migration 0014; SQLite's planner would rather walk the status index)
    indexed_by = (" INDEXED BY ix_accesses_with_pauses"
                  if session.get_bind().dialect.name == "sqlite" else "")
    ids.update(session.scalars(text(f"SELECT id FROM accesses{indexed_by} WHERE {WITH_PAUSES}")))
    ids.update(session.scalars(
        select(Access.id).join(Subscription, Subscription.id == Access.subscription_id)
        .where(Subscription.state.in_(("cancelled", "expired", "pending_cancellation")),
               Access.status.in_(("active", "overdue", "paused")))))
    ids.update(session.scalars(select(Access.id).where(
        Access.status.in_(("active", "pending_cancellation", "paused")),
        exists().where(Invoice.subscription_id == Access.subscription_id,
                       Invoice.state == "failed"))))
    return sorted(ids)


def refresh_in(session: Session, operator: Any, ids: list[int], at: datetime,
               now: datetime | None = None) -> int:
    """Store the status at `at` of the accesses `ids` where it changed (audited as
    `operator`, action "status"); returns how many changed."""
    changed = 0
    now = now or utcnow()
    for part in in_batches(ids):
        rows = list(session.scalars(select(Access).where(Access.id.in_(part))
                                    .order_by(Access.id)))
        facts = gather(session, rows, at)
        for access in rows:
            new = status_with(access, facts[access.id], at)
            if new != access.status:
                old, access.status = access.status, new
                access.updated_at = now
                access.updated_by = operator if isinstance(operator, str) else operator.operator
                audit.record(session, operator, "access", access.id, "status",
                             {"status": old}, {"status": new}, at=now)
                changed += 1
        _uow.flush(session, KIND)
    return changed


def persist_statuses(ctx: ServiceContext, upto: datetime, *, now: datetime | None = None
                     ) -> int:
    """The billing run's step: every access whose status has changed by `upto` (a passed
    cancellation or end date, a pause, a failed or settled payment, an ended subscription)
    gets its stored status, audited as `system`."""
    with ctx.db.transaction() as session:
        require(session, ctx, "subscriptions.write")
        return refresh_in(session, SYSTEM, _stale_candidates(session, upto), upto, now)


def refresh_for_subscription(session: Session, ctx: Any, subscription_id: int,
                             at: datetime) -> int:
    """After a payment was recorded as failed or paid: the accesses behind the subscription
    get their status (overdue or not) at once."""
    ids = list(session.scalars(select(Access.id).where(
        Access.subscription_id == subscription_id, Access.deleted_at.is_(None))))
    return refresh_in(session, ctx, ids, at) if ids else 0


__all__ = ["BULK_ACTIONS", "LISTS", "bulk", "cancel", "contact_lock", "contact_statuses",
           "count_follow_up", "follow_up", "gather", "get_status", "lock_contact",
           "parse_within", "persist_statuses", "preview_bulk", "preview_cancel",
           "refresh_for_subscription", "set_end", "status_with", "undo_cancel",
           "unlock_contact"]


# -- for the console's date input ------------------------------------------------------------


def local_today(ctx: ServiceContext, *, at: datetime | None = None):
    """Today's date in the account zone (what `tomorrow` and `+14d` count from)."""
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        from core.services.settings import account_zone

        return _moment(at).astimezone(account_zone(session)).date()


def end_of_day(ctx: ServiceContext, day) -> datetime:
    """The end of local day `day` in the account zone: what a date alone means."""
    from core.dates import day_end

    with ctx.db.reading() as session:
        from core.services.settings import account_zone

        return day_end(day, account_zone(session))


# -- history ---------------------------------------------------------------------------------


def contact_history(ctx: ServiceContext, contact_id: int, *, limit: int = 200):
    """The contact's audit trail with that of their accesses (cancel, end date, undo,
    statuses stored by the billing run), newest first: what the card's History tab shows."""
    from core.models import AuditRecord
    from core.schemas.audit import AuditEntry

    with ctx.db.reading() as session:
        require(session, ctx, READ)
        ids = [str(i) for i in session.scalars(
            select(Access.id).where(Access.contact_id == contact_id).order_by(Access.id))]
        rows = list(session.scalars(select(AuditRecord).where(
            AuditRecord.entity == "contact", AuditRecord.entity_id == str(contact_id))
            .order_by(AuditRecord.id.desc()).limit(limit)))
        for part in in_batches(ids):
            rows.extend(session.scalars(select(AuditRecord).where(
                AuditRecord.entity == "access", AuditRecord.entity_id.in_(part))
                .order_by(AuditRecord.id.desc()).limit(limit)))
        rows.sort(key=lambda r: r.id, reverse=True)
        return [AuditEntry.model_validate(r, from_attributes=True) for r in rows[:limit]]
