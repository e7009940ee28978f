"""Accesses: granted by a paid order (or a group seat), ended by a refund or cancellation.

This module holds what every access-creating service shares, inside the caller's transaction:
`grant` (a new access from an offer: start, end from the template's duration, audit) and
`end_for_order` (a refund or cancellation ends the accesses the order created), plus
`status_of` (the status at a moment, core/rules/accesses.py).

On these: the Products tab and `kontor access list` (`list_accesses`), one access with every
lesson's state (`get_access`), the order editor (`effective_template`, `preview_template`
— fast, on a per-editor `PreviewCache` — and `update_template`), switch tariff
(`preview_switch`, `switch_tariff`: one transaction, the old access out and the new one in),
`delete_access`, `extend_access`, `pause_access`, `resume_access` and `accept_practice`.
Every state action asks core/rules/accesses.py first (TABLE.check). docs/accesses.md.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from weakref import WeakKeyDictionary

from pydantic import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, object_session

from core.errors import NotFound, ValidationFailed
from core.i18n import _
from core.lessons import LessonRangeError, Pause, lesson_states, move_later, pause_days
from core.limits import date_in_range, date_range_message
from core.models import (Access, BundleItem, Contact, Invoice, Lesson, Offer, Product,
                         Subscription, utcnow)
from core.rules import accesses as rules
from core.schemas.access_template import AccessTemplate, FirstLessons, LessonSpec, OnlyLessons
from core.schemas.accesses import (
    AccessDetail,
    AccessRow,
    AccessTemplateDraft,
    FirstKeys,
    LessonChange,
    LessonRow,
    OfferChoice,
    OnlyKeys,
    PauseOut,
    SwitchPreview,
    SwitchResult,
    TemplatePreview,
)
from core.schemas.common import Window, field_errors
from core.schemas.subscriptions import InvoicePreview, InvoicePreviewLine
from core.services import _uow, catalogue, subscriptions
from core.services.context import READ, require
from core.services.settings import account_zone

KIND = _uow.Kind(
    model=Access, entity="access",
    not_found=lambda key: _("Access {id} does not exist.").format(id=key),
    changed=lambda by, at: _("This access was changed by {by} at {at}; reload to see the "
                             "change.").format(by=by or "?", at=at),
    meanwhile=lambda: _("This access was changed meanwhile; reload and try again."),
)


def snapshot(access: Access) -> dict[str, Any]:
    """The audited fields of an access."""
    def iso(v: datetime | None) -> str | None:
        return v.isoformat() if v is not None else None
    return {"contact_id": access.contact_id, "product_id": access.product_id,
            "offer_id": access.offer_id, "order_id": access.order_id,
            "subscription_id": access.subscription_id, "group_id": access.group_id,
            "starts_at": iso(access.starts_at), "ends_at": iso(access.ends_at),
            "template": access.template, "individual": access.individual,
            "pauses": list(access.pauses or []), "accepted": list(access.accepted or []),
            "status": access.status,
            "pending_cancellation_at": iso(access.pending_cancellation_at),
            "cancelled_at": iso(access.cancelled_at), "deleted_at": iso(access.deleted_at),
            "end_reason": access.end_reason}


def template_end(template: AccessTemplate, starts_at: datetime, tz: Any) -> datetime | None:
    """The end the template's duration gives an access starting at `starts_at` (SPEC §4.1
    rule 2; None = unlimited)."""
    if template.duration is None:
        return None
    return lesson_states((), template, starts_at, at=starts_at, tz=tz).end


def grant(session: Session, ctx: Any, *, contact_id: int, offer: Offer, starts_at: datetime,
          order_id: int | None = None, subscription_id: int | None = None,
          group_id: int | None = None, now: datetime | None = None) -> Access:
    """A new access to the offer's product under the offer's template (not individual: later
    offer edits reach it), audited as `create`. The caller owns the transaction and the role
    check. An access bought by subscription lives as long as the subscription (no end here
    unless the template has a duration)."""
    template = catalogue.offer_template(session, offer)[0]
    access = Access(contact_id=contact_id, product_id=offer.product_id, offer_id=offer.id,
                    order_id=order_id, subscription_id=subscription_id, group_id=group_id,
                    starts_at=starts_at,
                    ends_at=template_end(template, starts_at, account_zone(session)),
                    template=None, individual=False, pauses=[], accepted=[], status="active")
    session.add(access)
    _uow.save(session, ctx, KIND, access, "create", None, snapshot(access), now=now)
    return access


def status_of(access: Access, at: datetime, *, overdue: bool = False) -> str:
    """The access status at `at` (core/rules/accesses.py)."""
    return rules.status(at=at, ends_at=access.ends_at,
                        pending_cancellation_at=access.pending_cancellation_at,
                        cancelled_at=access.cancelled_at, deleted_at=access.deleted_at,
                        pauses=access.pauses or (), overdue=overdue)


def end_for_order(session: Session, ctx: Any, order_id: int, *, at: datetime,
                  reason: str) -> list[Access]:
    """End (cancel at `at`) every access the order created that has not ended yet, audited
    with `reason` ("refunded", "order_cancelled"). Returns the accesses ended."""
    ended = []
    rows = session.scalars(select(Access).where(Access.order_id == order_id)
                           .order_by(Access.id)).all()
    for access in rows:
        if status_of(access, at) in rules.ENDED:
            continue
        before = snapshot(access)
        access.cancelled_at = at
        access.pending_cancellation_at = None
        access.end_reason = reason
        access.status = "cancelled"
        _uow.save(session, ctx, KIND, access, "end", before, snapshot(access), now=at)
        ended.append(access)
    return ended


# == reading: lessons, effective template, lists ===========================================

WRITE = "access.write"
RECURRING = ("subscription", "instalments")


def _fast(cls: type, fields: frozenset[str], values: dict[str, Any]) -> Any:
    """`cls.model_construct(**values)` without its per-field loop, for values that are every
    field and already of its type (rows read from the database, the engine's output): 300
    rows per keystroke cost 2 ms that way (benchmarks/order_editor.py)."""
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(fields))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


_LESSON_FIELDS = frozenset(LessonRow.model_fields)
_SPEC_FIELDS = frozenset(LessonSpec.model_fields)


@dataclass(frozen=True)
class Unit:
    """The lessons of one product of an access, in order (a bundle has one unit per product).
    `keys[i]` is lesson i+1's key as an access stores it ("handle/key" inside a bundle)."""

    product: str
    keys: tuple[str, ...]
    specs: tuple[LessonSpec, ...]
    meta: tuple[tuple[str, str, bool, bool], ...]  # (title, module, practice, checkpoint)
    positions: dict[str, int] = field(default_factory=dict)  # key -> 1-based position


def _unit(product: Product, rows: Sequence[Any], prefix: str) -> Unit:
    keys = tuple(prefix + r.key for r in rows)
    specs = tuple(_fast(LessonSpec, _SPEC_FIELDS, {
        "title": r.title or "", "delay_days": r.delay_days or 0, "open_on": r.open_on,
        "checkpoint": bool(r.checkpoint)}) for r in rows)
    meta = tuple((r.title or "", r.module or "", bool(r.practice), bool(r.checkpoint))
                 for r in rows)
    return Unit(product.name, keys, specs, meta, {k: i + 1 for i, k in enumerate(keys)})


_UNITS: WeakKeyDictionary[Any, OrderedDict[tuple[int, int], Unit]] = WeakKeyDictionary()
_UNITS_KEPT = 1024  # products (500 of up to 300 lessons: a few MB)


def _engine_of(session: Session) -> Any:
    bind = session.get_bind()
    return getattr(bind, "engine", bind)


def product_lessons(session: Session, product_id: int) -> list[Unit]:
    """The lessons of a product in order, as LessonSpec + keys; a bundle: one unit per
    product it contains (its own lessons first, if any), keys as "handle/key"."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(_("Product {id} does not exist.").format(id=product_id))

    def lessons_of(pid: int) -> list[Any]:
        # plain rows, not ORM objects: a 300-lesson course reads in a third of the time
        return list(session.execute(
            select(Lesson.key, Lesson.title, Lesson.module, Lesson.practice, Lesson.checkpoint,
                   Lesson.delay_days, Lesson.open_on)
            .where(Lesson.product_id == pid).order_by(Lesson.position, Lesson.id)))

    if not product.is_bundle:
        # Remembered per database and product version: every write of a product's lessons
        # goes through the catalogue service, which moves the product's row_version.
        cache = _UNITS.setdefault(_engine_of(session), OrderedDict())
        key = (product.id, product.row_version)
        unit = cache.get(key)
        if unit is None:
            unit = cache[key] = _unit(product, lessons_of(product.id), "")
            while len(cache) > _UNITS_KEPT:
                cache.popitem(last=False)
        return [unit]
    units = []
    own = lessons_of(product.id)
    if own:
        units.append(_unit(product, own, product.handle + "/"))
    items = session.execute(select(Product).join(BundleItem, BundleItem.product_id == Product.id)
                            .where(BundleItem.bundle_id == product.id)
                            .order_by(BundleItem.position, Product.id)).scalars().all()
    for item in items:
        units.append(_unit(item, lessons_of(item.id), item.handle + "/"))
    return units


def _draft_of(stored: dict[str, Any] | None) -> AccessTemplateDraft:
    """A stored template (an offer's or an individual access's) as a draft; `only` may hold
    keys (strings, the stored form) or, in an old document, positions (kept as text)."""
    data = dict(stored or {})
    ol = data.get("open_lessons")
    if isinstance(ol, dict) and "only_keys" in ol:  # the stored form (catalogue, to_json)
        data["open_lessons"] = {"only": [str(k) for k in ol.get("only_keys") or ()]}
    elif isinstance(ol, dict) and "only" in ol:
        data["open_lessons"] = {"only": [str(k) for k in ol.get("only") or ()]}
    try:
        return AccessTemplateDraft.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc).fields) from None


def _engine_template(draft: AccessTemplateDraft, unit: Unit) -> AccessTemplate:
    """The draft for the engine on one unit: keys → positions; no duration (the access's
    stored end decides rule 2, so an extension or a moved end counts)."""
    ol: Any = draft.open_lessons
    if isinstance(ol, OnlyKeys):
        positions = []
        legacy = _legacy_positions(unit)
        for key in ol.only:
            pos = unit.positions.get(key)
            if pos is None and legacy and key.isdigit() and 1 <= int(key) <= len(unit.keys):
                pos = int(key)
            if pos is not None:
                positions.append(pos)
        ol = OnlyLessons.model_construct(only=tuple(sorted(set(positions))))
    elif isinstance(ol, FirstKeys):
        ol = FirstLessons.model_construct(first=ol.first)
    return AccessTemplate.model_construct(open_lessons=ol, release=draft.release,
                                          checkpoints=draft.checkpoints, review=draft.review,
                                          duration=None)


def _legacy_positions(unit: Unit) -> bool:
    """A template written before keys (only: [1, 3]) when no lesson key is a number."""
    return not any(k.isdigit() for k in unit.keys)


def effective_template(session: Session, access: Access) -> AccessTemplateDraft:
    """The template that applies: the access's own (individual) or its offer's."""
    if access.template is not None:
        return _draft_of(access.template)
    offer = session.get(Offer, access.offer_id)
    return _draft_of(offer.template if offer is not None else {})


def _pauses(access: Access) -> list[Pause]:
    out = []
    for p in access.pauses or ():
        start = _aware(p.get("from"))
        if start is not None:
            out.append(Pause(start, _aware(p.get("to"))))
    return out


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


@dataclass
class _Facts:
    """What the engine needs of an access, read once (the editor's cache holds it)."""

    access_id: int
    version: int
    start: datetime
    ends_at: datetime | None
    pauses: list[Pause]
    accepted: frozenset[str]
    units: list[Unit]
    zone: Any


def _facts(session: Session, access: Access, units: list[Unit] | None = None) -> _Facts:
    return _Facts(access.id, access.row_version, _aware(access.starts_at),
                  _aware(access.ends_at), _pauses(access), frozenset(access.accepted or ()),
                  units if units is not None else product_lessons(session, access.product_id),
                  account_zone(session))


def _lesson_row(values: dict[str, Any]) -> LessonRow:
    """A LessonRow from values the engine produced (every field, already of its type)."""
    return _fast(LessonRow, _LESSON_FIELDS, values)


def _evaluate(f: _Facts, draft: AccessTemplateDraft, at: datetime, *,
              ends_at: datetime | None = None, rows: bool = True
              ) -> tuple[list[LessonRow], int, int]:
    """Every lesson's row at `at` under `draft` (SPEC §4.1), and (open, in tariff). Rule 2
    is the access's end (`ends_at`, default the stored one); automatic review accepts a
    checkpoint's practice once the lesson opens."""
    end = f.ends_at if ends_at is None else ends_at
    ended = end is not None and at >= end
    out: list[LessonRow] = []
    opened = in_tariff = 0
    bundle = len(f.units) > 1
    for unit in f.units:
        template = _engine_template(draft, unit)
        accepted = [unit.positions[k] for k in f.accepted if k in unit.positions]
        if draft.checkpoints and draft.review == "automatic":
            free = lesson_states(unit.specs, template.model_copy(update={"checkpoints": False}),
                                 f.start, at=at, pauses=f.pauses, tz=f.zone)
            accepted += [s.position for s in free.lessons
                         if s.state == "open" and unit.meta[s.position - 1][3]]
        preview = lesson_states(unit.specs, template, f.start, at=at, pauses=f.pauses,
                                accepted=accepted, tz=f.zone)
        accepted_set = set(accepted)
        for s in preview.lessons:
            state, opens = s.state, s.opens_at
            if state != "not_in_tariff":
                in_tariff += 1
                if ended:
                    state, opens = "ended", None
                elif state == "open":
                    opened += 1
            if rows:
                title, module, practice, checkpoint = unit.meta[s.position - 1]
                out.append(_lesson_row({
                    "position": s.position, "key": unit.keys[s.position - 1], "title": title,
                    "module": module, "product": unit.product if bundle else "",
                    "practice": practice, "checkpoint": checkpoint, "state": state,
                    "opens_at": opens, "accepted": s.position in accepted_set}))
    return out, opened, in_tariff


def _planned_pause(access: Access, at: datetime) -> dict[str, Any] | None:
    for p in access.pauses or ():
        start = _aware(p.get("from"))
        if start is not None and start > at:
            return p
    return None


BATCH = 500  # ids per IN (…) when gathering the facts of many accesses


@dataclass
class Facts:
    """What an access's status depends on besides its own dates."""

    sub: Subscription | None = None
    overdue: bool = False
    locked: bool = False


def in_batches(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), BATCH):
        yield ids[i:i + BATCH]


def gather(session: Session, accesses: list[Access], at: datetime) -> dict[int, Facts]:
    """The facts of many accesses in a few queries (subscriptions, failed invoices, locks)."""
    sub_ids = sorted({a.subscription_id for a in accesses if a.subscription_id})
    contact_ids = sorted({a.contact_id for a in accesses})
    by_sub: dict[int, Subscription] = {}
    overdue: set[int] = set()
    for part in in_batches(sub_ids):
        by_sub.update((s.id, s) for s in session.scalars(
            select(Subscription).where(Subscription.id.in_(part))))
        overdue.update(session.scalars(
            select(Invoice.subscription_id).where(
                Invoice.subscription_id.in_(part), Invoice.failed_at.is_not(None),
                Invoice.failed_at <= at, Invoice.state != "credited",
                or_(Invoice.paid_at.is_(None), Invoice.paid_at > at)).distinct()))
    locked: set[int] = set()
    for part in in_batches(contact_ids):
        locked.update(session.scalars(select(Contact.id).where(
            Contact.id.in_(part), Contact.locked_at.is_not(None), Contact.locked_at <= at)))
    return {a.id: Facts(sub=by_sub.get(a.subscription_id) if a.subscription_id else None,
                        overdue=a.subscription_id in overdue,
                        locked=a.contact_id in locked) for a in accesses}


def sub_cancelled(sub: Subscription) -> bool:
    return sub.cancelled_at is not None or sub.expire_reason == "cancelled"


def status_with(access: Access, facts: Facts, at: datetime) -> str:
    """The access status at `at` with its facts (core/rules/accesses.py)."""
    sub = facts.sub
    sub_ends = sub.expires if sub is not None else None
    if sub is not None and sub_ends is None and sub.state in ("cancelled", "expired"):
        sub_ends = sub.updated_at
    return rules.status(at=at, ends_at=access.ends_at,
                        pending_cancellation_at=access.pending_cancellation_at,
                        cancelled_at=access.cancelled_at, deleted_at=access.deleted_at,
                        pauses=access.pauses or (), overdue=facts.overdue,
                        subscription_ends=sub_ends,
                        subscription_cancelled=sub is not None and sub_cancelled(sub))


def _state(access: Access, at: datetime, facts: Facts | None = None
           ) -> tuple[str, dict[str, Any]]:
    """The status at `at` (with the subscription, overdue and lock facts) and the facts the
    transition table takes."""
    if facts is None:
        facts = gather(object_session(access), [access], at)[access.id]
    return status_with(access, facts, at), action_facts(access, at)


def action_facts(access: Access, at: datetime) -> dict[str, bool]:
    """The facts the transition table takes besides the status: deleted (or replaced by a
    tariff switch), a pause planned to start later."""
    return {"deleted": access.deleted_at is not None or access.replaced_by_id is not None,
            "pause_planned": _planned_pause(access, at) is not None}


def _row(access: Access, product: Product, offer: Offer, moment: datetime,
         counts: tuple[int, int], cls: type = AccessRow, *, status_facts: Facts | None = None,
         **extra: Any):
    state, facts = _state(access, moment, status_facts)
    return cls(id=access.id, contact_id=access.contact_id, product_id=product.id,
               product=product.name, product_handle=product.handle, offer_id=offer.id,
               offer=offer.name, offer_handle=offer.handle, payment=offer.payment,
               status=state, starts_at=_aware(access.starts_at),
               ends_at=_aware(access.ends_at), open_lessons=counts[0],
               lessons_in_tariff=counts[1], individual=bool(access.individual),
               deleted=access.deleted_at is not None, subscription_id=access.subscription_id,
               order_id=access.order_id, version=access.row_version,
               allowed_actions=rules.allowed_actions(state, **facts), **extra)


def _moment(at: datetime | None) -> datetime:
    if at is None:
        return utcnow()
    if not isinstance(at, datetime):
        raise ValidationFailed({"at": _("Not a date and time.")})
    if at.tzinfo is None:
        raise ValidationFailed({"at": _("A moment needs a time zone offset.")})
    if not date_in_range(at):
        raise ValidationFailed({"at": date_range_message()})
    return at


def _local_moment(value: Any, zone: Any, name: str) -> datetime:
    """A moment from a form or the CLI: a date is its local midnight, a naive date-time
    local wall time in the account zone; out of range or not a moment names `name`."""
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, datetime.min.time())
    if not isinstance(value, datetime):
        raise ValidationFailed({name: _("Not a date and time.")})
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    if not date_in_range(value):
        raise ValidationFailed({name: date_range_message()})
    return value


def count_accesses(ctx: Any, contact_id: int, *, include_deleted: bool = False) -> int:
    """How many accesses the contact has (counted in SQL)."""
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = select(func.count()).select_from(Access).where(Access.contact_id == contact_id)
        if not include_deleted:
            q = q.where(Access.deleted_at.is_(None))
        return session.scalar(q) or 0


def list_accesses(ctx: Any, contact_id: int, *, at: datetime | None = None,
                  window: Window | None = None, include_deleted: bool = False
                  ) -> list[AccessRow]:
    """The contact's accesses, newest first (keyset on id: `window.after` = (id,)), each
    with its status at `at` and "open lessons today: 7 of 12" (a bundle: over its
    products). Deleted and replaced accesses only with `include_deleted`."""
    window = window or Window()
    at = _moment(at)
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = select(Access).where(Access.contact_id == contact_id)
        if not include_deleted:
            q = q.where(Access.deleted_at.is_(None))
        if window.after is not None:
            q = q.where(Access.id < window.after[0])
        rows = list(session.scalars(q.order_by(Access.id.desc()).limit(window.limit)))
        products = {p.id: p for p in session.scalars(
            select(Product).where(Product.id.in_({a.product_id for a in rows})))} if rows else {}
        offers = {o.id: o for o in session.scalars(
            select(Offer).where(Offer.id.in_({a.offer_id for a in rows})))} if rows else {}
        units: dict[int, list[Unit]] = {}
        status_facts = gather(session, rows, at)
        out = []
        for access in rows:
            if access.product_id not in units:
                units[access.product_id] = product_lessons(session, access.product_id)
            f = _facts(session, access, units[access.product_id])
            _lessons, opened, in_tariff = _evaluate(f, effective_template(session, access), at,
                                                    rows=False)
            out.append(_row(access, products[access.product_id], offers[access.offer_id], at,
                            (opened, in_tariff), status_facts=status_facts[access.id]))
        return out


def _detail(session: Session, access: Access, at: datetime,
            units: list[Unit] | None = None) -> AccessDetail:
    f = _facts(session, access, units)
    draft = effective_template(session, access)
    lessons, opened, in_tariff = _evaluate(f, draft, at)
    product = session.get(Product, access.product_id)
    offer = session.get(Offer, access.offer_id)
    return _row(access, product, offer, at, (opened, in_tariff), cls=AccessDetail,
                template=draft,
                pauses=[PauseOut(start=p.start, end=p.end) for p in f.pauses],
                accepted=sorted(access.accepted or ()), replaced_by_id=access.replaced_by_id,
                lessons=lessons, at=at)


def get_access(ctx: Any, access_id: int, *, at: datetime | None = None) -> AccessDetail:
    """One access with every lesson's state at `at` and the table's allowed actions."""
    at = _moment(at)
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        return _detail(session, _uow.load(session, KIND, access_id), at)


# == the order editor =======================================================================


@dataclass
class PreviewCache:
    """One editor session's facts: the lesson list, start, pauses, accepted lessons, zone —
    read once, so a keystroke's preview is the engine alone (≈1 ms for 300 lessons)."""

    facts: _Facts | None = None
    duration: Any = None  # the stored template's duration: a changed one moves the end


def validate_draft(draft: dict[str, Any] | AccessTemplateDraft,
                   units: Sequence[Unit] | None = None) -> AccessTemplateDraft:
    """The draft as a template, or ValidationFailed naming the field (an `only` key that is
    no lesson of the product, a first N beyond the lessons)."""
    if isinstance(draft, AccessTemplateDraft):
        value = draft
    else:
        if not isinstance(draft, dict):
            raise ValidationFailed({"template": _("Not an access template.")})
        value = _draft_of(draft)
    if units is not None:
        ol = value.open_lessons
        known = {k for u in units for k in u.keys}
        if isinstance(ol, OnlyKeys):
            unknown = [k for k in ol.only if k not in known]
            if unknown:
                raise ValidationFailed({"open_lessons": _(
                    "No lesson with key {key} in this product.").format(key=unknown[0])})
        if isinstance(ol, FirstKeys):
            n = max((len(u.keys) for u in units), default=0)
            if ol.first > n:
                raise ValidationFailed({"open_lessons": _(
                    "This product has {n} lessons; first {first} is more.").format(
                        n=n, first=ol.first)})
    return value


def _end_for(f: _Facts, duration: Any) -> tuple[datetime | None, datetime | None]:
    """(ends_at, held end) a duration gives the access: S + duration moved by its finished
    pauses; with a pause running from before that end, ends_at is None (held, SPEC §4.1
    rule 5) and the held end is what resuming moves."""
    if duration is None:
        return None, None
    template = AccessTemplate.model_construct(open_lessons="all", release="none",
                                              checkpoints=False, review="none",
                                              duration=duration)
    closed = [p for p in f.pauses if p.end is not None]
    end = lesson_states((), template, f.start, at=f.start, pauses=closed, tz=f.zone).end
    running = next((p for p in f.pauses if p.end is None), None)
    if end is not None and running is not None and end >= running.start:
        return None, end
    return (end.astimezone(UTC) if end else None), None


def preview_template(ctx: Any, access_id: int, draft: dict[str, Any] | AccessTemplateDraft,
                     *, at: datetime | None = None, cache: PreviewCache | None = None
                     ) -> TemplatePreview:
    """The lesson preview of `draft` for this access at `at` (the order editor, per
    keystroke): every lesson's state and the date each scheduled one opens. With a `cache`
    the database is read once per editor session."""
    at = _moment(at)
    cache = cache if cache is not None else PreviewCache()
    f = cache.facts
    if f is None or f.access_id != access_id:
        with ctx.db.reading() as session:
            require(session, ctx, READ)
            access = _uow.load(session, KIND, access_id)
            f = _facts(session, access)
            cache.facts, cache.duration = f, effective_template(session, access).duration
    value = validate_draft(draft, f.units)
    duration = cache.duration
    ends_at = f.ends_at
    if value.duration != duration:
        ends_at, _held = _end_for(f, value.duration)
    lessons, opened, in_tariff = _evaluate(f, value, at, ends_at=ends_at)
    return TemplatePreview.model_construct(
        at=at, starts_at=f.start, ends_at=ends_at, open_lessons=opened,
        lessons_in_tariff=in_tariff, lessons=lessons)


def _load(session: Session, ctx: Any, access_id: int, expected_version: int | None, *,
          required: bool = False) -> Access:
    require(session, ctx, WRITE)
    return _uow.load_for_write(session, KIND, access_id, expected_version, lock=True,
                               required=required)


def _guard(action: str, access: Access, at: datetime) -> None:
    state, facts = _state(access, at)
    rules.TABLE.check(action, state, **facts)


def update_template(ctx: Any, access_id: int, draft: dict[str, Any] | AccessTemplateDraft, *,
                    expected_version: int, at: datetime | None = None,
                    now: datetime | None = None) -> AccessDetail:
    """Save the order editor: the access becomes individual (later offer edits no longer
    reach it) with `draft` as its template; a changed duration moves its end. The expected
    version is mandatory (Conflict naming who changed it)."""
    now = _moment(now or at)
    at = _moment(at or now)
    with ctx.db.transaction() as session:
        access = _load(session, ctx, access_id, expected_version, required=True)
        _guard("edit", access, at)
        f = _facts(session, access)
        value = validate_draft(draft, f.units)
        old = effective_template(session, access)
        before = snapshot(access)
        access.template = value.to_json()
        access.individual = True
        if value.duration != old.duration:
            ends_at, held = _end_for(f, value.duration)
            access.ends_at = ends_at
            if held is not None:
                _set_held_end(access, held)
        _uow.save(session, ctx, KIND, access, "edit", before, snapshot(access), now=now)
        return _detail(session, access, at, f.units)


def _set_held_end(access: Access, end: datetime | None) -> None:
    pauses = [dict(p) for p in access.pauses or ()]
    for p in pauses:
        if p.get("to") is None:
            p["end_before"] = _iso(end)
    access.pauses = pauses


# == switch tariff ==========================================================================


def _offer_by_handle(session: Session, handle: str) -> Offer:
    if not isinstance(handle, str) or not handle.strip():
        raise ValidationFailed({"offer": _("Choose an offer.")})
    offer = session.scalar(select(Offer).where(Offer.handle == handle.strip()))
    if offer is None:
        raise ValidationFailed({"offer": _("No offer with handle {handle}.").format(
            handle=handle)})
    return offer


def _invoice_preview(inv: Any) -> InvoicePreview:
    return InvoicePreview(issued=inv.issued, period_start=inv.period_start,
                          period_end=inv.period_end, amount=inv.amount,
                          vat_amount=inv.vat_amount, currency=inv.currency,
                          lines=[InvoicePreviewLine(kind=line.kind, text=line.text,
                                                    amount=line.gross) for line in inv.lines])


def switch_offers(ctx: Any, access_id: int) -> list[OfferChoice]:
    """The offers an access can switch to: the other live offers of its product, by name."""
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        access = _uow.load(session, KIND, access_id)
        rows = session.scalars(select(Offer).where(
            Offer.product_id == access.product_id, Offer.id != access.offer_id,
            Offer.archived_at.is_(None)).order_by(Offer.sort_key, Offer.id).limit(200))
        return [OfferChoice(handle=o.handle, name=o.name, payment=o.payment, price=o.price,
                            currency=o.currency, plan_handle=o.plan_handle) for o in rows]


class _RollBack(Exception):
    def __init__(self, result: Any):
        self.result = result


def _switch(session: Session, ctx: Any, access_id: int, offer_handle: str, *,
            starts_at: datetime | None, at: datetime, now: datetime,
            expected_version: int | None) -> dict[str, Any]:
    """The one switch-tariff code path (saved or rolled back by the preview)."""
    old = _load(session, ctx, access_id, expected_version)
    _guard("switch", old, at)
    offer = _offer_by_handle(session, offer_handle)
    if offer.product_id != old.product_id:
        raise ValidationFailed({"offer": _(
            "Offer {handle} is for another product; switch tariff keeps the product (add the "
            "other product instead).").format(handle=offer.handle)})
    if offer.id == old.offer_id:
        raise ValidationFailed({"offer": _("The access is already on offer {handle}.").format(
            handle=offer.handle)})
    if offer.archived_at is not None:
        raise ValidationFailed({"offer": _("Offer {handle} is archived.").format(
            handle=offer.handle)})
    if starts_at is not None:
        starts_at = _local_moment(starts_at, account_zone(session), "start")
    old_offer = session.get(Offer, old.offer_id)
    units = product_lessons(session, old.product_id)
    before_facts = _facts(session, old, units)
    before_rows, *before_counts = _evaluate(before_facts, effective_template(session, old), at)

    # Billing, through the subscriptions service (its guards and audit).
    billing, sub_id, invoices, currency = "none", None, [], ""
    live = (old.subscription_id is not None
            and subscriptions.live_subscription(session, old.subscription_id, at))
    recurring = offer.payment in RECURRING and bool(offer.plan_handle)
    if live and recurring and offer.plan_handle != (old_offer.plan_handle if old_offer else None):
        change = subscriptions.change_plan_in(session, ctx, old.subscription_id,
                                              plan=offer.plan_handle, at=at, now=now)
        billing, sub_id, currency = "change", old.subscription_id, change.currency
        invoices = [_invoice_preview(change.invoice)] if change.invoice else []
    elif live and recurring:
        sub_id = old.subscription_id  # the same plan bills on
    elif live:
        cancelled = subscriptions.cancel_in_transaction(session, ctx, old.subscription_id,
                                                        at=at, now=now)
        # already pending cancellation: it ends by itself, nothing more is billed
        billing, sub_id = ("cancel" if cancelled else "none"), None
    elif recurring:
        created = subscriptions.create_in(session, ctx, {
            "contact_id": old.contact_id, "plan": offer.plan_handle, "start": at}, now=now)
        billing, sub_id, currency = "create", created.id, created.currency
        invoices = [_invoice_preview(i) for i in created.invoices]

    # The new access in (progress kept), the old one out — one transaction.
    start = starts_at or _aware(old.starts_at)
    keep = starts_at is None
    new = Access(contact_id=old.contact_id, product_id=old.product_id, offer_id=offer.id,
                 order_id=old.order_id, subscription_id=sub_id, group_id=old.group_id,
                 starts_at=start, ends_at=None, template=None, individual=False,
                 pauses=[dict(p) for p in old.pauses or ()] if keep else [],
                 accepted=list(old.accepted or ()), status="active")
    new_draft = _draft_of(offer.template)
    nf = _Facts(0, 0, start, None, _pauses(new), frozenset(new.accepted), units,
                before_facts.zone)
    ends_at, held = _end_for(nf, new_draft.duration)
    new.ends_at = ends_at
    if held is not None:
        _set_held_end(new, held)
    session.add(new)
    _uow.save(session, ctx, KIND, new, "create", None, snapshot(new), now=now,
              extra={"switched_from": old.id})
    before = snapshot(old)
    old.deleted_at = at
    old.replaced_by_id = new.id
    old.end_reason = "switched"
    old.status = "cancelled"
    _uow.save(session, ctx, KIND, old, "switch", before,
              {**snapshot(old), "replaced_by_id": new.id}, now=now,
              extra={"offer": offer.handle, "billing": billing})
    nf.ends_at = _aware(new.ends_at)
    after_rows, *after_counts = _evaluate(nf, new_draft, at)
    changes = [LessonChange(key=b.key, title=b.title, before=b.state, after=a.state,
                            opens_before=b.opens_at, opens_after=a.opens_at)
               for b, a in zip(before_rows, after_rows, strict=True)
               if (b.state, b.opens_at) != (a.state, a.opens_at)]
    return {"old": old, "new": new, "old_offer": old_offer, "offer": offer,
            "billing": billing, "sub_id": sub_id, "invoices": invoices, "currency": currency,
            "before": tuple(before_counts), "after": tuple(after_counts), "changes": changes,
            "units": units}


def preview_switch(ctx: Any, access_id: int, offer_handle: str, *,
                   starts_at: datetime | None = None, at: datetime | None = None,
                   now: datetime | None = None) -> SwitchPreview:
    """What `switch_tariff` would do — the same code, rolled back: the lessons that change,
    and what is billed (the old subscription's cancellation with its last invoices, the
    plan change's credit or charge, or the new subscription's first invoices)."""
    at = _moment(at or now)
    now = _moment(now or at)
    cancellation = None
    try:
        with ctx.db.transaction() as session:
            r = _switch(session, ctx, access_id, offer_handle, starts_at=starts_at, at=at,
                        now=now, expected_version=None)
            raise _RollBack(r | {"old_sub": r["old"].subscription_id,
                                 "old_offer_name": r["old_offer"].name,
                                 "old_offer_handle": r["old_offer"].handle,
                                 "new_name": r["offer"].name,
                                 "new_handle": r["offer"].handle,
                                 "starts_at": _aware(r["new"].starts_at),
                                 "ends_at": _aware(r["new"].ends_at)})
    except _RollBack as done:
        r = done.result
    if r["billing"] == "cancel":
        try:
            cancellation = subscriptions.preview_cancellation(ctx, r["old_sub"], at=at)
        except ValidationFailed:  # the table refuses a second look: the preview says less
            cancellation = None
    return SwitchPreview(
        access_id=access_id, offer=r["old_offer_name"], offer_handle=r["old_offer_handle"],
        new_offer=r["new_name"], new_offer_handle=r["new_handle"],
        starts_at=r["starts_at"], ends_at=r["ends_at"], billing=r["billing"],
        subscription_id=r["sub_id"], cancellation=cancellation, invoices=r["invoices"],
        currency=r["currency"] or (cancellation.invoices[0].currency
                                   if cancellation and cancellation.invoices else ""),
        lessons_before=r["before"], lessons_after=r["after"], changes=r["changes"])


def switch_tariff(ctx: Any, access_id: int, offer_handle: str, *,
                  starts_at: datetime | None = None, at: datetime | None = None,
                  expected_version: int | None = None, now: datetime | None = None
                  ) -> SwitchResult:
    """One atomic action: a new access under another offer of the same product in, the old
    one out (deleted, `replaced_by_id`), progress kept (accepted lessons; the start and the
    pauses unless `starts_at` is chosen). A recurring old offer's subscription is changed
    to the new plan (or cancelled for a one-time offer); a recurring new offer without one
    creates it. Any failure leaves the old access as it was: never two accesses, never none."""
    at = _moment(at or now)
    now = _moment(now or at)
    with ctx.db.transaction() as session:
        r = _switch(session, ctx, access_id, offer_handle, starts_at=starts_at, at=at, now=now,
                    expected_version=expected_version)
        old, new = r["old"], r["new"]
        product = session.get(Product, old.product_id)
        old_row = _row(old, product, r["old_offer"], at, (0, 0))
        return SwitchResult(old=old_row, new=_detail(session, new, at, r["units"]),
                            billing=r["billing"], subscription_id=r["sub_id"])


# == delete, extend, pause, resume, accept ==================================================


def delete_access(ctx: Any, access_id: int, *, at: datetime | None = None,
                  expected_version: int | None = None, now: datetime | None = None
                  ) -> AccessRow:
    """The seed's second step of a tariff change: the access is deleted at `at` (kept for
    history, never shown as live); a live subscription behind it is cancelled (its own
    rules decide when it ends). Audited as `delete`."""
    at = _moment(at or now)
    now = _moment(now or at)
    with ctx.db.transaction() as session:
        access = _load(session, ctx, access_id, expected_version)
        _guard("delete", access, at)
        before = snapshot(access)
        cancelled = False
        if access.subscription_id is not None and subscriptions.live_subscription(
                session, access.subscription_id, at):
            shared = session.scalar(select(func.count()).select_from(Access).where(
                Access.subscription_id == access.subscription_id, Access.id != access.id,
                Access.deleted_at.is_(None)))
            if not shared:
                cancelled = subscriptions.cancel_in_transaction(
                    session, ctx, access.subscription_id, at=at, now=now)
        access.deleted_at = at
        access.end_reason = "deleted"
        access.status = "cancelled"
        _uow.save(session, ctx, KIND, access, "delete", before, snapshot(access), now=now,
                  extra={"subscription_cancelled": cancelled})
        return _row(access, session.get(Product, access.product_id),
                    session.get(Offer, access.offer_id), at, (0, 0))


def _open_pause(access: Access) -> dict[str, Any] | None:
    return next((p for p in access.pauses or () if p.get("to") is None), None)


def parse_span(text: str) -> tuple[int, str]:
    """"14d" → (14, "days"), "2m" → (2, "months"); ValueError with a message."""
    value = (text or "").strip().lower()
    unit = {"d": "days", "m": "months"}.get(value[-1:]) if value else None
    number = value[:-1]
    if unit is None or not number.isascii() or not number.isdigit():
        raise ValueError(_("Give a number of days or months, such as 14d or 2m."))
    n = int(number)
    limit = 100 * 366 if unit == "days" else 1200
    if not 1 <= n <= limit:
        raise ValueError(_("Extend by 1 to {n} days or months.").format(n=limit))
    return n, unit


def extend_access(ctx: Any, access_id: int, *, by: str | tuple[int, str] | None = None,
                  to: date | datetime | None = None, at: datetime | None = None,
                  expected_version: int | None = None, now: datetime | None = None
                  ) -> AccessDetail:
    """Move the end later: by N days or months from the current end ("14d", "2m": same local
    time of day, month ends clamped) or to a date (the current end's local time of day on
    that date) or a moment. An unlimited access has no end to extend. Audited as `extend`."""
    at = _moment(at or now)
    now = _moment(now or at)
    if (by is None) == (to is None):
        raise ValidationFailed({"by": _("Give either a span (14d, 2m) or a date to extend "
                                        "to.")})
    if isinstance(by, str):
        try:
            by = parse_span(by)
        except ValueError as exc:
            raise ValidationFailed({"by": str(exc)}) from None
    with ctx.db.transaction() as session:
        access = _load(session, ctx, access_id, expected_version)
        _guard("extend", access, at)
        zone = account_zone(session)
        held = _open_pause(access)
        current = _aware(access.ends_at)
        if current is None and held is not None:
            current = _aware(held.get("end_before"))
        if current is None:
            raise ValidationFailed({"by" if by else "to": _(
                "This access is unlimited; there is no end to extend.")})
        try:
            if by is not None:
                n, unit = by
                end = move_later(current, zone, **{unit: n})
            elif isinstance(to, datetime):
                end = to if to.tzinfo else to.replace(tzinfo=zone)
            elif isinstance(to, date):
                if not date_in_range(to):
                    raise ValidationFailed({"to": date_range_message()})
                local = current.astimezone(zone)
                end = datetime.combine(to, local.time().replace(tzinfo=None), tzinfo=zone)
            else:
                raise ValidationFailed({"to": _("Not a date.")})
        except LessonRangeError:
            raise ValidationFailed({"by": date_range_message()}) from None
        if not date_in_range(end):
            raise ValidationFailed({"to" if to else "by": date_range_message()})
        if end <= current:
            raise ValidationFailed({"to": _(
                "{date} is not after the current end {end}; extending moves the end later."
            ).format(date=end.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                     end=current.astimezone(zone).strftime("%Y-%m-%d %H:%M"))})
        before = snapshot(access)
        if access.ends_at is None and held is not None:
            _set_held_end(access, end)
        else:
            access.ends_at = end.astimezone(UTC)
        if access.status == "expired" and status_of(access, at) != "expired":
            access.status = status_of(access, at)
        _uow.save(session, ctx, KIND, access, "extend", before, snapshot(access), now=now)
        return _detail(session, access, at)


def _moved_end(end_before: datetime | None, start: datetime, stop: datetime | None,
               zone: Any) -> datetime | None:
    """The end after a pause from `start` to `stop` (rule 5): later by k days when it lies at
    or after the pause start; None while the pause runs (held)."""
    if end_before is None or end_before < start:
        return end_before
    if stop is None:
        return None
    return move_later(end_before, zone, days=pause_days(start, stop)).astimezone(UTC)


def pause_access(ctx: Any, access_id: int, *, start: datetime | None = None,
                 end: datetime | None = None, at: datetime | None = None,
                 expected_version: int | None = None, now: datetime | None = None
                 ) -> AccessDetail:
    """Pause from `start` (default `at`), with a planned end or until resumed. SPEC §4.1
    rule 5: lessons not yet open and the end move later by whole days (k = ⌈pause / 1 day⌉);
    while a pause has no end the end is held. A pause changes no invoice (a subscription's
    own hold is a separate action). Audited as `pause`."""
    at = _moment(at or now)
    now = _moment(now or at)
    with ctx.db.transaction() as session:
        zone = account_zone(session)
        start = _local_moment(start, zone, "from") if start is not None else at
        end = _local_moment(end, zone, "to") if end is not None else None
        if end is not None and end <= start:
            raise ValidationFailed({"to": _("The pause must end after it starts.")})
        access = _load(session, ctx, access_id, expected_version)
        _guard("pause", access, max(at, start))
        planned = _planned_pause(access, at)
        if planned is not None:
            raise ValidationFailed({"from": _("A pause is already planned from {at}; resume "
                                              "cancels it.").format(at=planned.get("from"))})
        last_end = max((_aware(p.get("to")) for p in access.pauses or () if p.get("to")),
                       default=None)
        if last_end is not None and start < last_end:
            raise ValidationFailed({"from": _("A pause cannot start before the previous one "
                                              "ended.")})
        if start < _aware(access.starts_at):
            raise ValidationFailed({"from": _("A pause cannot start before the access.")})
        before = snapshot(access)
        end_before = _aware(access.ends_at)
        access.pauses = [*[dict(p) for p in access.pauses or ()],
                         {"from": _iso(start), "to": _iso(end), "end_before": _iso(end_before)}]
        if end_before is not None and end_before >= start:
            access.ends_at = _moved_end(end_before, start, end, zone)
        access.status = status_of(access, at)
        _uow.save(session, ctx, KIND, access, "pause", before, snapshot(access), now=now)
        return _detail(session, access, at)


def resume_access(ctx: Any, access_id: int, *, at: datetime | None = None,
                  expected_version: int | None = None, now: datetime | None = None
                  ) -> AccessDetail:
    """End the running pause at `at` (its planned end, if any, is brought forward), or
    cancel a pause planned for later. Lessons and the end move by the whole days paused."""
    at = _moment(at or now)
    now = _moment(now or at)
    with ctx.db.transaction() as session:
        access = _load(session, ctx, access_id, expected_version)
        _guard("resume", access, at)
        zone = account_zone(session)
        pauses = [dict(p) for p in access.pauses or ()]
        running = rules.running_pause(pauses, at)
        target = running if running is not None else _planned_pause(access, at)
        if target is None:
            raise ValidationFailed({"_": _("The access is not paused.")})
        i = next(i for i, p in enumerate(pauses) if p == target)
        p = pauses[i]
        start = _aware(p["from"])
        end_before = _aware(p.get("end_before"))
        if "end_before" not in p:  # a pause written without it: the end as it is
            end_before = _aware(access.ends_at)
        before = snapshot(access)
        if start >= at:  # not begun: nothing was paused
            del pauses[i]
            access.ends_at = end_before
        else:
            p["to"] = _iso(at)
            access.ends_at = _moved_end(end_before, start, at, zone)
        access.pauses = pauses
        access.status = status_of(access, at)
        _uow.save(session, ctx, KIND, access, "resume", before, snapshot(access), now=now)
        return _detail(session, access, at)


def accept_practice(ctx: Any, access_id: int, lesson_key: str, *, at: datetime | None = None,
                    expected_version: int | None = None, now: datetime | None = None
                    ) -> AccessDetail:
    """The curator accepts a lesson's practice (review method `curator`; `automatic`
    accepts by itself once the lesson opens). A checkpoint accepted unblocks what follows.
    Audited as `accept`."""
    at = _moment(at or now)
    now = _moment(now or at)
    with ctx.db.transaction() as session:
        access = _load(session, ctx, access_id, expected_version)
        _guard("accept", access, at)
        units = product_lessons(session, access.product_id)
        key = (lesson_key or "").strip()
        found = next(((u, u.positions[key]) for u in units if key in u.positions), None)
        if found is None:
            raise ValidationFailed({"lesson": _("No lesson with key {key} in this product.")
                                    .format(key=lesson_key)})
        unit, pos = found
        _title, _module, practice, checkpoint = unit.meta[pos - 1]
        review = effective_template(session, access).review
        if review == "automatic":
            raise ValidationFailed({"lesson": _("Review is automatic: a practice is accepted "
                                                "once its lesson opens.")})
        if review != "curator":
            raise ValidationFailed({"lesson": _("This access has no practice review.")})
        if not (practice or checkpoint):
            raise ValidationFailed({"lesson": _("Lesson {key} has no practice to accept.")
                                    .format(key=key)})
        if key in (access.accepted or ()):
            raise ValidationFailed({"lesson": _("The practice of lesson {key} is already "
                                                "accepted.").format(key=key)})
        before = snapshot(access)
        access.accepted = [*list(access.accepted or ()), key]
        _uow.save(session, ctx, KIND, access, "accept", before, snapshot(access), now=now,
                  extra={"lesson": key})
        return _detail(session, access, at, units)



__all__ = ["KIND", "WRITE", "PreviewCache", "Unit", "accept_practice", "count_accesses",
           "delete_access", "effective_template", "end_for_order", "extend_access",
           "get_access", "grant", "list_accesses", "parse_span", "pause_access",
           "preview_switch", "preview_template", "product_lessons", "resume_access",
           "snapshot", "status_of", "switch_offers", "switch_tariff", "template_end",
           "update_template", "validate_draft"]
