"""Subscriptions: create, cancel (with preview), uncancel, expire, hold, reactivate, change plan.

Every date comes from core.billing; the row keeps the engine's state as JSON and mirrors the
columns lists and the billing run query (state, next_billing_at, periods, expiry).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import billing
from core.billing import BillingError, PendingMove, SubscriptionState
from core.billing.amounts import price
from core.billing.periods import instant, zone
from core.errors import NotFound, ValidationFailed
from core.i18n import _
from core.models import Contact, Invoice, Plan, Subscription, utcnow
from core.rules import subscriptions as rules
from core.schemas.bulk import BulkPreview, BulkResult
from core.schemas.common import Window
from core.schemas.subscriptions import (
    CancellationPreview,
    InvoicePreview,
    InvoicePreviewLine,
    PlanChangeResult,
    SubscriptionCreated,
    SubscriptionInput,
    SubscriptionPreview,
)
from core.schemas.subscriptions import Subscription as SubscriptionOut
from core.services import _bulk, _uow, audit
from core.services import settings as settings_service
from core.services.billing_policy import (
    ACCOUNT_TZ_KEY,
    TermsCache,
    account_timezone,
    advance,
    invoice_number,
    invoice_row,
    state_columns,
)
from core.services.context import READ, ServiceContext, require
from core.services.invoices import invoice_out
from core.services.plan_catalogue import per_period_text
from core.services.plans import input_errors, plan_terms

WRITE = "subscriptions.write"
_FAR = datetime(9000, 1, 1, tzinfo=UTC)  # a projection's horizon: until it stops by itself


# -- settings --------------------------------------------------------------------------------


def get_account_timezone(ctx: ServiceContext) -> str:
    """The account time zone: the settings service's `account_timezone`."""
    return settings_service.get_setting(ctx, ACCOUNT_TZ_KEY).value


def set_account_timezone(ctx: ServiceContext, tz: str) -> str:
    """Set the zone every billing boundary is computed in (new subscriptions take it):
    the settings service's `account_timezone` (validated, admins only, audited there)."""
    return settings_service.set_setting(ctx, ACCOUNT_TZ_KEY, tz).value


# -- reading ---------------------------------------------------------------------------------


def engine_state(sub: Subscription) -> SubscriptionState:
    """The engine's state stored on the row."""
    return SubscriptionState.from_json_dict(sub.billing_state)


def terms_for(session: Session, sub: Subscription, plan_id: int | None = None):
    """(plan, PlanTerms) of the subscription's plan (or of `plan_id`), amount override in."""
    plan = session.get(Plan, plan_id or sub.plan_id)
    return plan, plan_terms(plan, sub.amount)


def pending_move(session: Session, sub: Subscription) -> tuple[Plan | None, PendingMove | None]:
    """The scheduled plan move (new version or change at renewal) as the billing run will
    apply it: the pending plan's terms (with the amount override) from `pending_change_at`."""
    if sub.pending_plan_id is None or sub.pending_change_at is None:
        return None, None
    plan, terms = terms_for(session, sub, sub.pending_plan_id)
    return plan, PendingMove(sub.pending_change_at, terms)


def period_amount(terms, quantity: int) -> int:
    """Gross of one full period (quantity included)."""
    return price(terms.amount * quantity, terms.vat, terms.amount_incl_vat).gross


def _invoice_preview(inv, plans_by_terms: dict | None = None, terms=None) -> InvoicePreview:
    """An engine invoice for a preview, with the plan version that bills it."""
    plan = (plans_by_terms or {}).get(id(terms))
    return InvoicePreview(
        issued=inv.issued, period_start=inv.period_start, period_end=inv.period_end,
        amount=inv.amount, vat_amount=inv.vat_amount, currency=inv.currency,
        plan_name=plan.name if plan else "", plan_version=plan.version if plan else None,
        lines=[InvoicePreviewLine(
            kind="prorated_plan" if line.kind == "plan" and line.prorated else line.kind,
            text=line.text, amount=line.amount) for line in inv.lines])


def _out(session: Session, sub: Subscription, at: datetime | None = None) -> SubscriptionOut:
    at = at or utcnow()
    plan, terms = terms_for(session, sub)
    state = engine_state(sub)
    pending_plan, move = pending_move(session, sub)
    upcoming = None
    if sub.on_hold_at is None:
        upcoming = next(billing.project(terms, state, _FAR, move), None)
    return SubscriptionOut(
        id=sub.id, contact_id=sub.contact_id, plan_id=sub.plan_id, plan_handle=plan.handle,
        plan_version=plan.version, plan_name=plan.name, currency=plan.currency,
        state=billing_status(state, at, sub.on_hold_at is not None),
        quantity=state.quantity, amount=sub.amount, start=sub.start, timezone=sub.timezone,
        trial_start=state.trial_start, trial_end=state.trial_end,
        current_period_start=state.current_period_start,
        current_period_end=state.current_period_end,
        next_invoice_at=upcoming.invoice.issued if upcoming else None,
        cancelled_at=state.cancelled_at,
        expires=billing.projected_expiry(terms, state, move), expire_reason=sub.expire_reason,
        on_hold_at=sub.on_hold_at, pending_plan_id=sub.pending_plan_id,
        pending_change_at=sub.pending_change_at, invoice_count=sub.invoice_count,
        row_version=sub.row_version,
        allowed_actions=rules.allowed_actions(**facts_at(sub, terms, state, at)),
        next_invoice_amount=upcoming.invoice.amount if upcoming else None,
        period_amount=period_amount(terms, state.quantity),
        period_text=per_period_text(terms.schedule_type, terms.interval_length),
        pending_plan_name=pending_plan.name if pending_plan else None,
        pending_plan_version=pending_plan.version if pending_plan else None,
        pending_period_amount=period_amount(move.terms, state.quantity) if move else None,
        pending_period_text=per_period_text(move.terms.schedule_type,
                                            move.terms.interval_length) if move else "")


def billing_status(state: SubscriptionState, at: datetime, on_hold: bool) -> str:
    from core.services.billing_policy import subscription_status

    return subscription_status(state, at, on_hold)


def get_subscription(ctx: ServiceContext, subscription_id: int, *,
                     at: datetime | None = None) -> SubscriptionOut:
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        return _out(session, get_row(session, subscription_id), at)


def get_row(session: Session, subscription_id: int) -> Subscription:
    """The subscription row, or NotFound."""
    sub = session.get(Subscription, subscription_id)
    if sub is None:
        raise NotFound(_("Subscription {id} does not exist.").format(id=subscription_id))
    return sub


def list_subscriptions(ctx: ServiceContext, *, contact_id: int | None = None,
                       states: tuple[str, ...] | None = None, window: Window | None = None
                       ) -> list[SubscriptionOut]:
    """Keyset on id (newest first)."""
    window = window or Window()
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = select(Subscription)
        if contact_id is not None:
            q = q.where(Subscription.contact_id == contact_id)
        if states:
            q = q.where(Subscription.state.in_(states))
        if window.after is not None:
            q = q.where(Subscription.id < window.after[0])
        q = q.order_by(Subscription.id.desc()).limit(window.limit)
        now = utcnow()
        return [_out(session, s, now) for s in session.scalars(q)]


# -- writing ---------------------------------------------------------------------------------


def _moment(value: datetime | None, tz: str, field: str) -> datetime:
    """An aware moment; a naive one is local wall time in the account zone."""
    if value is None:
        return utcnow()
    if not isinstance(value, datetime):
        raise ValidationFailed({field: _("Not a date and time.")})
    return instant(value, zone(tz))


def _snapshot(sub: Subscription) -> dict[str, Any]:
    return {"state": sub.state, "plan_id": sub.plan_id, "quantity": sub.quantity,
            "amount": sub.amount, "expires": sub.expires and sub.expires.isoformat(),
            "cancelled_at": sub.cancelled_at and sub.cancelled_at.isoformat(),
            "on_hold_at": sub.on_hold_at and sub.on_hold_at.isoformat(),
            "pending_plan_id": sub.pending_plan_id,
            "pending_change_at": sub.pending_change_at and sub.pending_change_at.isoformat()}


def _store(sub: Subscription, terms, state: SubscriptionState, at: datetime) -> None:
    for key, value in state_columns(terms, state, at, on_hold=sub.on_hold_at is not None,
                                    expire_reason=sub.expire_reason).items():
        setattr(sub, key, value)


def _resolve_plan(session: Session, handle: str | None, plan_id: int | None) -> Plan:
    if plan_id is not None:
        plan = session.get(Plan, plan_id)
    elif handle:
        plan = session.scalar(select(Plan).where(Plan.handle == handle)
                              .order_by(Plan.version.desc()).limit(1))
    else:
        raise ValidationFailed({"plan": _("Choose a plan.")})
    if plan is None:
        raise ValidationFailed({"plan": _("No plan with handle {handle}.").format(
            handle=handle) if handle else _("No such plan.")})
    if plan.state == "deleted":
        raise ValidationFailed({"plan": _("Plan {handle} is deleted; it takes no new "
                                          "subscriptions.").format(handle=plan.handle)})
    return plan


def _create(session: Session, ctx: ServiceContext, inp: SubscriptionInput, now: datetime
            ) -> tuple[Subscription, Plan, Any, list[dict[str, Any]]]:
    """Insert the subscription and every invoice due by `now` (the billing run's code:
    same idempotency key, numbering and state advance, so a later run adds nothing)."""
    require(session, ctx, WRITE)
    if session.get(Contact, inp.contact_id) is None:
        raise ValidationFailed({"contact_id": _("No such contact.")})
    plan = _resolve_plan(session, inp.plan, inp.plan_id)
    tz = account_timezone(session)
    start = _moment(inp.start, tz, "start") if inp.start else now
    terms = plan_terms(plan, inp.amount)
    try:
        state = billing.start_subscription(
            terms, start, tz=tz, quantity=inp.quantity, no_trial=inp.no_trial,
            no_setup_fee=inp.no_setup_fee)
    except BillingError as exc:
        raise ValidationFailed({"_": str(exc)}) from None
    sub = Subscription(contact_id=inp.contact_id, plan_id=plan.id, quantity=state.quantity,
                       amount=inp.amount, start=state.start, timezone=tz, invoice_count=0,
                       created_at=now, updated_at=now, updated_by=ctx.operator)
    _store(sub, terms, state, now)
    session.add(sub)
    session.flush()
    rows = _catch_up(session, ctx, sub, now, now)
    session.flush()
    return sub, plan, terms, rows


def _validate_input(data: dict[str, Any]) -> SubscriptionInput:
    try:
        return SubscriptionInput.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(input_errors(exc)) from None


def create_subscription(ctx: ServiceContext, data: dict[str, Any], *,
                        now: datetime | None = None) -> SubscriptionCreated:
    """Subscribe a contact to a plan (its newest version unless a version id is given); the
    invoices due by now (setup fee, first period) are stored at once and returned."""
    inp = _validate_input(data)
    now = now or utcnow()
    with ctx.db.transaction() as session:
        sub, *_ = _create(session, ctx, inp, now)
        audit.record(session, ctx, "subscription", sub.id, "create", None,
                     {**_snapshot(sub), "contact_id": sub.contact_id,
                      "start": sub.start.isoformat(), "no_trial": inp.no_trial,
                      "no_setup_fee": inp.no_setup_fee, "invoice_count": sub.invoice_count})
        created = session.scalars(select(Invoice).where(Invoice.subscription_id == sub.id)
                                  .order_by(Invoice.issued, Invoice.id))
        out = _out(session, sub, now)
        return SubscriptionCreated(**out.model_dump(),
                                   invoices=[invoice_out(i) for i in created])


def create_in(session: Session, ctx: ServiceContext, data: dict[str, Any], *,
              now: datetime) -> SubscriptionCreated:
    """`create_subscription` inside the caller's transaction (an order paid, a tariff switch
    to a recurring offer): the same rows, invoices and audit record; the caller commits."""
    inp = _validate_input(data)
    sub, *_rest = _create(session, ctx, inp, now)
    audit.record(session, ctx, "subscription", sub.id, "create", None,
                 {**_snapshot(sub), "contact_id": sub.contact_id,
                  "start": sub.start.isoformat(), "no_trial": inp.no_trial,
                  "no_setup_fee": inp.no_setup_fee, "invoice_count": sub.invoice_count},
                 at=now)
    created = session.scalars(select(Invoice).where(Invoice.subscription_id == sub.id)
                              .order_by(Invoice.issued, Invoice.id))
    out = _out(session, sub, now)
    return SubscriptionCreated(**out.model_dump(), invoices=[invoice_out(i) for i in created])


def change_plan_in(session: Session, ctx: ServiceContext, subscription_id: int, *,
                   plan: str | None = None, plan_id: int | None = None,
                   timing: str = "immediate", compensation: str = "prorated_credit",
                   at: datetime | None = None, now: datetime) -> PlanChangeResult:
    """`change_plan` inside the caller's transaction, under the row lock (a tariff switch):
    the same guard, invoice and audit record; the caller commits."""
    return _change_plan(session, ctx, subscription_id, plan=plan, plan_id=plan_id,
                        timing=timing, compensation=compensation, at=at,
                        expected_row_version=None, now=now, preview=True)


def live_subscription(session: Session, subscription_id: int, at: datetime) -> bool:
    """Whether the subscription still bills (or will) at `at`: not cancelled or expired."""
    sub = get_row(session, subscription_id)
    _plan, terms = terms_for(session, sub)
    return state_at(sub, terms, engine_state(sub), at) not in rules.ENDED


def cancel_in_transaction(session: Session, ctx: ServiceContext, subscription_id: int, *,
                          at: datetime, now: datetime) -> bool:
    """Cancel at `at` inside the caller's transaction, under the row lock, when the
    transition table allows it (an access deleted or switched away); audited as `cancel`.
    False when there was nothing to cancel (already cancelled, pending, ended)."""
    sub = _load_for_write(session, ctx, subscription_id, None)
    _plan, terms = terms_for(session, sub)
    moment = _moment(at, sub.timezone, "at")
    if rules.allowed_actions(**facts_at(sub, terms, engine_state(sub), moment))["cancel"]:
        return False
    before = cancel_in(session, ctx, sub, moment, now)
    _finish(session, ctx, sub, "cancel", before, now)
    return True


UPCOMING = 3  # invoices after those due at creation shown by the preview


def preview_subscription(ctx: ServiceContext, data: dict[str, Any], *,
                         now: datetime | None = None) -> SubscriptionPreview:
    """What `create_subscription` would do — computed by the same code and rolled back:
    the invoices stored at once, the next ones, trial end and first period."""
    inp = _validate_input(data)
    now = now or utcnow()
    try:
        with ctx.db.transaction() as session:
            sub, plan, terms, rows = _create(session, ctx, inp, now)
            state = engine_state(sub)
            by_terms = {id(terms): plan}
            upcoming = [_invoice_preview(step.invoice, by_terms, terms) for step in
                        itertools.islice(billing.project(terms, state, _FAR), UPCOMING)]
            due_now = [InvoicePreview(
                issued=r["issued"], period_start=r["period_start"], period_end=r["period_end"],
                amount=r["amount"], vat_amount=r["vat_amount"], currency=r["currency"],
                plan_name=plan.name, plan_version=plan.version,
                lines=[InvoicePreviewLine(kind=line["kind"], text=line["text"],
                                          amount=line["gross"]) for line in r["lines"]])
                for r in rows]
            first = next((i for i in due_now + upcoming if i.period_start is not None
                          and i.period_start == state.first_period_start), None)
            raise _RollBack(SubscriptionPreview(
                plan_name=plan.name, plan_version=plan.version, currency=plan.currency,
                start=state.start, timezone=sub.timezone,
                state=billing_status(state, now, False), trial_start=state.trial_start,
                trial_end=state.trial_end, first_period_start=state.first_period_start,
                first_period_end=first.period_end if first else None, due_now=due_now,
                upcoming=upcoming, expires=billing.projected_expiry(terms, state)))
    except _RollBack as done:
        return done.result


def _not_found(subscription_id: Any) -> str:
    return _("Subscription {id} does not exist.").format(id=subscription_id)


KIND = _uow.Kind(
    model=Subscription, entity="subscription", not_found=_not_found,
    changed=lambda by, at: _("This subscription was changed by {by} at {at} — reload.").format(
        by=by, at=at),
    meanwhile=lambda: _("This subscription was changed by someone else meanwhile — reload."))


def _load_for_write(session: Session, ctx: ServiceContext, subscription_id: int,
                    expected_row_version: int | None, *, required: bool = False
                    ) -> Subscription:
    """The row under the row lock (a state action: two agents at once give one success and
    one refusal or conflict), at `expected_row_version` when given (mandatory: `required`)."""
    require(session, ctx, WRITE)
    return _uow.load_for_write(session, KIND, subscription_id, expected_row_version,
                               lock=True, required=required)


def _finish(session: Session, ctx: ServiceContext, sub: Subscription, action: str,
            before: dict, now: datetime, extra: dict | None = None) -> SubscriptionOut:
    _uow.save(session, ctx, KIND, sub, action, before, _snapshot(sub), extra=extra, now=now)
    return _out(session, sub, now)


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed({"_": message})


def state_at(sub: Subscription, terms, state: SubscriptionState, at: datetime) -> str:
    """The state the transition table judges at `at`: the stored end states stay, a
    fixed-count subscription past its projected expiry is expired, else the engine's status
    (on hold included)."""
    if sub.state in rules.ENDED:
        return sub.state
    status = billing_status(state, at, sub.on_hold_at is not None)
    if status not in rules.ENDED:
        expiry = billing.projected_expiry(terms, state)
        if expiry is not None and at >= expiry:
            return "expired"
    return status


def facts_at(sub: Subscription, terms, state: SubscriptionState, at: datetime
             ) -> dict[str, Any]:
    """The state and facts the transition table judges the subscription by at `at`."""
    status = state_at(sub, terms, state, at)
    return {"state": status, "pending_change": sub.pending_plan_id is not None,
            "next_period": status in rules.ENDED
            or billing.version_switch_at(terms, state, at) is not None}


def _guard(action: str, sub: Subscription, terms, at: datetime) -> None:
    """The transition table's verdict for `action` now (Refused, a ValidationFailed)."""
    rules.check(action, **facts_at(sub, terms, engine_state(sub), at))


def preview_cancellation(ctx: ServiceContext, subscription_id: int, *,
                         at: datetime | None = None) -> CancellationPreview:
    """Effective date, last period and the invoices still to come — nothing is saved."""
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        sub = get_row(session, subscription_id)
        plan, terms = terms_for(session, sub)
        pending_plan, move = pending_move(session, sub)
        at = _moment(at, sub.timezone, "at")
        state = engine_state(sub)
        _guard("cancel", sub, terms, at)
        try:
            p = billing.cancellation_preview(terms, state, at, move)
            steps = list(billing.project(terms, p.state, _FAR, move))
        except BillingError as exc:
            raise _refuse(str(exc)) from None
        by_terms = {id(terms): plan, **({id(move.terms): pending_plan} if move else {})}
        return CancellationPreview(
            requested_at=p.requested_at, expires=p.expires,
            last_period_start=p.last_period_start, last_period_end=p.last_period_end,
            last_period_prorated=p.last_period_prorated,
            invoices=[_invoice_preview(step.invoice, by_terms, step.terms) for step in steps])


def cancel_in(session: Session, ctx: ServiceContext, sub: Subscription, at: datetime,
              now: datetime) -> dict[str, Any]:
    """Cancel a loaded (locked) row at `at` inside the caller's transaction; the audit
    snapshot before the change. The bulk cancel and `cancel_subscription` share it."""
    _plan, terms = terms_for(session, sub)
    at = _moment(at, sub.timezone, "at")
    _guard("cancel", sub, terms, at)
    before = _snapshot(sub)
    try:
        state = billing.cancel(terms, engine_state(sub), at)
    except BillingError as exc:
        raise _refuse(str(exc)) from None
    _store(sub, terms, state, now)
    return before


def cancel_subscription(ctx: ServiceContext, subscription_id: int, *,
                        at: datetime | None = None, expected_row_version: int | None = None,
                        now: datetime | None = None) -> SubscriptionOut:
    """Cancel at `at` (default now); it pends until the engine's effective date."""
    now = now or utcnow()
    with ctx.db.transaction() as session:
        sub = _load_for_write(session, ctx, subscription_id, expected_row_version)
        before = cancel_in(session, ctx, sub, at or now, now)
        return _finish(session, ctx, sub, "cancel", before, now)


def uncancel_subscription(ctx: ServiceContext, subscription_id: int, *,
                          expected_row_version: int | None = None,
                          now: datetime | None = None) -> SubscriptionOut:
    """Withdraw a pending cancellation."""
    now = now or utcnow()
    with ctx.db.transaction() as session:
        sub = _load_for_write(session, ctx, subscription_id, expected_row_version)
        _plan, terms = terms_for(session, sub)
        _guard("uncancel", sub, terms, now)
        before = _snapshot(sub)
        try:
            state = billing.uncancel(terms, engine_state(sub), now)
        except BillingError as exc:
            raise _refuse(str(exc)) from None
        _store(sub, terms, state, now)
        return _finish(session, ctx, sub, "uncancel", before, now)


def expire_subscription(ctx: ServiceContext, subscription_id: int, *,
                        expected_row_version: int | None = None,
                        now: datetime | None = None) -> SubscriptionOut:
    """End it now (no compensation); nothing more is billed."""
    now = now or utcnow()
    with ctx.db.transaction() as session:
        sub = _load_for_write(session, ctx, subscription_id, expected_row_version)
        _plan, terms = terms_for(session, sub)
        _guard("expire", sub, terms, now)
        before = _snapshot(sub)
        state = billing.expire(engine_state(sub), now)
        sub.on_hold_at, sub.expire_reason = None, "ondemand"
        sub.pending_plan_id = sub.pending_change_at = None
        _store(sub, terms, state, now)
        return _finish(session, ctx, sub, "expire", before, now)


def lock_in(session: Session, ctx: ServiceContext, subscription_id: int) -> Subscription:
    """The subscription row under the row lock inside the caller's transaction (an order's
    cancel or refund acts on the subscription it created)."""
    return _load_for_write(session, ctx, subscription_id, None)


def expire_in(session: Session, ctx: ServiceContext, sub: Subscription, now: datetime
              ) -> dict[str, Any]:
    """`expire_subscription` on a loaded (locked) row inside the caller's transaction (an
    order refunded: nothing more is billed); audited. Returns the snapshot before."""
    _plan, terms = terms_for(session, sub)
    _guard("expire", sub, terms, now)
    before = _snapshot(sub)
    state = billing.expire(engine_state(sub), now)
    sub.on_hold_at, sub.expire_reason = None, "ondemand"
    sub.pending_plan_id = sub.pending_change_at = None
    _store(sub, terms, state, now)
    _finish(session, ctx, sub, "expire", before, now)
    return before


def cancel_and_record_in(session: Session, ctx: ServiceContext, sub: Subscription,
                         at: datetime, now: datetime) -> dict[str, Any]:
    """`cancel_subscription` on a loaded (locked) row inside the caller's transaction (an
    order cancelled): the engine's cancellation at `at`, audited."""
    before = cancel_in(session, ctx, sub, at, now)
    _finish(session, ctx, sub, "cancel", before, now)
    return before


def put_on_hold(ctx: ServiceContext, subscription_id: int, *,
                expected_row_version: int | None = None,
                now: datetime | None = None) -> SubscriptionOut:
    """Stop billing now; only an active subscription outside its trial can be held."""
    now = now or utcnow()
    with ctx.db.transaction() as session:
        sub = _load_for_write(session, ctx, subscription_id, expected_row_version)
        _plan, terms = terms_for(session, sub)
        _guard("hold", sub, terms, now)
        before = _snapshot(sub)
        sub.on_hold_at = now
        _store(sub, terms, engine_state(sub), now)
        return _finish(session, ctx, sub, "on_hold", before, now)


def reactivate_subscription(ctx: ServiceContext, subscription_id: int, *,
                            expected_row_version: int | None = None,
                            now: datetime | None = None) -> SubscriptionOut:
    """Resume billing: inside the paid period it simply continues, later it restarts now."""
    now = now or utcnow()
    with ctx.db.transaction() as session:
        sub = _load_for_write(session, ctx, subscription_id, expected_row_version)
        _plan, terms = terms_for(session, sub)
        _guard("reactivate", sub, terms, now)
        before = _snapshot(sub)
        state = billing.reactivate(terms, engine_state(sub), max(now, sub.on_hold_at))
        sub.on_hold_at = None
        _store(sub, terms, state, now)
        return _finish(session, ctx, sub, "reactivate", before, now)


def _catch_up(session: Session, ctx: ServiceContext, sub: Subscription, upto: datetime,
              now: datetime) -> list[dict[str, Any]]:
    """Issue what the billing run would have issued up to `upto` (same code path); the
    inserted invoice rows."""
    cache = TermsCache()
    cache.load(session, {sub.plan_id} | ({sub.pending_plan_id} if sub.pending_plan_id
                                         else set()))
    adv = advance(sub, cache, upto, now, ctx.operator)
    if adv.invoices:
        session.connection().execute(Invoice.__table__.insert(), adv.invoices)
    for key, value in adv.values.items():
        setattr(sub, key, value)
    return adv.invoices


def change_plan(ctx: ServiceContext, subscription_id: int, *, plan: str | None = None,
                plan_id: int | None = None, timing: str = "renewal",
                compensation: str = "none", at: datetime | None = None,
                expected_row_version: int, now: datetime | None = None) -> PlanChangeResult:
    """Move to another plan at the next renewal, or immediately (compensation none or a
    prorated credit of the unused part of the paid period). `expected_row_version` is the
    version the form showed (mandatory; Conflict when the subscription changed since)."""
    if timing not in ("renewal", "immediate"):
        raise ValidationFailed({"timing": _("Choose renewal or immediate.")})
    if compensation not in ("none", "prorated_credit"):
        raise ValidationFailed({"compensation": _("Choose none or prorated_credit.")})
    now = now or utcnow()
    with ctx.db.transaction() as session:
        return _change_plan(session, ctx, subscription_id, plan=plan, plan_id=plan_id,
                            timing=timing, compensation=compensation, at=at,
                            expected_row_version=expected_row_version, now=now)


class _RollBack(Exception):
    def __init__(self, result):
        self.result = result


def preview_plan_change(ctx: ServiceContext, subscription_id: int, *, plan: str | None = None,
                        plan_id: int | None = None, timing: str = "renewal",
                        compensation: str = "none", at: datetime | None = None,
                        now: datetime | None = None) -> PlanChangeResult:
    """Exactly what `change_plan` would do, computed by the same code and rolled back."""
    if timing not in ("renewal", "immediate"):
        raise ValidationFailed({"timing": _("Choose renewal or immediate.")})
    if compensation not in ("none", "prorated_credit"):
        raise ValidationFailed({"compensation": _("Choose none or prorated_credit.")})
    now = now or utcnow()
    try:
        with ctx.db.transaction() as session:
            result = _change_plan(session, ctx, subscription_id, plan=plan, plan_id=plan_id,
                                  timing=timing, compensation=compensation, at=at,
                                  expected_row_version=None, now=now, preview=True)
            raise _RollBack(result)
    except _RollBack as done:
        return done.result


def _change_plan(session: Session, ctx: ServiceContext, subscription_id: int, *,
                 plan: str | None, plan_id: int | None, timing: str, compensation: str,
                 at: datetime | None, expected_row_version: int | None,
                 now: datetime, preview: bool = False) -> PlanChangeResult:
    sub = _load_for_write(session, ctx, subscription_id, expected_row_version,
                          required=not preview)
    old_plan, old_terms = terms_for(session, sub)
    new_plan = _resolve_plan(session, plan, plan_id)
    if new_plan.currency != old_plan.currency:
        raise ValidationFailed({"plan": _("The new plan bills in {new}, this subscription "
                                          "in {old}.").format(new=new_plan.currency,
                                                              old=old_plan.currency)})
    at = _moment(at or now, sub.timezone, "at")
    _guard("change_plan_now" if timing == "immediate" else "change_plan", sub, old_terms, at)
    before = _snapshot(sub)
    new_terms = plan_terms(new_plan, sub.amount)
    invoice_out_ = None
    change_at = None
    if timing == "renewal":
        change_at = billing.version_switch_at(old_terms, engine_state(sub), at)
        sub.pending_plan_id, sub.pending_change_at = new_plan.id, change_at
        _store(sub, old_terms, engine_state(sub), now)
    else:
        sub.pending_plan_id = sub.pending_change_at = None
        _catch_up(session, ctx, sub, at, now)
        state = engine_state(sub)
        billed, billed_vat = _billed_for(session, sub, at)
        try:
            invoice, state = billing.immediate_change(
                old_terms, new_terms, state, at, compensation=compensation,
                billed_amount=billed, billed_vat=billed_vat)
        except BillingError as exc:
            raise _refuse(str(exc)) from None
        if invoice is not None:
            sub.invoice_count += 1
            row = invoice_row(invoice, kind="change",
                              number=invoice_number(sub.id, sub.invoice_count),
                              subscription_id=sub.id, contact_id=sub.contact_id,
                              plan_id=new_plan.id, now=now, operator=ctx.operator)
            inv_id = session.connection().execute(
                Invoice.__table__.insert().returning(Invoice.__table__.c.id), row
            ).scalar_one()
            invoice_out_ = invoice_out(session.get(Invoice, inv_id))
        sub.plan_id = new_plan.id
        _store(sub, new_terms, state, now)
    out = _finish(session, ctx, sub, "change_plan", before, now,
                  {"timing": timing, "compensation": compensation,
                   "new_plan_id": new_plan.id})
    return PlanChangeResult(
        subscription=out, change_at=change_at, invoice=invoice_out_,
        new_plan_name=new_plan.name, new_plan_version=new_plan.version,
        new_period_amount=period_amount(new_terms, engine_state(sub).quantity),
        period_text=per_period_text(new_terms.schedule_type, new_terms.interval_length),
        currency=new_plan.currency)


def _billed_for(session: Session, sub: Subscription, at: datetime) -> tuple[int, int]:
    """Gross and VAT billed for the period containing `at` (plan lines only)."""
    rows = session.scalars(
        select(Invoice).where(Invoice.subscription_id == sub.id,
                              Invoice.kind.in_(("plan", "change")),
                              Invoice.period_start <= at, Invoice.period_end > at))
    gross = vat = 0
    for inv in rows:
        for line in inv.lines:
            if line["kind"] in ("plan", "prorated_plan"):
                gross += line["gross"]
                vat += line["vat"]
    return gross, vat


def cancel_pending_change(ctx: ServiceContext, subscription_id: int, *,
                          expected_row_version: int | None = None,
                          now: datetime | None = None) -> SubscriptionOut:
    """Keep the current plan: drop a scheduled move (new version or change at renewal)."""
    now = now or utcnow()
    with ctx.db.transaction() as session:
        sub = _load_for_write(session, ctx, subscription_id, expected_row_version)
        _guard("cancel_pending_change", sub, terms_for(session, sub)[1], now)
        before = _snapshot(sub)
        sub.pending_plan_id = sub.pending_change_at = None
        return _finish(session, ctx, sub, "cancel_change", before, now)


# -- bulk ------------------------------------------------------------------------------------


def _cancel_reason(session: Session, at: datetime | None, now: datetime):
    """The transition table's reason not to cancel a row at `at` (None: it can be)."""
    def check(sub: Subscription) -> str | None:
        _plan, terms = terms_for(session, sub)
        moment = _moment(at or now, sub.timezone, "at")
        facts = facts_at(sub, terms, engine_state(sub), moment)
        return rules.allowed_actions(**facts)["cancel"]
    return check


def preview_bulk_cancel(ctx: ServiceContext, ids: list[int], *, at: datetime | None = None,
                        now: datetime | None = None) -> BulkPreview:
    """How many of `ids` a bulk cancel at `at` would cancel, and which it refuses (why)."""
    now = now or utcnow()
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        return _bulk.preview(session, KIND, "cancel", ids, _cancel_reason(session, at, now))


def bulk_cancel_subscriptions(ctx: ServiceContext, ids: list[int], at: datetime | None = None,
                              *, now: datetime | None = None) -> BulkResult:
    """Cancel every subscription of `ids` at `at` (default now), or none: a single refusal
    (already cancelled, on hold, ended, no such id) raises `BulkRefused` listing every refused
    row and writes nothing; otherwise one transaction, one audit record per subscription."""
    now = now or utcnow()
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)

        def apply(sub: Subscription) -> tuple[dict[str, Any], dict[str, Any]]:
            before = cancel_in(session, ctx, sub, at or now, now)
            return before, _snapshot(sub)

        return _bulk.run(session, ctx, KIND, "cancel", ids,
                         check=_cancel_reason(session, at, now), apply=apply, now=now)


# -- for the access status services (core/services/access_status.py) -----------------------


def snapshot(sub: Subscription) -> dict[str, Any]:
    """The audited fields of a subscription."""
    return _snapshot(sub)


def store_state(sub: Subscription, terms, state: SubscriptionState, now: datetime) -> None:
    """Write an engine state onto the row (its mirrored columns as of `now`)."""
    _store(sub, terms, state, now)


def status_now(sub: Subscription, at: datetime) -> str:
    """The subscription's status at `at` as the transition table judges it."""
    _plan, terms = terms_for_row(sub)
    return state_at(sub, terms, engine_state(sub), at)


def terms_for_row(sub: Subscription):
    """(plan, terms) of a row attached to a session."""
    from sqlalchemy.orm import object_session

    return terms_for(object_session(sub), sub)


def uncancel_in(session: Session, ctx: ServiceContext, sub: Subscription,
                at: datetime, now: datetime) -> dict[str, Any]:
    """Withdraw a pending cancellation of a loaded row inside the caller's transaction;
    returns the audit snapshot before the change (refusals as ValidationFailed)."""
    _plan, terms = terms_for(session, sub)
    _guard("uncancel", sub, terms, at)
    before = _snapshot(sub)
    state = engine_state(sub)
    try:
        state = billing.uncancel(terms, state, at)
    except BillingError as exc:
        # An end date moved inside a period that was already invoiced in full (an access's
        # edited date): no prorated final period was billed, so billing simply goes on.
        billed_past = (state.cancelled_at is not None and state.cancel_expires is not None
                       and at < state.cancel_expires
                       and state.current_period_end is not None
                       and state.current_period_end > state.cancel_expires)
        if not billed_past:
            raise _refuse(str(exc)) from None
        from dataclasses import replace

        state = replace(state, cancelled_at=None, cancel_expires=None)
    _store(sub, terms, state, now)
    return before


def end_in(session: Session, ctx: ServiceContext, sub: Subscription, end: datetime,
           at: datetime, now: datetime, *, cancellation: bool) -> dict[str, Any]:
    """Move the end of a loaded row to `end` (an access's edited date) inside the caller's
    transaction: a cancellation ends at `end` (`cancel_expires`), an expiry at `end`
    (`fixed_expires`); an `end` at or before `at` ends it at `at` (billed time is not
    undone). Returns the audit snapshot before the change."""
    from dataclasses import replace

    _plan, terms = terms_for(session, sub)
    before = _snapshot(sub)
    state = engine_state(sub)
    end = max(end, at)
    if cancellation:
        state = replace(state, cancelled_at=state.cancelled_at or at, cancel_expires=end)
        if state.fixed_expires is not None and state.fixed_expires < end:
            state = replace(state, fixed_expires=None)
    else:
        state = replace(state, fixed_expires=end, cancelled_at=None, cancel_expires=None)
    if end <= at:
        sub.on_hold_at = None
        sub.pending_plan_id = sub.pending_change_at = None
    _store(sub, terms, state, now)
    return before


# -- inside another service's transaction (groups) ------------------------------------------


def lock_row(session: Session, ctx: ServiceContext, subscription_id: int) -> Subscription:
    """The row under the row lock, for a state action inside the caller's transaction."""
    return _load_for_write(session, ctx, subscription_id, None)


def cancel_locked(session: Session, ctx: ServiceContext, sub: Subscription, *,
                  at: datetime, now: datetime) -> SubscriptionOut:
    """Cancel a locked row at `at` and audit it (the caller's transaction)."""
    before = cancel_in(session, ctx, sub, at, now)
    return _finish(session, ctx, sub, "cancel", before, now)


def uncancel_locked(session: Session, ctx: ServiceContext, sub: Subscription, *,
                    now: datetime) -> SubscriptionOut:
    """Withdraw a pending cancellation of a locked row and audit it (caller's transaction)."""
    _plan, terms = terms_for(session, sub)
    _guard("uncancel", sub, terms, now)
    before = _snapshot(sub)
    try:
        state = billing.uncancel(terms, engine_state(sub), now)
    except BillingError as exc:
        raise _refuse(str(exc)) from None
    _store(sub, terms, state, now)
    return _finish(session, ctx, sub, "uncancel", before, now)


def describe(session: Session, sub: Subscription, at: datetime | None = None
             ) -> SubscriptionOut:
    """The output schema of a row (next invoice date and amount from the engine)."""
    return _out(session, sub, at)


def cancellation_outlook(session: Session, sub: Subscription, at: datetime
                         ) -> CancellationPreview:
    """What cancelling `sub` at `at` would do (the engine's preview), inside a session."""
    plan, terms = terms_for(session, sub)
    pending_plan, move = pending_move(session, sub)
    state = engine_state(sub)
    _guard("cancel", sub, terms, at)
    try:
        p = billing.cancellation_preview(terms, state, at, move)
        steps = list(billing.project(terms, p.state, _FAR, move))
    except BillingError as exc:
        raise _refuse(str(exc)) from None
    by_terms = {id(terms): plan, **({id(move.terms): pending_plan} if move else {})}
    return CancellationPreview(
        requested_at=p.requested_at, expires=p.expires,
        last_period_start=p.last_period_start, last_period_end=p.last_period_end,
        last_period_prorated=p.last_period_prorated,
        invoices=[_invoice_preview(step.invoice, by_terms, step.terms) for step in steps])
