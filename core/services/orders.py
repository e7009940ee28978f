"""Orders (SPEC §4, issue 10): create ("+ Product", `kontor orders create`), pay, cancel,
refund, with previews; the windowed orders list; the offer picker's search.

A pending order creates nothing until it is paid. Paying (or creating it paid, or as an
external sale) creates the access through `accesses.grant` and, for a recurring offer, the
subscription through `subscriptions.create_in` — in the same transaction. The order pays
every invoice the engine bills at its start (first period, prorated or not, setup fee;
nothing in a trial): those invoices are marked paid and recorded as the order's payments.
Instalments: one payment per instalment, due when the engine bills it.

Numbers are sequential: the next number is max + 1 read under a lock (SQLite: the write
transaction opened at once, BEGIN IMMEDIATE; PostgreSQL: a transaction-level advisory lock),
and the unique constraint settles anything that slips past it. State actions load the order
under the row lock, so paying twice, or two agents at once, gives one result and a refusal
from the transition table (core/rules/orders.py), never a second access.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, func, or_, select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import billing
from core.billing.amounts import round_half_up
from core.billing.periods import instant
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import _
from core.lessons import in_tariff, start_of_day
from core.limits import search_words
from core.models import (
    Access,
    Contact,
    Invoice,
    Offer,
    Order,
    OrderCount,
    OrderLine,
    OrderPayment,
    Plan,
    Product,
    Subscription,
    utcnow,
)
from core.rules import orders as rules
from core.rules import subscriptions as subscription_rules
from core.schemas.common import Window, field_errors
from core.schemas.orders import (
    AccessPlan,
    OfferChoice,
    OrderCreated,
    OrderEndPreview,
    OrderFilter,
    OrderInput,
    OrderPreview,
    OrderRow,
    SubscriptionPlan,
)
from core.schemas.orders import Order as OrderOut
from core.schemas.orders import OrderLine as LineOut
from core.schemas.orders import OrderPayment as PaymentOut
from core.schemas.subscriptions import InvoicePreview, InvoicePreviewLine
from core.services import _uow, accesses, audit, catalogue, subscriptions
from core.services.context import READ, ServiceContext, require
from core.services.invoices import mark_paid_in
from core.services.plans import plan_terms
from core.services.settings import account_settings, account_zone

WRITE = "orders.write"
RECURRING = ("subscription", "instalments")
UPCOMING = 3  # invoices after those due at the start shown by a preview
MAX_INSTALMENTS = 600  # a fixed_count plan projected for its payments (docs/orders.md)
_FAR = datetime(9000, 1, 1, tzinfo=UTC)
_NUMBER_LOCK = 0x4B4F_5244  # pg_advisory_xact_lock key of order numbering ("KORD")
# Input field -> the name the user knows (form field, CLI option).
_FIELDS = {"contact_id": "contact", "offer_id": "offer"}


def _by_number(session: Session, number: Any, lock: bool) -> Order | None:
    try:
        number = int(number)
    except (TypeError, ValueError):
        return None
    q = select(Order).where(Order.number == number)
    if lock:
        q = q.with_for_update()
    return session.scalar(q.execution_options(populate_existing=True))


KIND = _uow.Kind(
    model=Order, entity="order", lookup=_by_number,
    not_found=lambda n: _("Order {number} does not exist.").format(number=n),
    changed=lambda by, at: _("This order was changed by {by} at {at} — reload.").format(
        by=by or "?", at=at),
    meanwhile=lambda: _("This order was changed by someone else meanwhile — reload."))


def _snapshot(o: Order) -> dict[str, Any]:
    def iso(v: datetime | None) -> str | None:
        return v.isoformat() if v is not None else None
    return {"number": o.number, "contact_id": o.contact_id, "status": o.status,
            "payment": o.payment, "external": o.external, "currency": o.currency,
            "total": o.total, "product_id": o.product_id, "starts_at": iso(o.starts_at),
            "paid_at": iso(o.paid_at), "cancelled_at": iso(o.cancelled_at),
            "refunded_at": iso(o.refunded_at), "comment": o.comment}


def _contact_trail(session: Session, ctx: ServiceContext, order: Order, action: str,
                   now: datetime) -> None:
    """A line in the contact's own history (the card's History tab): which order, what."""
    line = _line(session, order)
    offer = session.get(Offer, line.offer_id) if line else None
    audit.record(session, ctx, "contact", order.contact_id, f"order_{action}", None,
                 {"order": order.number, "offer": offer.handle if offer else None,
                  "status": order.status, "total": order.total, "currency": order.currency},
                 at=now)


# -- input -----------------------------------------------------------------------------------


def validate_order(data: dict[str, Any]) -> OrderInput:
    """The input checked, errors named by the field the user knows (contact, offer, …)."""
    try:
        return OrderInput.model_validate(data)
    except ValidationError as exc:
        fields = {_FIELDS.get(k, k): v for k, v in field_errors(exc).fields.items()}
        if fields.get("start") == _("Invalid value."):
            fields["start"] = _("Enter a date such as 2026-12-01 or 2026-12-01T09:00.")
        raise ValidationFailed(fields) from None


def _offer(session: Session, inp: OrderInput) -> Offer:
    if inp.offer_id is not None:
        offer = session.get(Offer, inp.offer_id)
    elif inp.offer:
        offer = session.scalar(select(Offer).where(Offer.handle == inp.offer))
    else:
        raise ValidationFailed({"offer": _("Choose an offer.")})
    if offer is None:
        raise ValidationFailed({"offer": _("No offer {handle}.").format(
            handle=inp.offer or inp.offer_id)})
    if offer.archived_at is not None:
        raise ValidationFailed({"offer": _("Offer {handle} is archived; it takes no new "
                                           "orders.").format(handle=offer.handle)})
    return offer


def _plan(session: Session, offer: Offer) -> Plan:
    plan = None
    if offer.plan_handle:
        plan = session.scalar(select(Plan).where(Plan.handle == offer.plan_handle)
                              .order_by(Plan.version.desc()).limit(1))
    if plan is None or plan.state == "deleted":
        raise ValidationFailed({"offer": _("Offer {handle} bills through plan {plan}, which "
                                           "does not exist or is deleted.").format(
            handle=offer.handle, plan=offer.plan_handle or "?")})
    return plan


def _moment(value: datetime | None, tz, default: datetime) -> datetime:
    return default if value is None else instant(value, tz)


def _vat_bp(session: Session, offer: Offer) -> int:
    if offer.vat_bp is not None:
        return offer.vat_bp
    vat = Decimal(account_settings(session)["default_vat"])
    return int(round_half_up(vat * 10_000))


def vat_inside(gross: int, vat_bp: int) -> int:
    """The VAT contained in a gross amount at `vat_bp` basis points (half-up)."""
    if vat_bp <= 0:
        return 0
    return int(round_half_up(Fraction(gross * vat_bp, 10_000 + vat_bp)))


# -- numbering -------------------------------------------------------------------------------


def _lock_numbering(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        _uow.lock_sqlite(session)
    else:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _NUMBER_LOCK})


def _next_number(session: Session) -> int:
    return (session.scalar(select(func.max(Order.number))) or 0) + 1


def take_order_number(session: Session) -> int:
    """The next order number, under the numbering lock held to the end of the transaction:
    for an order made by another service inside its own transaction (a group purchase)."""
    _lock_numbering(session)
    return _next_number(session)


# -- the engine's invoices at the start --------------------------------------------------------


def _engine_preview(inv, plan: Plan) -> InvoicePreview:
    return InvoicePreview(
        issued=inv.issued, period_start=inv.period_start, period_end=inv.period_end,
        amount=inv.amount, vat_amount=inv.vat_amount, currency=inv.currency,
        plan_name=plan.name, plan_version=plan.version,
        lines=[InvoicePreviewLine(kind="prorated_plan" if line.kind == "plan" and line.prorated
                                  else line.kind, text=line.text, amount=line.amount)
               for line in inv.lines])


def _stored_preview(inv: Invoice, plan_name: str = "") -> InvoicePreview:
    return InvoicePreview(
        issued=inv.issued, period_start=inv.period_start, period_end=inv.period_end,
        amount=inv.amount, vat_amount=inv.vat_amount, currency=inv.currency,
        plan_name=plan_name,
        lines=[InvoicePreviewLine(kind=line["kind"], text=line.get("text", ""),
                                  amount=line["gross"]) for line in inv.lines])


def _schedule(terms, start: datetime, tz: str, payment: str):
    """(invoices issued at the start, every instalment or None) from the engine."""
    try:
        state = billing.start_subscription(terms, start, tz=tz)
        due = [s.invoice for s in billing.project(terms, state, start)]
        instalments = None
        if payment == "instalments":
            if terms.duration != "fixed_count":
                raise ValidationFailed({"offer": _(
                    "An instalment offer needs a plan with a fixed number of payments "
                    "(fixed_count).")})
            instalments = [s.invoice for s in itertools.islice(
                billing.project(terms, state, _FAR), MAX_INSTALMENTS)]
    except billing.BillingError as exc:
        raise ValidationFailed({"offer": str(exc)}) from None
    return due, instalments


# -- create ----------------------------------------------------------------------------------


def _create(session: Session, ctx: ServiceContext, inp: OrderInput, now: datetime
            ) -> tuple[Order, Offer]:
    """Insert the order and its line (and the payments it plans); nothing granted yet."""
    require(session, ctx, WRITE)
    _lock_numbering(session)
    contact = session.get(Contact, inp.contact_id)
    if contact is None:
        raise ValidationFailed({"contact": _("No such contact.")})
    offer = _offer(session, inp)
    tz = account_zone(session)
    start = _moment(inp.start, tz, now)
    product = session.get(Product, offer.product_id)
    vat_bp = _vat_bp(session, offer)
    payments: list[dict[str, Any]] = []
    if offer.payment in RECURRING:
        plan = _plan(session, offer)
        terms = plan_terms(plan, inp.price)
        due, instalments = _schedule(terms, start, tz.key, offer.payment)
        currency = plan.currency
        unit = inp.price if inp.price is not None else terms.amount
        total = sum(i.amount for i in (instalments if instalments is not None else due))
        vat = sum(i.vat_amount for i in (instalments if instalments is not None else due))
        vat_bp = int(round_half_up(Decimal(str(terms.vat)) * 10_000))
        for inv in (instalments if instalments is not None else due):
            payments.append({"kind": "instalment" if instalments is not None else "invoice",
                             "due_at": inv.issued, "amount": inv.amount})
    else:
        price = inp.price if inp.price is not None else offer.price
        if price is None:
            raise ValidationFailed({"price": _("Offer {handle} has no price; enter one.")
                                    .format(handle=offer.handle)})
        currency, unit, total = offer.currency, price, price
        vat = vat_inside(total, vat_bp)
        payments.append({"kind": "external" if inp.payment == "external" else "payment",
                         "due_at": start, "amount": total})
    number = _next_number(session)
    order = Order(number=number, contact_id=contact.id, ordered_at=now, starts_at=start,
                  status="pending", payment=offer.payment,
                  external=inp.payment == "external", currency=currency, total=total,
                  product_id=offer.product_id, comment=inp.comment, created_at=now,
                  updated_at=now, updated_by=ctx.operator)
    session.add(order)
    try:
        session.flush()
    except IntegrityError:  # another process numbered past the lock: try again
        raise Conflict(_("Another order took number {number} meanwhile; try again.").format(
            number=number)) from None
    session.add(OrderLine(order_id=order.id, position=1, offer_id=offer.id,
                          product_id=product.id, quantity=1, unit_price=unit,
                          price_override=inp.price is not None, vat_bp=vat_bp,
                          vat_amount=vat, total=total))
    for p in payments:
        session.add(OrderPayment(order_id=order.id, paid=False, **p))
    session.flush()
    return order, offer


def _line(session: Session, order: Order) -> OrderLine:
    return session.scalar(select(OrderLine).where(OrderLine.order_id == order.id)
                          .order_by(OrderLine.position).limit(1))


def _fulfil(session: Session, ctx: ServiceContext, order: Order, at: datetime
            ) -> tuple[list[Access], list[Any]]:
    """The order paid at `at`: its access (and subscription) from the order's start, the
    invoices due at the start marked paid, the payments recorded."""
    line = _line(session, order)
    offer = session.get(Offer, line.offer_id)
    start = order.starts_at or order.ordered_at
    created_subs: list[Any] = []
    sub_id = None
    planned = session.scalars(select(OrderPayment).where(OrderPayment.order_id == order.id)
                              .order_by(OrderPayment.due_at, OrderPayment.id)).all()
    if order.payment in RECURRING:
        if offer.archived_at is not None or not offer.plan_handle:
            raise ValidationFailed({"offer": _("Offer {handle} is archived; it takes no new "
                                               "orders.").format(handle=offer.handle)})
        data = {"contact_id": order.contact_id, "plan": _plan(session, offer).handle,
                "start": start}
        if line.price_override:
            data["amount"] = line.unit_price
        try:
            created = subscriptions.create_in(session, ctx, data, now=at)
        except ValidationFailed as exc:
            raise ValidationFailed({("offer" if k in ("plan", "_") else k): v
                                    for k, v in exc.fields.items()}) from None
        created_subs.append(created)
        sub_id = created.id
        at_start = [i for i in created.invoices if i.issued <= start]
        # What was planned is replaced by what the engine billed (same engine: the same
        # amounts when paid right away) and what it will bill.
        session.execute(delete(OrderPayment).where(OrderPayment.order_id == order.id))
        kind = "instalment" if order.payment == "instalments" else "invoice"
        for inv in at_start:
            mark_paid_in(session, ctx, inv.id, at)
            session.add(OrderPayment(order_id=order.id, kind=kind, due_at=inv.issued,
                                     amount=inv.amount, paid=True, paid_at=at,
                                     invoice_id=inv.id))
        issued = {i.issued for i in at_start}
        if order.payment == "instalments":
            sub = session.get(Subscription, sub_id)
            plan, terms = subscriptions.terms_for(session, sub)
            state = billing.start_subscription(terms, sub.start, tz=sub.timezone)
            for step in itertools.islice(billing.project(terms, state, _FAR), MAX_INSTALMENTS):
                if step.invoice.issued not in issued:
                    session.add(OrderPayment(order_id=order.id, kind=kind,
                                             due_at=step.invoice.issued,
                                             amount=step.invoice.amount, paid=False))
        elif start > at:  # billed by the run when the start comes
            for p in planned:
                session.add(OrderPayment(order_id=order.id, kind=kind, due_at=p.due_at,
                                         amount=p.amount, paid=False))
    else:
        for p in planned:
            p.paid, p.paid_at = True, at
            if order.external:
                p.kind = "external"
    access = accesses.grant(session, ctx, contact_id=order.contact_id, offer=offer,
                            starts_at=start, order_id=order.id, subscription_id=sub_id, now=at)
    order.status, order.paid_at = "paid", at
    session.flush()
    return [access], created_subs


def create_order(ctx: ServiceContext, data: dict[str, Any], *, now: datetime | None = None
                 ) -> OrderCreated:
    """A new order of one offer for a contact (`payment` paid | pending | external); paid or
    external creates the access (and subscription) in the same transaction."""
    inp = validate_order(data)
    now = now or utcnow()
    with ctx.db.transaction() as session:
        order, _offer_row = _create(session, ctx, inp, now)
        made, subs = ([], [])
        if inp.payment != "pending":
            made, subs = _fulfil(session, ctx, order, now)
        _uow.save(session, ctx, KIND, order, "create", None, _snapshot(order), now=now,
                  extra={"accesses": [a.id for a in made], "subscriptions": [s.id for s in subs]})
        _contact_trail(session, ctx, order, "create", now)
        return OrderCreated(order=_out(session, order, now), accesses=[a.id for a in made],
                            subscriptions=[s.id for s in subs])


class _RollBack(Exception):
    def __init__(self, result):
        self.result = result


def preview_order(ctx: ServiceContext, data: dict[str, Any], *, now: datetime | None = None
                  ) -> OrderPreview:
    """What `create_order` would create — the same code, rolled back. A pending order shows
    what paying it now would create."""
    inp = validate_order(data)
    now = now or utcnow()
    try:
        with ctx.db.transaction() as session:
            order, _o = _create(session, ctx, inp, now)
            made, subs = _fulfil(session, ctx, order, now)
            status = "pending" if inp.payment == "pending" else "paid"
            raise _RollBack(_preview(session, order, made, subs, status, now))
    except _RollBack as done:
        return done.result


# -- pay, cancel, refund ---------------------------------------------------------------------


def _load(session: Session, ctx: ServiceContext, number: int,
          expected_row_version: int | None) -> Order:
    require(session, ctx, WRITE)
    return _uow.load_for_write(session, KIND, number, expected_row_version, lock=True,
                               required=False)


def _has_access(session: Session, order: Order) -> bool:
    return session.scalar(select(Access.id).where(Access.order_id == order.id).limit(1)) \
        is not None


def pay_order(ctx: ServiceContext, number: int, *, at: datetime | None = None,
              expected_row_version: int | None = None) -> OrderCreated:
    """Mark a pending order paid at `at` (default now): its access (and subscription) is
    created now, from the order's start. Only a pending order can be paid."""
    at = at or utcnow()
    with ctx.db.transaction() as session:
        order = _load(session, ctx, number, expected_row_version)
        rules.check("pay", order.status)
        before = _snapshot(order)
        made, subs = _fulfil(session, ctx, order, at)
        _uow.save(session, ctx, KIND, order, "pay", before, _snapshot(order), now=at,
                  extra={"accesses": [a.id for a in made], "subscriptions": [s.id for s in subs]})
        _contact_trail(session, ctx, order, "pay", at)
        return OrderCreated(order=_out(session, order, at), accesses=[a.id for a in made],
                            subscriptions=[s.id for s in subs])


def preview_pay(ctx: ServiceContext, number: int, *, at: datetime | None = None
                ) -> OrderPreview:
    """What `pay_order` would create at `at` (the access, the subscription and the invoices
    the order pays) — the same code, rolled back."""
    at = at or utcnow()
    try:
        with ctx.db.transaction() as session:
            order = _load(session, ctx, number, None)
            rules.check("pay", order.status)
            made, subs = _fulfil(session, ctx, order, at)
            raise _RollBack(_preview(session, order, made, subs, "paid", at))
    except _RollBack as done:
        return done.result


def _preview(session: Session, order: Order, made: list[Access], subs: list[Any],
             status: str, at: datetime) -> OrderPreview:
    out = _out(session, order, at)
    return OrderPreview(
        status=status, currency=order.currency, total=order.total,
        vat_amount=sum(line.vat_amount for line in out.lines), lines=out.lines,
        payments=out.payments, accesses=[_access_plan(session, a) for a in made],
        subscriptions=[_subscription_plan(session, s.id, upcoming=True) for s in subs])


def _order_subscriptions(session: Session, order: Order) -> list[int]:
    return list(session.scalars(
        select(Access.subscription_id).where(Access.order_id == order.id,
                                             Access.subscription_id.is_not(None))
        .distinct().order_by(Access.subscription_id)))


def _end(session: Session, ctx: ServiceContext, order: Order, action: str, at: datetime
         ) -> tuple[list[Access], list[int]]:
    """Cancel or refund a loaded (locked) order at `at`: the accesses it created end, its
    subscriptions are cancelled (refund: ended now, nothing more billed)."""
    rules.check(action, order.status)
    ended: list[Access] = []
    subs: list[int] = []
    if order.status == "paid":
        ended = accesses.end_for_order(session, ctx, order.id, at=at,
                                       reason="refunded" if action == "refund"
                                       else "order_cancelled")
        for sub_id in _order_subscriptions(session, order):
            sub = subscriptions.lock_in(session, ctx, sub_id)
            _plan, terms = subscriptions.terms_for(session, sub)
            facts = subscriptions.facts_at(sub, terms, subscriptions.engine_state(sub), at)
            verb = "expire" if action == "refund" else "cancel"
            if subscription_rules.allowed_actions(**facts)[verb] is not None:
                continue  # already cancelled or ended: nothing to do
            if verb == "expire":
                subscriptions.expire_in(session, ctx, sub, at)
            else:
                subscriptions.cancel_and_record_in(session, ctx, sub, at, at)
            subs.append(sub_id)
    if action == "refund":
        order.status, order.refunded_at = "refunded", at
    else:
        order.status, order.cancelled_at = "cancelled", at
    session.flush()
    return ended, subs


def _end_action(ctx: ServiceContext, number: int, action: str, at: datetime | None,
                expected_row_version: int | None) -> OrderOut:
    at = at or utcnow()
    with ctx.db.transaction() as session:
        order = _load(session, ctx, number, expected_row_version)
        before = _snapshot(order)
        ended, subs = _end(session, ctx, order, action, at)
        _uow.save(session, ctx, KIND, order, action, before, _snapshot(order), now=at,
                  extra={"accesses_ended": [a.id for a in ended],
                         "subscriptions_cancelled": subs})
        _contact_trail(session, ctx, order, action, at)
        return _out(session, order, at)


def cancel_order(ctx: ServiceContext, number: int, *, at: datetime | None = None,
                 expected_row_version: int | None = None) -> OrderOut:
    """Cancel a pending or paid order at `at`: the access it created ends then, its
    subscription is cancelled (the engine's effective date)."""
    return _end_action(ctx, number, "cancel", at, expected_row_version)


def refund_order(ctx: ServiceContext, number: int, *, at: datetime | None = None,
                 expected_row_version: int | None = None) -> OrderOut:
    """Refund a paid order at `at`: the access ends then, its subscription ends at once."""
    return _end_action(ctx, number, "refund", at, expected_row_version)


def preview_end(ctx: ServiceContext, number: int, action: str, *,
                at: datetime | None = None) -> OrderEndPreview:
    """What `cancel_order`/`refund_order` would end at `at` (the products and lessons lost,
    the subscription's expiry and last invoice) — the same code, rolled back."""
    if action not in ("cancel", "refund"):
        raise ValidationFailed({"action": _("Choose cancel or refund.")})
    at = at or utcnow()
    try:
        with ctx.db.transaction() as session:
            order = _load(session, ctx, number, None)
            paid = sum(p.amount for p in session.scalars(
                select(OrderPayment).where(OrderPayment.order_id == order.id,
                                           OrderPayment.paid.is_(True))))
            ended, subs = _end(session, ctx, order, action, at)
            raise _RollBack(OrderEndPreview(
                action=action, number=order.number, status=order.status, at=at,
                refund_amount=paid if action == "refund" and not order.external else 0,
                currency=order.currency,
                accesses=[_access_plan(session, a) for a in ended],
                subscriptions=[_subscription_plan(session, s, upcoming=False) for s in subs]))
    except _RollBack as done:
        return done.result


# -- reading ---------------------------------------------------------------------------------


def _access_plan(session: Session, access: Access) -> AccessPlan:
    product = session.get(Product, access.product_id)
    offer = session.get(Offer, access.offer_id)
    template = catalogue.offer_template(session, offer)[0]
    if access.template is not None:
        template = catalogue.template_from_stored(
            access.template, catalogue.product_lessons(session, access.product_id)[1])
    n = product.lesson_count
    try:
        in_t = sum(in_tariff(template.open_lessons, n)) if n else 0
    except ValueError:
        in_t = n
    return AccessPlan(id=access.id, product_name=product.name, offer_name=offer.name,
                      starts_at=access.starts_at, ends_at=access.ends_at, lesson_count=n,
                      lessons_in_tariff=in_t, status=access.status)


def _subscription_plan(session: Session, sub_id: int, *, upcoming: bool) -> SubscriptionPlan:
    sub = session.get(Subscription, sub_id)
    plan, terms = subscriptions.terms_for(session, sub)
    state = subscriptions.engine_state(sub)
    stored = session.scalars(select(Invoice).where(Invoice.subscription_id == sub.id)
                             .order_by(Invoice.issued, Invoice.id)).all()
    out = SubscriptionPlan(id=sub.id, plan_handle=plan.handle, plan_name=plan.name,
                           start=sub.start, trial_end=state.trial_end,
                           expires=billing.projected_expiry(terms, state),
                           due_now=[_stored_preview(i, plan.name) for i in stored])
    if upcoming:
        out.upcoming = [_engine_preview(step.invoice, plan) for step in
                        itertools.islice(billing.project(terms, state, _FAR), UPCOMING)]
    else:  # cancelled or ended: the last invoice still to come, else the last one billed
        to_come = [step.invoice for step in itertools.islice(
            billing.project(terms, state, _FAR), MAX_INSTALMENTS)]
        if to_come:
            out.last_invoice = _engine_preview(to_come[-1], plan)
        elif stored:
            out.last_invoice = _stored_preview(stored[-1], plan.name)
        out.due_now = []
    return out


def _out(session: Session, order: Order, at: datetime | None = None) -> OrderOut:
    contact = session.get(Contact, order.contact_id)
    product = session.get(Product, order.product_id) if order.product_id else None
    lines = []
    for line in session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)
                                .order_by(OrderLine.position)):
        offer = session.get(Offer, line.offer_id)
        lp = session.get(Product, line.product_id)
        lines.append(LineOut(position=line.position, offer_id=offer.id,
                             offer_handle=offer.handle, offer_name=offer.name,
                             product_id=lp.id, product_name=lp.name, quantity=line.quantity,
                             unit_price=line.unit_price, price_override=line.price_override,
                             vat_bp=line.vat_bp, vat_amount=line.vat_amount, total=line.total))
    payments = []
    for p in session.scalars(select(OrderPayment).where(OrderPayment.order_id == order.id)
                             .order_by(OrderPayment.due_at, OrderPayment.id)):
        inv = session.get(Invoice, p.invoice_id) if p.invoice_id else None
        payments.append(PaymentOut(id=p.id, kind=p.kind, due_at=p.due_at, amount=p.amount,
                                   paid=p.paid, paid_at=p.paid_at,
                                   invoice_number=inv.number if inv else None))
    access_ids = list(session.scalars(select(Access.id).where(Access.order_id == order.id)
                                      .order_by(Access.id)))
    return OrderOut(
        id=order.id, number=order.number, contact_id=order.contact_id,
        contact_name=contact.name if contact else "", contact_email=contact.email if contact
        else "", ordered_at=order.ordered_at, starts_at=order.starts_at, status=order.status,
        payment=order.payment, external=order.external, currency=order.currency,
        total=order.total, vat_amount=sum(line.vat_amount for line in lines),
        product_id=order.product_id, product_name=product.name if product else "",
        comment=order.comment, paid_at=order.paid_at, cancelled_at=order.cancelled_at,
        refunded_at=order.refunded_at, row_version=order.row_version, lines=lines,
        payments=payments, accesses=access_ids,
        subscriptions=_order_subscriptions(session, order),
        allowed_actions=rules.allowed_actions(order.status, has_access=bool(access_ids)))


def get_order(ctx: ServiceContext, number: int) -> OrderOut:
    """One order by its number, with lines, payments, what it created and allowed_actions."""
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        order = _by_number(session, number, False)
        if order is None:
            raise NotFound(KIND.not_found(number))
        return _out(session, order)


def _filtered(q, session: Session, f: OrderFilter):
    if f.status:
        q = q.where(Order.status == f.status)
    if f.product_id is not None:
        q = q.where(Order.product_id == f.product_id)
    if f.contact_id is not None:
        q = q.where(Order.contact_id == f.contact_id)
    if f.number is not None:
        q = q.where(Order.number == f.number)
    if f.date_from is not None or f.date_to is not None:
        tz = account_zone(session)
        if f.date_from is not None:
            q = q.where(Order.ordered_at >= start_of_day(f.date_from, tz).astimezone(UTC))
        if f.date_to is not None:
            q = q.where(Order.ordered_at < start_of_day(f.date_to + timedelta(days=1), tz)
                        .astimezone(UTC))
    return q


def _filter(value: OrderFilter | dict | None) -> OrderFilter:
    if isinstance(value, OrderFilter):
        return value
    try:
        return OrderFilter.model_validate(value or {})
    except ValidationError as exc:
        raise field_errors(exc) from None


def _row(r) -> OrderRow:
    # Trusted columns: built without validation (a window of 100 rows per keystroke).
    return OrderRow.model_construct(key=(r.ordered_at, r.id), id=r.id, number=r.number,
                    ordered_at=r.ordered_at, contact_id=r.contact_id,
                    contact_name=r.contact_name or "", product_name=r.product_name or "",
                    total=r.total, currency=r.currency, status=r.status, payment=r.payment,
                    external=r.external)


def list_orders(ctx: ServiceContext, filters: OrderFilter | dict | None = None,
                window: Window | None = None) -> list[OrderRow]:
    """Orders newest first (ordered_at, id), keyset windows; every filter has its index
    (ix_orders_status_ordered, ix_orders_product_ordered, ix_orders_contact, uq number)."""
    f = _filter(filters)
    window = window or Window()
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = (select(Order.id, Order.number, Order.ordered_at, Order.contact_id,
                    Order.total, Order.currency, Order.status, Order.payment, Order.external,
                    Contact.name.label("contact_name"), Product.name.label("product_name"))
             .join(Contact, Contact.id == Order.contact_id)
             .outerjoin(Product, Product.id == Order.product_id))
        q = _filtered(q, session, f)
        key = tuple_(Order.ordered_at, Order.id)
        newest, oldest = (Order.ordered_at.desc(), Order.id.desc()), \
            (Order.ordered_at.asc(), Order.id.asc())
        if window.after is not None:
            q = q.where(key < tuple_(*_key(window.after))).order_by(*newest)
        elif window.before is not None:
            q = q.where(key > tuple_(*_key(window.before))).order_by(*oldest)
        elif window.from_end:
            q = q.order_by(*oldest)
        else:
            q = q.order_by(*newest)
            if window.offset:
                q = q.offset(window.offset)
        rows = [_row(r) for r in session.execute(q.limit(window.limit))]
        if window.before is not None or window.from_end:
            rows.reverse()
        return rows


def _key(key) -> tuple:
    moment, oid = key
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    from sqlalchemy import literal

    from core.models.base import UTCDateTime
    return literal(moment, UTCDateTime()), literal(int(oid))


def _counted_by_status_and_product(f: OrderFilter) -> bool:
    return (f.contact_id is None and f.number is None and f.date_from is None
            and f.date_to is None)


def count_orders(ctx: ServiceContext, filters: OrderFilter | dict | None = None) -> int:
    """How many orders match, counted in SQL: with no filter, or a status and/or product
    filter only, a sum over `order_counts` (kept by triggers, migration 0013); otherwise on
    the index the list walks (a contact's orders, one number, a date range)."""
    f = _filter(filters)
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        if _counted_by_status_and_product(f):
            q = select(func.coalesce(func.sum(OrderCount.n), 0))
            if f.status:
                q = q.where(OrderCount.status == f.status)
            if f.product_id is not None:
                q = q.where(OrderCount.product_key == f.product_id)
            return int(session.scalar(q))
        return session.scalar(_filtered(select(func.count()).select_from(Order), session, f))


def contact_orders(ctx: ServiceContext, contact_id: int, window: Window | None = None
                   ) -> list[OrderRow]:
    """The contact card's Orders tab: the contact's orders, newest first."""
    return list_orders(ctx, OrderFilter(contact_id=contact_id), window)


# -- the offer picker ------------------------------------------------------------------------


def search_offers(ctx: ServiceContext, text_: str = "", window: Window | None = None
                  ) -> list[OfferChoice]:
    """Offers that take orders whose product or offer name or handle contains every word of
    `text_`, by product then offer name (keyset on (product sort key, offer sort key, id)).
    A small read-only search for the "+ Product" picker (the catalogue service has its own
    lists)."""
    window = window or Window()
    words = search_words(text_)
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = (select(Offer, Product.name.label("pname"), Product.sort_key.label("psort"))
             .join(Product, Product.id == Offer.product_id)
             .where(Offer.archived_at.is_(None), Product.archived_at.is_(None)))
        for w in words:
            pattern = f"%{w.replace('%', '').replace('_', '')}%"
            q = q.where(or_(func.lower(Offer.name).like(pattern),
                            func.lower(Offer.handle).like(pattern),
                            Product.sort_key.like(pattern),
                            func.lower(Product.handle).like(pattern)))
        if window.after is not None:
            q = q.where(tuple_(Product.sort_key, Offer.sort_key, Offer.id)
                        > tuple_(*window.after))
        q = q.order_by(Product.sort_key, Offer.sort_key, Offer.id).limit(window.limit)
        return [OfferChoice(key=(r.psort, r.Offer.sort_key, r.Offer.id), id=r.Offer.id,
                            handle=r.Offer.handle, name=r.Offer.name,
                            product_id=r.Offer.product_id, product_name=r.pname,
                            payment=r.Offer.payment, price=r.Offer.price,
                            currency=r.Offer.currency, plan_handle=r.Offer.plan_handle)
                for r in session.execute(q)]


def parse_filter(ctx: ServiceContext, text_: str) -> OrderFilter:
    """The orders area's search line: `42` or `#42` (an order number), `status:paid`,
    `product:HANDLE`, `contact:EMAIL|ID`, `date:2026-03-01..2026-03-31` (either end may be
    left out; one day without dots). Words are ANDed; a bad one raises ValidationFailed."""
    from datetime import date as _date

    values: dict[str, Any] = {}
    for word in (text_ or "").split():
        name, sep, value = word.partition(":")
        plain = word[1:] if word.startswith("#") else word
        if not sep and plain.isdigit():
            values["number"] = int(plain)
        elif sep and name == "status" and value:
            values["status"] = value
        elif sep and name == "product" and value:
            try:
                values["product_id"] = find_product_id(ctx, value)
            except NotFound as exc:
                raise ValidationFailed({"product": str(exc)}) from None
        elif sep and name == "contact" and value:
            try:
                values["contact_id"] = find_contact_id(ctx, value)
            except NotFound as exc:
                raise ValidationFailed({"contact": str(exc)}) from None
        elif sep and name == "date" and value:
            first, dots, last = value.partition("..")
            try:
                if first:
                    values["date_from"] = _date.fromisoformat(first)
                if last or not dots:
                    values["date_to"] = _date.fromisoformat(last or first)
            except ValueError:
                raise ValidationFailed({"date": _(
                    "Not a date range: {value} (e.g. 2026-03-01..2026-03-31)").format(
                    value=value)}) from None
        else:
            raise ValidationFailed({"search": _(
                "Unknown search word {word}: use a number, status:, product:, contact: or "
                "date:").format(word=word)})
    if "status" in values and values["status"] not in rules.STATES:
        raise ValidationFailed({"status": _("Unknown status {status}; choose from "
                                            "{states}.").format(
            status=values["status"], states=", ".join(rules.STATES))})
    return _filter(values)


def find_contact_id(ctx: ServiceContext, ref: str) -> int:
    """A contact by id (digits) or e-mail address (case-insensitive); NotFound otherwise."""
    ref = (ref or "").strip()
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        if ref.isdigit():
            cid = session.scalar(select(Contact.id).where(Contact.id == int(ref)))
        else:
            cid = session.scalar(select(Contact.id).where(Contact.email_key == ref.lower()))
        if cid is None:
            raise NotFound(_("No contact {ref}.").format(ref=ref))
        return cid


__all__ = ["KIND", "cancel_order", "contact_orders", "count_orders", "create_order",
           "find_contact_id", "find_product_id", "get_order", "list_orders", "offer_currency",
           "parse_filter", "pay_order", "preview_end", "preview_order", "preview_pay",
           "refund_order", "search_offers", "take_order_number", "validate_order", "vat_inside"]


def offer_currency(ctx: ServiceContext, handle: str) -> str:
    """The currency an order of the offer is in (a recurring offer: its plan's), for reading
    a price typed in major units; ValidationFailed on "offer" when there is no such offer."""
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        offer = _offer(session, OrderInput(contact_id=1, offer=handle))
        if offer.payment in RECURRING:
            return _plan(session, offer).currency
        return offer.currency


def find_product_id(ctx: ServiceContext, ref: str) -> int:
    """A product by id (digits) or handle; NotFound otherwise."""
    ref = (ref or "").strip()
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = select(Product.id).where(Product.id == int(ref) if ref.isdigit()
                                     else Product.handle == ref)
        pid = session.scalar(q)
        if pid is None:
            raise NotFound(_("No product {ref}.").format(ref=ref))
        return pid
