"""Group access (SPEC §8, issue 12): create (a paid purchase), upgrade, enrol, remove,
downgrade/cancel assistant, offline and reactivate; the quota view, participants and the
groups list.

Seats: the counters on the group row (core/models/groups.py) under CHECK constraints; seats
used follow the setting `group_limit_active` (core/rules/groups.py). An enrolment takes the
group's row lock (`_uow.load(lock=True)`: FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on
SQLite) and then one conditional UPDATE that only succeeds while a seat is free — two agents
taking the last seat give exactly one success.

The purchase itself (order, line, payment, subscription) is `_purchase`, one function, so
the orders service can take it over.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Integer, func, literal_column, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from core.billing.amounts import price
from core.errors import NotFound, ValidationFailed
from core.i18n import _
from core.models import (
    Access,
    Contact,
    Group,
    GroupMember,
    GroupPurchase,
    Invoice,
    Offer,
    Order,
    OrderLine,
    OrderPayment,
    Product,
    Subscription,
    UTCDateTime,
    utcnow,
)
from core.rules import Refused
from core.rules import accesses as access_rules
from core.rules import groups as rules
from core.schemas.common import Window, field_errors
from core.schemas.groups import (
    ContactGroup,
    DowngradeLine,
    DowngradePreview,
    GroupInput,
    GroupOrder,
    GroupRow,
    GroupSubscription,
    LimitEffect,
    Loser,
    MemberInput,
    Participant,
    Removal,
    SeatsInput,
    TargetInput,
)
from core.schemas.groups import Group as GroupOut
from core.services import _uow, accesses, audit, catalogue, contacts, orders, subscriptions
from core.services.context import READ, ServiceContext, require
from core.services.plan_catalogue import per_period_text
from core.services.settings import setting

WRITE = "groups.write"
SUB_OPEN = datetime(9000, 1, 1, tzinfo=UTC)  # a subscription lives open-ended
SUB_NONE = datetime(1970, 1, 1, tzinfo=UTC)  # no subscription was ever bought
LIMIT_KEY = "group_limit_active"

KIND = _uow.Kind(
    model=Group, entity="group",
    not_found=lambda key: _("Group {id} does not exist.").format(id=key),
    changed=lambda by, at: _("This group was changed by {by} at {at} — reload.").format(
        by=by or "?", at=at),
    meanwhile=lambda: _("This group was changed by someone else meanwhile — reload."))
MEMBER_KIND = _uow.Kind(
    model=GroupMember, entity="group_member",
    not_found=lambda key: _("No such participant: {id}.").format(id=key),
    changed=lambda by, at: _("This participant was changed by {by} at {at} — reload.").format(
        by=by or "?", at=at),
    meanwhile=lambda: _("This participant was changed by someone else meanwhile — reload."))


# -- helpers ---------------------------------------------------------------------------------


def _validate(model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise field_errors(exc) from None


def _limited(session: Session) -> bool:
    return bool(setting(session, LIMIT_KEY))


def _snapshot(g: Group) -> dict[str, Any]:
    def iso(v):
        return v.isoformat() if v is not None else None
    return {"name": g.name, "product_id": g.product_id, "offer_id": g.offer_id,
            "leader_id": g.leader_id, "leader_takes_seat": g.leader_takes_seat,
            "seats_total": g.seats_total, "active_count": g.active_count,
            "removed_count": g.removed_count, "offline_at": iso(g.offline_at)}


def _member_snapshot(m: GroupMember) -> dict[str, Any]:
    return {"group_id": m.group_id, "contact_id": m.contact_id, "access_id": m.access_id,
            "status": m.status, "is_leader": m.is_leader,
            "removed_at": m.removed_at.isoformat() if m.removed_at else None,
            "seat_freed": m.seat_freed}


def _set_counts(g: Group, *, total: int | None = None, active: int | None = None,
                removed: int | None = None) -> None:
    """Change counters together (the CHECK constraints hold them consistent)."""
    if total is not None:
        g.seats_total = total
    if active is not None:
        g.active_count = active
    if removed is not None:
        g.removed_count = removed
    g.seats_free_open = g.seats_total - g.active_count
    g.seats_free_limited = g.seats_total - g.active_count - g.removed_count


def _offer_by_handle(session: Session, handle: str) -> Offer:
    offer = session.scalar(select(Offer).where(Offer.handle == handle))
    if offer is None:
        raise ValidationFailed({"offer": _("No offer with handle {handle}.").format(
            handle=handle)})
    if offer.archived_at is not None:
        raise ValidationFailed({"offer": _("Offer {handle} is archived.").format(
            handle=handle)})
    if offer.group_min_seats is None and offer.group_max_seats is None:
        raise ValidationFailed({"offer": _("Offer {handle} sells a single access, not group "
                                           "seats.").format(handle=handle)})
    return offer


def _check_seats(offer: Offer, seats: int) -> None:
    why = rules.check_seat_range(seats, offer.group_min_seats, offer.group_max_seats)
    if why:
        raise ValidationFailed({"seats": why})


def _vat(session: Session, offer: Offer) -> Decimal:
    if offer.vat_bp is not None:
        return Decimal(offer.vat_bp) / Decimal(10000)
    return Decimal(setting(session, "default_vat"))


# -- the purchase (the orders service can take this over) ------------------------------------


def _purchase(session: Session, ctx: ServiceContext, *, group: Group, offer: Offer,
              contact_id: int, seats: int, at: datetime) -> GroupPurchase:
    """A paid purchase of `seats` seats of `offer` for `group` by `contact_id` at `at`:
    an Order (paid) with one OrderLine (quantity = seats) and its payment; for a recurring
    offer a new, separate subscription (quantity = seats) starting at `at`, created by the
    subscriptions service (its first invoice is the order's payment). Returns the
    GroupPurchase row. Inside the caller's transaction; the caller checks the role."""
    zone = accesses.account_zone(session)
    order = Order(number=orders.take_order_number(session), contact_id=contact_id, ordered_at=at,
                  status="paid", payment=offer.payment, currency=offer.currency,
                  product_id=offer.product_id, paid_at=at, created_at=at, updated_at=at,
                  updated_by=ctx.operator, comment="")
    session.add(order)
    session.flush()
    sub = None
    live_until = None
    if offer.payment == "one_time":
        unit = offer.price or 0
        priced = price(unit * seats, _vat(session, offer), True)
        total, vat_amount = priced.gross, priced.vat_amount
        session.add(OrderPayment(order_id=order.id, kind="payment", due_at=at, amount=total,
                                 paid=True, paid_at=at))
        live_until = accesses.template_end(
            catalogue.offer_template(session, offer)[0], at, zone)
    else:
        if not offer.plan_handle:
            raise ValidationFailed({"offer": _("Offer {handle} names no plan.").format(
                handle=offer.handle)})
        sub = subscriptions.create_in(session, ctx, {
            "contact_id": contact_id, "plan": offer.plan_handle, "quantity": seats,
            "start": at}, now=at)
        first = session.scalars(select(Invoice).where(Invoice.subscription_id == sub.id)
                                .order_by(Invoice.issued, Invoice.id)).all()
        total = sum(i.amount for i in first)
        vat_amount = sum(i.vat_amount for i in first)
        unit = total // seats if seats else 0
        session.add(OrderPayment(order_id=order.id, kind="invoice", due_at=at, amount=total,
                                 paid=True, paid_at=at,
                                 invoice_id=first[0].id if first else None))
    order.total = total
    line = OrderLine(order_id=order.id, position=1, offer_id=offer.id,
                     product_id=offer.product_id, quantity=seats, unit_price=unit,
                     vat_bp=int(_vat(session, offer) * 10000), vat_amount=vat_amount,
                     total=total)
    session.add(line)
    purchase = GroupPurchase(group_id=group.id, order_id=order.id,
                             subscription_id=sub.id if sub else None, offer_id=offer.id,
                             payment=offer.payment, seats=seats, bought_at=at,
                             live_until=live_until, created_at=at)
    session.add(purchase)
    session.flush()
    audit.record(session, ctx, "order", order.id, "create", None,
                 {"number": order.number, "contact_id": contact_id, "status": "paid",
                  "total": total, "currency": order.currency, "group_id": group.id,
                  "seats": seats, "subscription_id": sub.id if sub else None}, at=at)
    return purchase


# -- purchases, live at a moment -------------------------------------------------------------


def _purchases(session: Session, group_id: int) -> list[GroupPurchase]:
    return list(session.scalars(select(GroupPurchase).where(GroupPurchase.group_id == group_id)
                                .order_by(GroupPurchase.id)))


def _sub_facts(session: Session, sub: Subscription, at: datetime) -> tuple[str, bool]:
    """(state at `at`, paid off) of a purchase's subscription."""
    _plan, terms = subscriptions.terms_for(session, sub)
    state = subscriptions.state_at(sub, terms, subscriptions.engine_state(sub), at)
    paid_off = state == "expired" and sub.cancelled_at is None and sub.expire_reason != "ondemand"
    return state, paid_off


def _live(session: Session, p: GroupPurchase, at: datetime) -> bool:
    if p.subscription_id is None:
        return rules.purchase_live(payment="one_time", at=at, live_until=p.live_until,
                                   ended_at=p.ended_at)
    sub = session.get(Subscription, p.subscription_id)
    state, paid_off = _sub_facts(session, sub, at)
    return rules.purchase_live(payment=p.payment, at=at, ended_at=p.ended_at,
                               subscription_state=state, paid_off=paid_off)


def _live_until(session: Session, p: GroupPurchase) -> datetime | None:
    """Until when the purchase lives (None: open-ended)."""
    if p.ended_at is not None:
        return p.ended_at
    if p.subscription_id is None:
        return p.live_until
    sub = session.get(Subscription, p.subscription_id)
    if p.payment == "instalments" and sub.cancelled_at is None:
        return None  # paid off stays live
    if sub.cancelled_at is None and sub.state not in ("cancelled", "expired"):
        return None
    return sub.expires


def _refresh(session: Session, g: Group, at: datetime) -> list[GroupPurchase]:
    """Recompute the cached quota and live dates of `g` from its purchases at `at`."""
    purchases = _purchases(session, g.id)
    total = 0
    open_any = open_sub = False
    until: datetime | None = None
    sub_until: datetime | None = None
    for p in purchases:
        if _live(session, p, at):
            total += p.seats
        end = _live_until(session, p)
        if end is None:
            open_any = True
            open_sub = open_sub or p.subscription_id is not None
        else:
            until = end if until is None else max(until, end)
            if p.subscription_id is not None:
                sub_until = end if sub_until is None else max(sub_until, end)
    if total != g.seats_total:
        _set_counts(g, total=total)
    g.has_open_purchase, g.live_until = open_any, None if open_any else until
    # "no live subscription" is one indexed range: open-ended subscriptions sit far in the
    # future, a group that never had one at the epoch.
    g.has_open_sub = open_sub
    g.sub_live_until = SUB_OPEN if open_sub else (sub_until or SUB_NONE)
    return purchases


def _offline_moment(g: Group) -> datetime | None:
    """When the last live purchase ends (None: one lives open-ended)."""
    return None if g.has_open_purchase else g.live_until


def _apply_offline(session: Session, ctx: ServiceContext, g: Group, at: datetime) -> None:
    """Set `offline_at` from the purchases; participants' group accesses end then (or are
    given back when the group stays online)."""
    new = _offline_moment(g)
    old = g.offline_at
    if new == old:
        return
    g.offline_at = new
    members = session.scalars(select(GroupMember).where(GroupMember.group_id == g.id,
                                                        GroupMember.status == "active"))
    for m in members:
        access = session.get(Access, m.access_id) if m.access_id else None
        if new is not None:
            if access is not None and accesses.status_of(access, at) not in access_rules.ENDED:
                _end_access(session, ctx, access, new, at, "group_offline")
        elif access is not None and access.end_reason == "group_offline":
            if accesses.status_of(access, at) in access_rules.ENDED:
                _grant_member_access(session, ctx, g, m, at)
            else:
                before = accesses.snapshot(access)
                access.pending_cancellation_at = None
                access.end_reason = None
                access.status = "active"
                _uow.save(session, ctx, accesses.KIND, access, "undo_end", before,
                          accesses.snapshot(access), now=at)


def _end_access(session: Session, ctx: ServiceContext, access: Access, when: datetime,
                at: datetime, reason: str) -> None:
    """End a group access at `when` (now or ahead: pending cancellation), audited."""
    before = accesses.snapshot(access)
    if when <= at:
        access.cancelled_at = when
        access.pending_cancellation_at = None
        access.status = "cancelled"
    else:
        access.pending_cancellation_at = when
        access.status = "pending_cancellation"
    access.end_reason = reason
    _uow.save(session, ctx, accesses.KIND, access, "end", before, accesses.snapshot(access),
              now=at)


def _grant_member_access(session: Session, ctx: ServiceContext, g: Group, m: GroupMember,
                         at: datetime) -> Access:
    offer = session.get(Offer, g.offer_id)
    access = accesses.grant(session, ctx, contact_id=m.contact_id, offer=offer, starts_at=at,
                            group_id=g.id, now=at)
    if g.offline_at is not None:
        _end_access(session, ctx, access, max(g.offline_at, at), at, "group_offline")
    m.access_id = access.id
    return access


LOCK_PATIENCE = 60.0  # seconds a write waits for SQLite's write lock before it gives up


def _locked(exc: OperationalError) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database is busy" in text


def _run(ctx: ServiceContext, body, *, read: bool = False):
    """`body(session)` in one transaction (or a read). SQLite allows one writer: when the
    write lock stays taken past busy_timeout (16 agents enrolling at once on a loaded
    machine) the whole transaction — rolled back, nothing written — is tried again with a
    jittered pause, up to LOCK_PATIENCE seconds; "database is locked" never reaches anyone
    before that."""
    import random
    import time

    deadline = time.monotonic() + LOCK_PATIENCE
    while True:
        try:
            with (ctx.db.reading() if read else ctx.db.transaction()) as session:
                return body(session)
        except OperationalError as exc:
            if read or not _locked(exc) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.01, 0.1))


def _load(session: Session, ctx: ServiceContext, group_id: int) -> Group:
    require(session, ctx, WRITE)
    return _uow.load(session, KIND, group_id, lock=True)


def _moment(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise ValidationFailed({"at": _("Give the moment with its time zone.")})
    return now


# -- taking a seat ---------------------------------------------------------------------------


def _take_seat(session: Session, g: Group, *, returning: bool, limited: bool) -> None:
    """One conditional UPDATE: succeeds only while a seat is free under the setting."""
    session.flush()
    r = 1 if returning else 0
    free_after = (Group.seats_free_limited - 1 + r) if limited else (Group.seats_free_open - 1)
    result = session.execute(
        update(Group).where(Group.id == g.id, free_after >= 0)
        .values(active_count=Group.active_count + 1, removed_count=Group.removed_count - r,
                seats_free_open=Group.seats_free_open - 1,
                seats_free_limited=Group.seats_free_limited - 1 + r,
                row_version=Group.row_version + 1)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.refresh(g)
        raise Refused("enrol", rules.no_seat_reason(g.seats_total), field_name="seats")
    session.refresh(g)


def _enrol_in(session: Session, ctx: ServiceContext, g: Group, contact: Contact,
              at: datetime, *, is_leader: bool = False) -> GroupMember:
    limited = _limited(session)
    rules.GROUP_TABLE.check("enrol", rules.group_state(g.offline_at, at),
                            free=1, total=g.seats_total)
    member = session.scalar(select(GroupMember).where(GroupMember.group_id == g.id,
                                                      GroupMember.contact_id == contact.id))
    if member is not None:
        rules.MEMBER_TABLE.check("enrol", member.status)
    _take_seat(session, g, returning=member is not None, limited=limited)
    if member is None:
        member = GroupMember(group_id=g.id, contact_id=contact.id, status="active",
                             is_leader=is_leader, enrolled_at=at, created_at=at)
        session.add(member)
        before = None
        session.flush()
    else:
        before = _member_snapshot(member)
        member.status, member.removed_at, member.seat_freed = "active", None, None
        member.enrolled_at = at
    _grant_member_access(session, ctx, g, member, at)
    _uow.save(session, ctx, MEMBER_KIND, member, "enrol", before, _member_snapshot(member),
              now=at)
    return member


# -- writes ----------------------------------------------------------------------------------


def create_group(ctx: ServiceContext, data: dict[str, Any], *, now: datetime | None = None
                 ) -> GroupOut:
    """A paid group purchase: the group (name unique per product), its first purchase, and
    the leader's seat when `leader_takes_seat`."""
    inp: GroupInput = _validate(GroupInput, data)
    at = _moment(now)

    def _body(session: Session):
        require(session, ctx, WRITE)
        offer = _offer_by_handle(session, inp.offer)
        _check_seats(offer, inp.seats)
        leader, _created = contacts.ensure_by_email(session, ctx, inp.leader, inp.leader_name,
                                                    now=at)
        key = inp.name.lower()[:200]
        taken = session.scalar(select(Group.id).where(Group.product_id == offer.product_id,
                                                      Group.name_key == key))
        if taken is not None:
            raise ValidationFailed({"name": _("This product already has a group named "
                                              "{name}.").format(name=inp.name)})
        g = Group(name=inp.name, name_key=key, product_id=offer.product_id, offer_id=offer.id,
                  leader_id=leader.id, leader_takes_seat=inp.leader_takes_seat,
                  created_at=at, updated_at=at, updated_by=ctx.operator)
        _set_counts(g, total=0, active=0, removed=0)
        session.add(g)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            raise ValidationFailed({"name": _("This product already has a group named "
                                              "{name}.").format(name=inp.name)}) from None
        _purchase(session, ctx, group=g, offer=offer, contact_id=leader.id, seats=inp.seats,
                  at=at)
        _refresh(session, g, at)
        _apply_offline(session, ctx, g, at)
        _uow.save(session, ctx, KIND, g, "create", None, _snapshot(g), now=at)
        if inp.leader_takes_seat:
            _enrol_in(session, ctx, g, leader, at, is_leader=True)
        return _out(session, g, at)

    return _run(ctx, _body)


def upgrade_group(ctx: ServiceContext, group_id: int, seats: int, *,
                  now: datetime | None = None) -> GroupOut:
    """Buy the group's offer again: a new order (one-time) or a new, separate subscription
    starting now (subscription, instalments), never merged with the others."""
    inp: SeatsInput = _validate(SeatsInput, {"seats": seats})
    at = _moment(now)

    def _body(session: Session):
        g = _load(session, ctx, group_id)
        offer = session.get(Offer, g.offer_id)
        _check_seats(offer, inp.seats)
        before = _snapshot(g)
        _purchase(session, ctx, group=g, offer=offer, contact_id=g.leader_id, seats=inp.seats,
                  at=at)
        _refresh(session, g, at)
        _apply_offline(session, ctx, g, at)
        _uow.save(session, ctx, KIND, g, "upgrade", before, _snapshot(g),
                  extra={"seats_bought": inp.seats}, now=at)
        return _out(session, g, at)

    return _run(ctx, _body)


def enrol(ctx: ServiceContext, group_id: int, email: str, *, name: str | None = None,
          now: datetime | None = None) -> Participant:
    """Enrol `email` (a new contact named `name` or the address's local part when unknown):
    takes a seat or is refused when none is free; grants the access through the group."""
    inp: MemberInput = _validate(MemberInput, {"email": email, "name": name})
    at = _moment(now)

    def _body(session: Session):
        g = _load(session, ctx, group_id)
        _refresh(session, g, at)
        contact, _created = contacts.ensure_by_email(session, ctx, inp.email, inp.name, now=at)
        member = _enrol_in(session, ctx, g, contact, at)
        return _participant(member, contact, at)

    return _run(ctx, _body)


def _member_by_email(session: Session, g: Group, email: str) -> tuple[GroupMember, Contact]:
    contact = session.scalar(select(Contact).where(Contact.email_key == email.strip().lower()))
    member = None if contact is None else session.scalar(
        select(GroupMember).where(GroupMember.group_id == g.id,
                                  GroupMember.contact_id == contact.id))
    if member is None:
        raise NotFound(_("{email} is not a participant of group {id}.").format(
            email=email, id=g.id))
    return member, contact


def remove(ctx: ServiceContext, group_id: int, email: str, *, preview: bool = False,
           now: datetime | None = None) -> Removal:
    """Remove a participant: their access ends now; the seat is freed unless the group
    limit is active. `preview`: what would happen, nothing saved."""
    inp: MemberInput = _validate(MemberInput, {"email": email})
    at = _moment(now)

    def _body(session: Session):
        if preview:
            require(session, ctx, READ)
            g = session.get(Group, group_id)
            if g is None:
                raise NotFound(KIND.not_found(group_id))
        else:
            g = _load(session, ctx, group_id)
        member, contact = _member_by_email(session, g, inp.email)
        rules.MEMBER_TABLE.check("remove", member.status)
        limited = _limited(session)
        used_after = rules.seats_used(g.active_count - 1, g.removed_count + 1, limited)
        result = Removal(group_id=g.id, contact_id=contact.id, name=contact.name,
                         email=contact.email, access_ends_at=at, seat_freed=not limited,
                         seats_used_after=used_after, seats_total=g.seats_total,
                         done=not preview)
        if preview:
            return result
        before_g, before_m = _snapshot(g), _member_snapshot(member)
        member.status, member.removed_at, member.seat_freed = "removed", at, not limited
        _set_counts(g, active=g.active_count - 1, removed=g.removed_count + 1)
        if member.access_id:
            access = session.get(Access, member.access_id)
            if accesses.status_of(access, at) not in access_rules.ENDED:
                _end_access(session, ctx, access, at, at, "group_removed")
        _uow.save(session, ctx, MEMBER_KIND, member, "remove", before_m,
                  _member_snapshot(member), now=at)
        _uow.save(session, ctx, KIND, g, "remove", before_g, _snapshot(g), now=at)
        return result

    return _run(ctx, _body, read=preview)


def _candidates(session: Session, purchases: list[GroupPurchase], at: datetime
                ) -> list[tuple[GroupPurchase, Subscription]]:
    """Live subscription purchases that are not cancelled yet."""
    out = []
    for p in purchases:
        if p.subscription_id is None:
            continue
        sub = session.get(Subscription, p.subscription_id)
        state, _paid_off = _sub_facts(session, sub, at)
        if state in ("trial", "active"):
            out.append((p, sub))
    return out


def _downgrade(session: Session, ctx: ServiceContext, g: Group, target: int,
               override: list[int] | None, at: datetime, *, apply: bool) -> DowngradePreview:
    purchases = _refresh(session, g, at)
    limited = _limited(session)
    used = rules.seats_used(g.active_count, g.removed_count, limited)
    state = rules.group_state(g.offline_at, at)
    cands = _candidates(session, purchases, at)
    rules.GROUP_TABLE.check("downgrade", state, subscriptions=len(cands))
    total = g.seats_total
    keep = total - sum(p.seats for p, _s in cands)
    proposal = rules.propose_downgrade(
        total, keep, target, used, limited,
        [rules.Candidate(s.id, p.seats, p.bought_at) for p, s in cands], override)
    lines: list[DowngradeLine] = []
    expiry: dict[int, datetime | None] = {}
    for p, sub in cands:
        chosen = sub.id in proposal.cancel
        out = subscriptions.describe(session, sub, at)
        expires, remaining = None, 0
        if chosen:
            outlook = subscriptions.cancellation_outlook(session, sub, at)
            expires = outlook.expires
            remaining = sum(i.amount for i in outlook.invoices)
        expiry[sub.id] = expires
        lines.append(DowngradeLine(subscription_id=sub.id, seats=p.seats, cancel=chosen,
                                   expires=expires, next_invoice_at=out.next_invoice_at,
                                   remaining_amount=remaining,
                                   period_amount=out.period_amount, currency=out.currency))
    losers = _losers(session, g, proposal, cands, expiry, used, total)
    seats_of = {s.id: p.seats for p, s in cands}
    offline_at = None
    if keep == 0 and proposal.cancel and set(proposal.cancel) == set(seats_of) and all(
            not _open_one_time(p) for p in purchases if p.subscription_id is None):
        ends = [e for e in expiry.values() if e is not None]
        one_time = [p.live_until for p in purchases if p.subscription_id is None
                    and p.live_until is not None and _live(session, p, at)]
        offline_at = max(ends + one_time) if ends else None
    result = DowngradePreview(
        group_id=g.id, target=target, seats_total=total, seats_used=used,
        seats_after=proposal.seats_after, limited=limited, lines=lines, losing=losers,
        offline_at=offline_at, refusal=proposal.refusal, done=False)
    if not apply:
        return result
    if proposal.refusal:
        raise ValidationFailed({"to": proposal.refusal})
    if not proposal.cancel:
        raise ValidationFailed({"to": _("No subscription can be cancelled to reach {n} "
                                        "seats.").format(n=target)})
    before = _snapshot(g)
    for sub_id in proposal.cancel:
        sub = subscriptions.lock_row(session, ctx, sub_id)
        subscriptions.cancel_locked(session, ctx, sub, at=at, now=at)
    for loser in losers:
        member = session.scalar(select(GroupMember).where(
            GroupMember.group_id == g.id, GroupMember.contact_id == loser.contact_id))
        when = loser.loses_access_at or at
        bm = _member_snapshot(member)
        member.status, member.removed_at, member.seat_freed = "removed", when, True
        _set_counts(g, active=g.active_count - 1, removed=g.removed_count + 1)
        if member.access_id:
            access = session.get(Access, member.access_id)
            if accesses.status_of(access, at) not in access_rules.ENDED:
                _end_access(session, ctx, access, when, at, "group_downgrade")
        _uow.save(session, ctx, MEMBER_KIND, member, "remove", bm, _member_snapshot(member),
                  now=at)
    session.flush()
    _refresh(session, g, at)
    _apply_offline(session, ctx, g, at)
    _uow.save(session, ctx, KIND, g, "downgrade", before, _snapshot(g),
              extra={"target": target, "cancelled": list(proposal.cancel),
                     "losing": [x.contact_id for x in losers]}, now=at)
    return result.model_copy(update={"done": True})


def _open_one_time(p: GroupPurchase) -> bool:
    return p.live_until is None and p.ended_at is None


def _losers(session: Session, g: Group, proposal: rules.Proposal,
            cands: list[tuple[GroupPurchase, Subscription]],
            expiry: dict[int, datetime | None], used: int, total: int) -> list[Loser]:
    """The newest participants beyond the seats left, each with the moment the seats drop
    below them (the cancelled subscriptions end one after the other)."""
    if proposal.losing <= 0:
        return []
    rows = session.execute(
        select(GroupMember.contact_id, Contact.name, Contact.email)
        .join(Contact, Contact.id == GroupMember.contact_id)
        .where(GroupMember.group_id == g.id, GroupMember.status == "active")
        .order_by(GroupMember.enrolled_at.desc(), GroupMember.id.desc())
        .limit(proposal.losing)).all()
    seats = {s.id: p.seats for p, s in cands}
    far = datetime(9000, 1, 1, tzinfo=UTC)
    steps = sorted((expiry[i] or far, seats[i]) for i in proposal.cancel)
    dates: list[datetime | None] = []
    left = total
    for when, n in steps:
        left -= n
        over = max(0, used - left)
        while len(dates) < min(over, len(rows)):
            dates.append(None if when == far else when)
    return [Loser(contact_id=r.contact_id, name=r.name, email=r.email,
                  loses_access_at=dates[i] if i < len(dates) else None)
            for i, r in enumerate(rows)]


def preview_downgrade(ctx: ServiceContext, group_id: int, to: int, *,
                      cancel: list[int] | None = None, now: datetime | None = None
                      ) -> DowngradePreview:
    """The assistant's proposal: which subscriptions end when, with what still to pay, who
    would lose access; nothing is saved."""
    inp: TargetInput = _validate(TargetInput, {"to": to})
    at = _moment(now)
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        g = session.get(Group, group_id)
        if g is None:
            raise NotFound(KIND.not_found(group_id))
        result = _downgrade(session, ctx, g, inp.to, cancel, at, apply=False)
        session.rollback()
        return result


def downgrade(ctx: ServiceContext, group_id: int, to: int, *, cancel: list[int] | None = None,
              now: datetime | None = None) -> DowngradePreview:
    """Confirm the downgrade: cancel the proposed (or the agent's `cancel`) subscriptions,
    remove who loses access at their date, go offline when nothing lives on; audited."""
    inp: TargetInput = _validate(TargetInput, {"to": to})
    at = _moment(now)

    def _body(session: Session):
        g = _load(session, ctx, group_id)
        return _downgrade(session, ctx, g, inp.to, cancel, at, apply=True)

    return _run(ctx, _body)


def reactivate(ctx: ServiceContext, group_id: int, *, now: datetime | None = None) -> GroupOut:
    """Bring an offline (or going offline) group back: withdraw the pending cancellations of
    its subscriptions, or, when they have ended, buy its last purchase's seats again; the
    participants get their access back."""
    at = _moment(now)

    def _body(session: Session):
        g = _load(session, ctx, group_id)
        purchases = _refresh(session, g, at)
        state = rules.group_state(g.offline_at, at)
        rules.GROUP_TABLE.check("reactivate", state, going_offline=g.offline_at is not None)
        before = _snapshot(g)
        revived = False
        for p in purchases:
            if p.subscription_id is None:
                continue
            sub = session.get(Subscription, p.subscription_id)
            st, _paid_off = _sub_facts(session, sub, at)
            if st == "pending_cancellation":
                subscriptions.uncancel_locked(
                    session, ctx, subscriptions.lock_row(session, ctx, sub.id), now=at)
                revived = True
        session.flush()
        _refresh(session, g, at)
        if not revived and _offline_moment(g) is not None:
            last = purchases[-1]
            _purchase(session, ctx, group=g, offer=session.get(Offer, last.offer_id),
                      contact_id=g.leader_id, seats=last.seats, at=at)
            _refresh(session, g, at)
        _apply_offline(session, ctx, g, at)
        _uow.save(session, ctx, KIND, g, "reactivate", before, _snapshot(g), now=at)
        return _out(session, g, at)

    return _run(ctx, _body)


def rename_group(ctx: ServiceContext, group_id: int, name: str) -> None:
    """Always refused: a group's name cannot be changed after the purchase."""
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        g = session.get(Group, group_id)
        if g is None:
            raise NotFound(KIND.not_found(group_id))
        rules.GROUP_TABLE.check("rename", rules.group_state(g.offline_at, utcnow()))


# -- reads -----------------------------------------------------------------------------------


def _participant(m: GroupMember, c: Contact, at: datetime) -> Participant:
    status = m.status
    if status == "removed" and m.removed_at is not None and m.removed_at > at:
        status = "leaving"
    return Participant(key=(m.id,), id=m.id, contact_id=c.id, name=c.name, email=c.email,
                       status=status, is_leader=m.is_leader, enrolled_at=m.enrolled_at,
                       removed_at=m.removed_at, access_id=m.access_id)


def _out(session: Session, g: Group, at: datetime) -> GroupOut:
    limited = _limited(session)
    product = session.get(Product, g.product_id)
    offer = session.get(Offer, g.offer_id)
    leader = session.get(Contact, g.leader_id)
    orders: list[GroupOrder] = []
    subs: list[GroupSubscription] = []
    total = 0
    monthly = 0
    currency = offer.currency
    for p in _purchases(session, g.id):
        live = _live(session, p, at)
        if live:
            total += p.seats
        order = session.get(Order, p.order_id) if p.order_id else None
        orders.append(GroupOrder(
            purchase_id=p.id, number=order.number if order else None, seats=p.seats,
            amount=order.total if order else 0, currency=order.currency if order else currency,
            status=order.status if order else "paid", payment=p.payment, bought_at=p.bought_at,
            live=live, live_until=_live_until(session, p), subscription_id=p.subscription_id))
        if p.subscription_id is None:
            continue
        sub = session.get(Subscription, p.subscription_id)
        out = subscriptions.describe(session, sub, at)
        if out.state in ("cancelled", "expired"):
            continue
        _plan, terms = subscriptions.terms_for(session, sub)
        per_month = rules.monthly_equivalent(out.period_amount, terms.schedule_type,
                                             terms.interval_length)
        if out.state in ("trial", "active"):  # a pending cancellation renews no more
            monthly += per_month
        subs.append(GroupSubscription(
            id=sub.id, seats=p.seats, state=out.state, start=out.start,
            next_invoice_at=out.next_invoice_at, amount=out.next_invoice_amount,
            period_amount=out.period_amount,
            period_text=per_period_text(terms.schedule_type, terms.interval_length),
            monthly=per_month, currency=out.currency, expires=out.expires))
        currency = out.currency
    used = rules.seats_used(g.active_count, g.removed_count, limited)
    state = rules.group_state(g.offline_at, at)
    live_subs = sum(1 for s in subs if s.state in ("trial", "active"))
    return GroupOut(
        id=g.id, name=g.name, product_id=g.product_id, product_name=product.name,
        offer_id=g.offer_id, offer_handle=offer.handle, leader_id=g.leader_id,
        leader_name=leader.name, leader_email=leader.email,
        leader_takes_seat=g.leader_takes_seat, state=state, offline_at=g.offline_at,
        limited=limited, seats_total=total, seats_used=used, seats_free=total - used,
        used_text=rules.used_text(used, total), participants_active=g.active_count,
        participants_removed=g.removed_count, orders=orders, subscriptions=subs,
        monthly_total=monthly, currency=currency,
        allowed_actions=rules.group_actions(state, free=total - used, total=total,
                                            subscriptions=live_subs,
                                            going_offline=g.offline_at is not None),
        row_version=g.row_version)


def get_group(ctx: ServiceContext, group_id: int, *, at: datetime | None = None) -> GroupOut:
    """The quota view of a group at `at` (default now)."""
    at = _moment(at)
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        g = session.get(Group, group_id)
        if g is None:
            raise NotFound(KIND.not_found(group_id))
        return _out(session, g, at)


def list_participants(ctx: ServiceContext, group_id: int, window: Window | None = None, *,
                      at: datetime | None = None) -> list[Participant]:
    """Participants in enrolment order (keyset on the member id)."""
    window = window or Window()
    at = _moment(at)
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = (select(GroupMember, Contact).join(Contact, Contact.id == GroupMember.contact_id)
             .where(GroupMember.group_id == group_id))
        desc = False
        if window.after is not None:
            q = q.where(GroupMember.id > window.after[0])
        elif window.before is not None:
            q = q.where(GroupMember.id < window.before[0])
            desc = True
        elif window.from_end:
            desc = True
        elif window.offset:
            q = q.offset(window.offset)
        q = q.order_by(GroupMember.id.desc() if desc else GroupMember.id).limit(window.limit)
        rows = [_participant(m, c, at) for m, c in session.execute(q)]
        return rows[::-1] if desc else rows


def count_participants(ctx: ServiceContext, group_id: int) -> int:
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        return session.scalar(select(func.count()).select_from(GroupMember)
                              .where(GroupMember.group_id == group_id)) or 0


GROUP_FILTERS = ("product", "leader", "full", "over_quota", "no_live_subscription")
FILTER_WORDS = {"full": "full", "over": "over_quota", "nosub": "no_live_subscription"}


def parse_group_filter(text: str) -> dict[str, Any]:
    """The groups list's filter line: `product:HANDLE leader:EMAIL full over nosub`."""
    from core.limits import text_problem

    problem = text_problem(text or "")
    if problem:
        raise ValidationFailed({"filter": problem})
    f: dict[str, Any] = {}
    for word in (text or "").split():
        key, sep, value = word.partition(":")
        if sep and key in ("product", "leader") and value:
            f[key] = value
        elif not sep and word.lower() in FILTER_WORDS:
            f[FILTER_WORDS[word.lower()]] = True
        else:
            raise ValidationFailed({"filter": _(
                "Unknown filter {word}; use product:HANDLE, leader:EMAIL, full, over, "
                "nosub.").format(word=word)})
    return f


DENSE = 2000  # matches from which walking the id order beats sorting the matches


def _filtered(session: Session, q, filters: dict[str, Any] | None, at: datetime, *,
              walk: bool = False):
    """The filters' WHERE. `walk` (SQLite): the seat and subscription conditions are
    written `+column` so the planner walks the id (or product/leader, id) index in list
    order and filters, instead of sorting every match of a dense condition."""
    f = filters or {}
    limited = _limited(session)
    free = Group.seats_free_limited if limited else Group.seats_free_open
    sub_until = Group.sub_live_until
    if walk:
        free = literal_column(f"+groups.{free.key}", type_=Integer)
        sub_until = literal_column("+groups.sub_live_until", type_=UTCDateTime())
    if f.get("product") is not None:
        pid = f["product"]
        if isinstance(pid, str) and not pid.isdigit():
            pid = session.scalar(select(Product.id).where(Product.handle == pid))
            if pid is None:
                raise ValidationFailed({"product": _("No product with handle {h}.").format(
                    h=f["product"])})
        q = q.where(Group.product_id == int(pid))
    if f.get("leader") is not None:
        lid = f["leader"]
        if isinstance(lid, str) and not lid.isdigit():
            lid = session.scalar(select(Contact.id).where(Contact.email_key == lid.lower()))
            if lid is None:
                raise ValidationFailed({"leader": _("No contact with email {e}.").format(
                    e=f["leader"])})
        q = q.where(Group.leader_id == int(lid))
    if f.get("over_quota"):
        q = q.where(free < 0)
    elif f.get("full"):
        q = q.where(free <= 0)
    if f.get("no_live_subscription"):
        q = q.where(sub_until <= at)
    return q, limited


def list_groups(ctx: ServiceContext, filters: dict[str, Any] | None = None,
                window: Window | None = None, *, at: datetime | None = None) -> list[GroupRow]:
    """Groups, newest first (keyset on id), filtered by product, leader, full, over quota,
    no live subscription (each through an index)."""
    window = window or Window()
    at = _moment(at)
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = (select(Group.id, Group.name, Group.product_id, Group.leader_id,
                    Group.seats_total, Group.active_count, Group.removed_count,
                    Group.offline_at, Product.name.label("product_name"),
                    Contact.name.label("leader_name"), Contact.email.label("leader_email"))
             .join(Product, Product.id == Group.product_id)
             .join(Contact, Contact.id == Group.leader_id))
        f = filters or {}
        walk = False
        if session.get_bind().dialect.name == "sqlite" and (
                f.get("full") or f.get("over_quota") or f.get("no_live_subscription")):
            counted = select(Group.id)
            counted, _l = _filtered(session, counted, filters, at)
            walk = (session.scalar(select(func.count()).select_from(
                counted.limit(DENSE).subquery())) or 0) >= DENSE
        q, limited = _filtered(session, q, filters, at, walk=walk)
        asc = False
        if window.after is not None:
            q = q.where(Group.id < window.after[0])
        elif window.before is not None:
            q = q.where(Group.id > window.before[0])
            asc = True
        elif window.from_end:
            asc = True
        elif window.offset:
            q = q.offset(window.offset)
        q = q.order_by(Group.id if asc else Group.id.desc()).limit(window.limit)
        rows = []
        for r in session.execute(q):
            used = rules.seats_used(r.active_count, r.removed_count, limited)
            rows.append(GroupRow(key=(r.id,), id=r.id, name=r.name, product_id=r.product_id,
                                 product_name=r.product_name, leader_id=r.leader_id,
                                 leader_name=r.leader_name, leader_email=r.leader_email,
                                 seats_total=r.seats_total, seats_used=used,
                                 seats_free=r.seats_total - used, offline_at=r.offline_at))
        return rows[::-1] if asc else rows


def count_groups(ctx: ServiceContext, filters: dict[str, Any] | None = None, *,
                 at: datetime | None = None) -> int:
    at = _moment(at)
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q, _limited_now = _filtered(session, select(func.count()).select_from(Group),
                                    filters, at)
        return session.scalar(q) or 0


def groups_of_contact(ctx: ServiceContext, contact_id: int, *, at: datetime | None = None,
                      limit: int = 200) -> list[ContactGroup]:
    """The contact card's Groups tab: groups they lead, then groups they take part in."""
    at = _moment(at)
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        limited = _limited(session)
        out: list[ContactGroup] = []
        led = session.execute(
            select(Group, Product.name).join(Product, Product.id == Group.product_id)
            .where(Group.leader_id == contact_id).order_by(Group.id.desc()).limit(limit))
        for g, pname in led:
            out.append(ContactGroup(
                id=g.id, name=g.name, product_name=pname, role="leader", status="leader",
                seats_total=g.seats_total,
                seats_used=rules.seats_used(g.active_count, g.removed_count, limited),
                offline_at=g.offline_at))
        member_of = session.execute(
            select(Group, Product.name, GroupMember).join(Product, Product.id == Group.product_id)
            .join(GroupMember, GroupMember.group_id == Group.id)
            .where(GroupMember.contact_id == contact_id, GroupMember.is_leader.is_(False))
            .order_by(GroupMember.id.desc()).limit(limit))
        for g, pname, m in member_of:
            status = m.status
            if status == "removed" and m.removed_at is not None and m.removed_at > at:
                status = "leaving"
            out.append(ContactGroup(
                id=g.id, name=g.name, product_name=pname, role="participant", status=status,
                seats_total=g.seats_total,
                seats_used=rules.seats_used(g.active_count, g.removed_count, limited),
                offline_at=g.offline_at))
        return out


def limit_effect(ctx: ServiceContext) -> LimitEffect:
    """How many groups are full / over quota with the group limit active and not, and how
    many groups' seats used differ between the two (counted in SQL)."""
    with ctx.db.reading() as session:
        require(session, ctx, READ)

        def count(*where) -> int:
            return session.scalar(select(func.count()).select_from(Group).where(*where)) or 0
        return LimitEffect(
            limited=_limited(session),
            full_limited=count(Group.seats_free_limited <= 0),
            over_limited=count(Group.seats_free_limited < 0),
            full_open=count(Group.seats_free_open <= 0),
            over_open=count(Group.seats_free_open < 0),
            changed=count(Group.removed_count > 0))


def refresh_groups(ctx: ServiceContext, *, now: datetime | None = None,
                   chunk: int = 500) -> int:
    """Recompute every group's cached quota and offline date at `now` (after subscriptions
    ended through the billing run or the subscription screen). Returns groups changed."""
    at = _moment(now)
    changed = 0
    after = 0
    while True:
        with ctx.db.transaction() as session:
            require(session, ctx, WRITE)
            rows = list(session.scalars(select(Group).where(Group.id > after)
                                        .order_by(Group.id).limit(chunk)))
            if not rows:
                return changed
            changed += sum(_refresh_one(session, ctx, g, at) for g in rows)
            after = rows[-1].id


def _refresh_one(session: Session, ctx: Any, g: Group, at: datetime) -> bool:
    """Recompute one group's cache and offline date; audit and True when it changed."""
    before = _snapshot(g)
    _refresh(session, g, at)
    _apply_offline(session, ctx, g, at)
    if _snapshot(g) == before:
        return False
    _uow.save(session, ctx, KIND, g, "refresh", before, _snapshot(g), now=at)
    return True


def _refresh_ids(session: Session, ctx: Any, ids: list[int], at: datetime) -> int:
    return sum(_refresh_one(session, ctx, g, at) for g in session.scalars(
        select(Group).where(Group.id.in_(ids)).order_by(Group.id)))


def _stale_group_ids(session: Session, at: datetime) -> list[int]:
    """Groups whose cached quota or offline date may have moved by `at`: a cached live date
    that has passed while seats are still counted or the group is not yet offline then, or a
    group cached as open-ended (or with seats) whose purchase subscription has ended or is
    cancelled. Ids only (ints), so 100,000 groups stay small."""
    passed = select(Group.id).where(
        Group.has_open_purchase.is_(False), Group.live_until.is_not(None),
        Group.live_until <= at,
        (Group.seats_total != 0) | Group.offline_at.is_(None)
        | (Group.offline_at != Group.live_until))
    ended = (select(GroupPurchase.group_id)
             .join(Subscription, Subscription.id == GroupPurchase.subscription_id)
             .join(Group, Group.id == GroupPurchase.group_id)
             .where(GroupPurchase.ended_at.is_(None),
                    (Subscription.state.in_(("cancelled", "expired")))
                    | Subscription.cancelled_at.is_not(None),
                    Group.has_open_purchase.is_(True) | (Group.seats_total != 0)))
    return sorted(set(session.scalars(passed)) | set(session.scalars(ended)))


def refresh_due_groups(ctx: ServiceContext, at: datetime, *, chunk: int = 500) -> int:
    """The billing run's step: the groups whose purchases may have changed by `at` (see
    `_stale_group_ids`) get their cached quota and offline date, audited as `system`, in
    chunks of one transaction each. Idempotent: a second run at `at` writes nothing."""
    from core.services.access_status import SYSTEM

    with ctx.db.reading() as session:
        ids = _stale_group_ids(session, at)
    changed = 0
    for i in range(0, len(ids), chunk):
        with ctx.db.transaction() as session:
            require(session, ctx, "subscriptions.write")
            changed += _refresh_ids(session, SYSTEM, ids[i:i + chunk], at)
    return changed


__all__ = [
    "GROUP_FILTERS",
    "KIND",
    "count_groups",
    "count_participants",
    "create_group",
    "downgrade",
    "enrol",
    "get_group",
    "groups_of_contact",
    "limit_effect",
    "list_groups",
    "list_participants",
    "parse_group_filter",
    "preview_downgrade",
    "reactivate",
    "refresh_due_groups",
    "refresh_groups",
    "remove",
    "rename_group",
    "upgrade_group",
]

