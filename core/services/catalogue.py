"""The catalogue (SPEC §3): products with ordered lessons, bundles, offers and their templates.

Admins edit (`catalogue.write`), agents and viewers read. Every edit names the version it
showed (Conflict otherwise) and writes one audit record with the fields that changed; an edit
that changes nothing writes nothing (no audit, no version bump), which makes `export → import`
a no-op. A referenced product or offer is archived instead of deleted.

Lessons have a stable `key`; positions are their order. Offers store their template's `only`
set as lesson keys (`{"only_keys": [...]}`) and show it as positions (`{"only": [...]}`), so
reordering never shifts what an offer opens. Other services compute lesson states with
`offer_template(session, offer)` (or `product_lessons` + `template_from_stored` for an
access's individual template).

Lists are windowed by keyset on (sort_key, id) with counts in SQL; the catalogue is small
(500 products of up to 300 lessons, thousands of offers), so a name/handle fragment is a
LIKE over the sort index (docs/catalogue.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, func, or_, select, tuple_
from sqlalchemy.orm import Session

from core.errors import ValidationFailed
from core.i18n import _
from core.limits import fold, search_input
from core.models import Access, BundleItem, Lesson, Offer, OrderLine, Plan, Product, utcnow
from core.money import MINOR_UNITS
from core.rules import catalogue as rules
from core.schemas.access_template import AccessTemplate, LessonSpec, OnlyLessons
from core.schemas.catalogue import (
    GroupSeats,
    ImportReport,
    LessonInput,
    OfferInput,
    OfferRow,
    ProductInput,
    ProductRow,
    Removed,
    check_group,
    parse_template,
    vat_bp,
    vat_text,
)
from core.schemas.catalogue import Lesson as LessonOut
from core.schemas.catalogue import Offer as OfferOut
from core.schemas.catalogue import Product as ProductOut
from core.schemas.common import Window
from core.services import _uow, audit
from core.services.context import PERMISSIONS, READ, ServiceContext, current_role, require

WRITE = "catalogue.write"
LESSON_FIELDS = ("title", "module", "delay_days", "open_on", "checkpoint", "practice")
OFFER_COLUMNS = ("name", "product_id", "payment", "price", "currency", "vat_bp", "plan_handle",
                 "template", "group_min_seats", "group_max_seats")


def _by_handle(model):
    def lookup(session: Session, handle: Any, lock: bool):
        q = select(model).where(model.handle == str(handle))
        if lock:
            q = q.with_for_update()
        return session.scalar(q.execution_options(populate_existing=True))
    return lookup


PRODUCT = _uow.Kind(
    model=Product, entity="product", lookup=_by_handle(Product),
    not_found=lambda h: _("No product with handle {handle}.").format(handle=h),
    changed=lambda by, at: _("This product was changed by {by} at {at} — reload to see their "
                             "change.").format(by=by, at=at),
    meanwhile=lambda: _("This product was changed by someone else meanwhile — reload."))
OFFER = _uow.Kind(
    model=Offer, entity="offer", lookup=_by_handle(Offer),
    not_found=lambda h: _("No offer with handle {handle}.").format(handle=h),
    changed=lambda by, at: _("This offer was changed by {by} at {at} — reload to see their "
                             "change.").format(by=by, at=at),
    meanwhile=lambda: _("This offer was changed by someone else meanwhile — reload."))


# -- templates: keys in the database, positions in documents ---------------------------------


def template_to_stored(template: AccessTemplate, keys: list[str]) -> dict[str, Any]:
    """The stored form of a template (positions → lesson keys of `keys`, the lesson order)."""
    doc = template.to_json()
    ol = template.open_lessons
    if isinstance(ol, OnlyLessons):
        doc["open_lessons"] = {"only_keys": [keys[p - 1] for p in ol.only if p <= len(keys)]}
    return doc


def template_to_document(stored: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """The document form of a stored template: `only_keys` as positions in today's order
    (a key whose lesson is gone is dropped)."""
    doc = dict(stored or {})
    ol = doc.get("open_lessons")
    if isinstance(ol, dict) and "only_keys" in ol:
        where = {k: i + 1 for i, k in enumerate(keys)}
        doc["open_lessons"] = {"only": sorted(where[k] for k in ol["only_keys"] if k in where)}
    return doc


def template_from_stored(stored: dict[str, Any] | None, keys: list[str]) -> AccessTemplate:
    """The engine's template (positions) of a stored one (an offer's, or an access's own)."""
    return AccessTemplate.model_validate(template_to_document(stored or {}, keys))


def product_lessons(session: Session, product_id: int) -> tuple[list[LessonSpec], list[str]]:
    """A product's lessons in order, as the lesson engine needs them, and their keys."""
    rows = session.execute(
        select(Lesson.key, Lesson.title, Lesson.delay_days, Lesson.open_on, Lesson.checkpoint)
        .where(Lesson.product_id == product_id).order_by(Lesson.position)).all()
    specs = [LessonSpec.model_construct(title=r.title, delay_days=r.delay_days,
                                        open_on=r.open_on, checkpoint=r.checkpoint)
             for r in rows]
    return specs, [r.key for r in rows]


def offer_template(session: Session, offer: Offer, product_id: int | None = None
                   ) -> tuple[AccessTemplate, list[LessonSpec], list[str]]:
    """(template with positions, lessons in order, their keys) for `offer`, ready for
    `core.lessons.lesson_states`. For a bundle offer pass one of the bundle's products as
    `product_id`: its lessons under the bundle offer's template (a bundle has none itself)."""
    specs, keys = product_lessons(session, product_id or offer.product_id)
    return template_from_stored(offer.template, keys), specs, keys


def bundle_products(session: Session, product_id: int) -> list[int]:
    """Every product an access to `product_id` protects: itself, or, for a bundle, the
    products it is made of (nested bundles unfolded, each once)."""
    out: list[int] = []
    seen: set[int] = set()
    stack = [product_id]
    while stack:
        pid = stack.pop(0)
        if pid in seen:
            continue
        seen.add(pid)
        items = list(session.scalars(select(BundleItem.product_id)
                                     .where(BundleItem.bundle_id == pid)
                                     .order_by(BundleItem.position)))
        if items:
            stack[:0] = items
        else:
            out.append(pid)
    return out


def next_lesson_key(keys: Iterable[str]) -> str:
    """A key for a new lesson: one more than the largest numeric key (never reused)."""
    keys = set(keys)
    numbers = [int(k) for k in keys if k.isascii() and k.isdigit() and len(k) < 10]
    n = max([len(keys), *numbers], default=0) + 1
    while str(n) in keys:
        n += 1
    return str(n)


# -- reading --------------------------------------------------------------------------------


def _login(actor: ServiceContext | str) -> str:
    return actor if isinstance(actor, str) else actor.operator


def _may_edit(session: Session, ctx: ServiceContext) -> bool:
    return WRITE in PERMISSIONS.get(current_role(session, ctx.operator), frozenset())


def _state(row) -> str:
    return "archived" if row.archived_at is not None else "active"


def _lessons(session: Session, product_id: int) -> list[Lesson]:
    return list(session.scalars(select(Lesson).where(Lesson.product_id == product_id)
                                .order_by(Lesson.position)))


def _bundle_of(session: Session, product_id: int) -> list[str]:
    return list(session.scalars(
        select(Product.handle).join(BundleItem, BundleItem.product_id == Product.id)
        .where(BundleItem.bundle_id == product_id).order_by(BundleItem.position)))


def _lesson_doc(lesson) -> dict[str, Any]:
    return {"key": lesson.key, "title": lesson.title, "module": lesson.module,
            "delay_days": lesson.delay_days,
            "open_on": lesson.open_on.isoformat() if lesson.open_on else None,
            "checkpoint": bool(lesson.checkpoint), "practice": bool(lesson.practice)}


def _product_doc(session: Session, p: Product) -> dict[str, Any]:
    """The document form (export, audit snapshot, the no-change comparison)."""
    rows = session.execute(select(Lesson.key, *[getattr(Lesson, f) for f in LESSON_FIELDS])
                           .where(Lesson.product_id == p.id).order_by(Lesson.position))
    return {"handle": p.handle, "name": p.name, "kind": p.kind, "description": p.description,
            "bundle_of": _bundle_of(session, p.id) if p.is_bundle else [],
            "lessons": [_lesson_doc(x) for x in rows]}


def _product_out(session: Session, ctx: ServiceContext, p: Product) -> ProductOut:
    lessons = _lessons(session, p.id)
    offers = session.scalar(select(func.count()).select_from(Offer)
                            .where(Offer.product_id == p.id, Offer.archived_at.is_(None)))
    return ProductOut(
        id=p.id, handle=p.handle, name=p.name, kind=p.kind, description=p.description,
        is_bundle=p.is_bundle, bundle_of=_bundle_of(session, p.id),
        lessons=[LessonOut(key=x.key, position=x.position, title=x.title, module=x.module,
                           practice=x.practice, checkpoint=x.checkpoint,
                           delay_days=x.delay_days, open_on=x.open_on) for x in lessons],
        lesson_count=len(lessons), offer_count=int(offers or 0),
        archived=p.archived_at is not None, version=p.row_version, updated_at=p.updated_at,
        updated_by=p.updated_by,
        allowed_actions=rules.allowed_actions(_state(p), role_may_edit=_may_edit(session, ctx)))


def _group(o: Offer) -> GroupSeats | None:
    if o.group_min_seats is None:
        return None
    return GroupSeats(min_seats=o.group_min_seats, max_seats=o.group_max_seats)


def _offer_doc(o: Offer, product_handle: str, keys: list[str]) -> dict[str, Any]:
    group = _group(o)
    return {"handle": o.handle, "product": product_handle, "name": o.name,
            "payment": o.payment, "price": o.price, "currency": o.currency,
            "plan": o.plan_handle, "vat": vat_text(o.vat_bp),
            "template": template_to_document(o.template, keys),
            "group": group.model_dump() if group else None}


def _offer_out(session: Session, ctx: ServiceContext, o: Offer) -> OfferOut:
    product = session.get(Product, o.product_id)
    _specs, keys = product_lessons(session, o.product_id)
    doc = _offer_doc(o, product.handle, keys)
    return OfferOut(
        id=o.id, product_id=o.product_id, product_name=product.name,
        **{k: v for k, v in doc.items() if k != "group"}, group=_group(o),
        archived=o.archived_at is not None, version=o.row_version, updated_at=o.updated_at,
        updated_by=o.updated_by,
        allowed_actions=rules.allowed_actions(_state(o), role_may_edit=_may_edit(session, ctx)))


def get_product(ctx: ServiceContext, handle: str) -> ProductOut:
    """One product with its lessons in order (a course has at most a few hundred)."""
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        return _product_out(session, ctx, _uow.load(session, PRODUCT, handle))


def get_offer(ctx: ServiceContext, handle: str) -> OfferOut:
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        return _offer_out(session, ctx, _uow.load(session, OFFER, handle))


def catalogue_actions(ctx: ServiceContext) -> dict[str, str | None]:
    """What the operator may do to the catalogue as a whole ("new"): None or the reason."""
    with ctx.db.reading() as session:
        allowed = rules.allowed_actions("active", role_may_edit=_may_edit(session, ctx))
    return {"new": allowed["edit"]}


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _terms(query: str) -> list[str]:
    return fold(search_input(query or "")).split()


def _windowed(session: Session, q, cols, window: Window) -> tuple[list, bool]:
    """Apply `window` (keyset on `cols`, ascending) to `q`; the rows in display order."""
    key = tuple_(*cols)
    reverse = False
    if window.after is not None:
        q = q.where(key > tuple_(*window.after)).order_by(*cols)
    elif window.before is not None:
        q = q.where(key < tuple_(*window.before)).order_by(*[c.desc() for c in cols])
        reverse = True
    elif window.from_end:
        q = q.order_by(*[c.desc() for c in cols])
        reverse = True
    else:
        q = q.order_by(*cols).offset(window.offset or 0)
    rows = list(session.execute(q.limit(window.limit)))
    if reverse:
        rows.reverse()
    return rows, reverse


def _product_where(q, query: str, include_archived: bool):
    if not include_archived:
        q = q.where(Product.archived_at.is_(None))
    for t in _terms(query):
        q = q.where(or_(Product.sort_key.like(_like(t), escape="\\"),
                        func.lower(Product.handle).like(_like(t), escape="\\")))
    return q


def count_products(ctx: ServiceContext, query: str = "", *,
                   include_archived: bool = False) -> int:
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = _product_where(select(func.count()).select_from(Product), query, include_archived)
        return int(session.scalar(q) or 0)


def list_products(ctx: ServiceContext, query: str = "", window: Window | None = None, *,
                  include_archived: bool = False) -> list[ProductRow]:
    """Products whose name or handle contains every word of `query`, by name (keyset)."""
    window = window or Window()
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = _product_where(select(Product.id, Product.sort_key, Product.handle, Product.name,
                                  Product.kind, Product.is_bundle, Product.lesson_count,
                                  Product.archived_at), query, include_archived)
        rows, _rev = _windowed(session, q, (Product.sort_key, Product.id), window)
        return [ProductRow(id=r.id, key=(r.sort_key, r.id), handle=r.handle, name=r.name,
                           kind=r.kind, is_bundle=r.is_bundle, lesson_count=r.lesson_count,
                           archived=r.archived_at is not None) for r in rows]


def _offer_where(session: Session, q, query: str, product: str | None,
                 payment: str | None, include_archived: bool):
    if product:
        pid = session.scalar(select(Product.id).where(Product.handle == product))
        if pid is None:
            raise ValidationFailed({"product": _("No product with handle {handle}.").format(
                handle=product)})
        q = q.where(Offer.product_id == pid)
    if payment:
        if payment not in ("one_time", "subscription", "instalments"):
            raise ValidationFailed({"payment": _("Choose one of: {choices}.").format(
                choices="one_time, subscription, instalments")})
        q = q.where(Offer.payment == payment)
    if not include_archived:
        q = q.where(Offer.archived_at.is_(None))
    for t in _terms(query):
        q = q.where(or_(Offer.sort_key.like(_like(t), escape="\\"),
                        func.lower(Offer.handle).like(_like(t), escape="\\")))
    return q


def count_offers(ctx: ServiceContext, query: str = "", *, product: str | None = None,
                 payment: str | None = None, include_archived: bool = False) -> int:
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = _offer_where(session, select(func.count()).select_from(Offer), query, product,
                         payment, include_archived)
        return int(session.scalar(q) or 0)


def list_offers(ctx: ServiceContext, query: str = "", window: Window | None = None, *,
                product: str | None = None, payment: str | None = None,
                include_archived: bool = False) -> list[OfferRow]:
    """Offers by name (keyset), filtered by product handle and payment type; `query` matches
    a fragment of the offer's name or handle."""
    window = window or Window()
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = select(Offer.id, Offer.sort_key, Offer.handle, Offer.name, Offer.payment,
                   Offer.price, Offer.currency, Offer.plan_handle, Offer.archived_at,
                   Product.handle.label("product"), Product.name.label("product_name")
                   ).join(Product, Product.id == Offer.product_id)
        q = _offer_where(session, q, query, product, payment, include_archived)
        rows, _rev = _windowed(session, q, (Offer.sort_key, Offer.id), window)
        return [OfferRow(id=r.id, key=(r.sort_key, r.id), handle=r.handle, name=r.name,
                         product=r.product, product_name=r.product_name, payment=r.payment,
                         price=r.price, currency=r.currency, plan=r.plan_handle,
                         archived=r.archived_at is not None) for r in rows]


# -- validation -------------------------------------------------------------------------------


def _path(prefix: str, loc: tuple) -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "_"


def _pydantic_errors(exc: ValidationError, prefix: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors():
        where = _path(prefix, tuple(err["loc"]))
        if where in fields:
            continue
        kind = err["type"]
        if kind == "value_error":
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
        elif kind == "missing":
            msg = _("This field is required.")
        elif kind == "extra_forbidden":
            msg = _("Unknown field.")
        elif kind.startswith("string_too_long") or kind == "too_long":
            msg = _("Too long (at most {n}).").format(n=err.get("ctx", {}).get("max_length"))
        elif kind == "literal_error":
            msg = _("Choose one of: {choices}.").format(
                choices=err.get("ctx", {}).get("expected", ""))
        elif kind in ("greater_than_equal", "less_than_equal"):
            msg = _("Out of range ({lo}..{hi}).").format(
                lo=err.get("ctx", {}).get("ge", "…"), hi=err.get("ctx", {}).get("le", "…"))
        elif kind in ("int_type", "int_parsing", "int_from_float"):
            msg = _("A whole number is required.")
        elif kind == "bool_type":
            msg = _("true or false is required.")
        elif kind in ("string_type", "list_type", "dict_type", "model_type"):
            msg = _("Wrong type of value.")
        else:
            msg = _("Invalid value.")
        fields[where] = msg
    return fields


class _Parsed:
    """A product of the input with its lessons' keys settled."""

    def __init__(self, inp: ProductInput, keys: list[str]):
        self.inp, self.keys = inp, keys

    def doc(self) -> dict[str, Any]:
        return {"handle": self.inp.handle, "name": self.inp.name, "kind": self.inp.kind,
                "description": self.inp.description, "bundle_of": list(self.inp.bundle_of),
                "lessons": [_lesson_doc(_Keyed(k, x)) for k, x in zip(self.keys,
                                                                      self.inp.lessons,
                                                                      strict=True)]}


class _Keyed:
    def __init__(self, key: str, lesson: LessonInput):
        self.key = key
        for f in LESSON_FIELDS:
            setattr(self, f, getattr(lesson, f))


def parse_product(data: Any, prefix: str = "") -> _Parsed:
    """Validate one product of a document or form; ValidationFailed keyed by path
    (`lessons[0].delay_days`, with `prefix` such as `products[2].` in an import)."""
    if not isinstance(data, dict):
        raise ValidationFailed({prefix.rstrip(".") or "_": _("A product is an object.")})
    try:
        inp = ProductInput.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(_pydantic_errors(exc, prefix.rstrip("."))) from None
    errors: dict[str, str] = {}
    keys: list[str] = []
    seen: dict[str, int] = {}
    for i, lesson in enumerate(inp.lessons):
        key = lesson.key if lesson.key is not None else str(i + 1)
        if key in seen:
            errors[f"{prefix}lessons[{i}].key"] = _(
                "The key {key} is already lesson {n}'s.").format(key=key, n=seen[key] + 1)
        seen[key] = i
        keys.append(key)
    if inp.bundle_of and inp.lessons:
        errors[f"{prefix}lessons"] = _("A bundle has no lessons of its own: it gives access to "
                                       "the lessons of its products.")
    if inp.handle in inp.bundle_of:
        errors[f"{prefix}bundle_of"] = _("A bundle cannot contain itself.")
    if errors:
        raise ValidationFailed(errors)
    return _Parsed(inp, keys)


def _bundle_graph(session: Session) -> dict[str, list[str]]:
    graph: dict[str, list[str]] = {}
    b = Product.__table__.alias("b")
    rows = session.execute(
        select(b.c.handle, Product.handle).select_from(BundleItem)
        .join(b, b.c.id == BundleItem.bundle_id).join(Product, Product.id == BundleItem.product_id)
        .order_by(BundleItem.bundle_id, BundleItem.position))
    for bundle, item in rows:
        graph.setdefault(bundle, []).append(item)
    return graph


def _cycle(graph: dict[str, list[str]], start: str) -> list[str] | None:
    """A path start → … → start in `graph`, or None."""
    stack: list[tuple[str, list[str]]] = [(c, [start, c]) for c in graph.get(start, [])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        if node == start:
            return path
        if node in seen:
            continue
        seen.add(node)
        stack.extend((c, [*path, c]) for c in graph.get(node, []))
    return None


def _check_bundles(session: Session, parsed: list[tuple[str, _Parsed]],
                   known: set[str]) -> dict[str, str]:
    """Bundle references exist (in the database or the same document) and form no cycle."""
    errors: dict[str, str] = {}
    graph = _bundle_graph(session)
    for _prefix, p in parsed:
        graph[p.inp.handle] = list(p.inp.bundle_of)
    for prefix, p in parsed:
        missing = [h for h in p.inp.bundle_of if h not in known]
        if missing:
            errors[f"{prefix}bundle_of"] = _("No product with handle {handle}.").format(
                handle=missing[0])
            continue
        path = _cycle(graph, p.inp.handle)
        if path:
            errors[f"{prefix}bundle_of"] = _("A bundle cannot contain itself: {path}.").format(
                path=" → ".join(path))
    return errors


def _existing_handles(session: Session, model, handles: Iterable[str]) -> dict[str, Any]:
    handles = sorted(set(handles))
    out: dict[str, Any] = {}
    for start in range(0, len(handles), 500):
        chunk = handles[start:start + 500]
        for row in session.scalars(select(model).where(model.handle.in_(chunk))):
            out[row.handle] = row
    return out


def _removed_key_users(session: Session, product: Product, removed: set[str],
                       skip_offers: set[str] = frozenset()) -> str | None:
    """Why lessons `removed` may not go: an offer's or access's `only` set names one."""
    if not removed:
        return None
    for handle, template in session.execute(
            select(Offer.handle, Offer.template).where(Offer.product_id == product.id)):
        if handle in skip_offers:
            continue
        ol = (template or {}).get("open_lessons")
        if isinstance(ol, dict) and removed & set(ol.get("only_keys", ())):
            key = sorted(removed & set(ol["only_keys"]))[0]
            return _("Lesson {key} is one of the open lessons of offer {offer}; change the "
                     "offer first.").format(key=key, offer=handle)
    for aid, template in session.execute(
            select(Access.id, Access.template).where(Access.product_id == product.id,
                                                     Access.template.is_not(None))):
        ol = (template or {}).get("open_lessons")
        if isinstance(ol, dict) and removed & set(ol.get("only_keys", ())):
            key = sorted(removed & set(ol["only_keys"]))[0]
            return _("Lesson {key} is one of the open lessons of access {id}.").format(
                key=key, id=aid)
    return None


class _Ref:
    """What an offer needs to know of its product."""

    def __init__(self, pid: int | None, keys: list[str], is_bundle: bool, archived: bool):
        self.pid, self.keys, self.is_bundle, self.archived = pid, keys, is_bundle, archived


def _plan(session: Session, handle: str) -> Plan | None:
    return session.scalar(select(Plan).where(Plan.handle == handle)
                          .order_by(Plan.version.desc()).limit(1))


def parse_offer(data: Any, prefix: str = "") -> OfferInput:
    """The offer's own fields (no database): ValidationFailed keyed by path."""
    if not isinstance(data, dict):
        raise ValidationFailed({prefix.rstrip(".") or "_": _("An offer is an object.")})
    try:
        return OfferInput.model_validate(data)
    except ValidationError as exc:
        fields = _pydantic_errors(exc, prefix.rstrip("."))
        for k, v in _payment_rules(data, prefix).items():
            fields.setdefault(k, v)  # every mistake at once, not one round trip each
        raise ValidationFailed(fields) from None


def _payment_rules(data: dict[str, Any], prefix: str) -> dict[str, str]:
    """What the payment type asks of price and plan (also checked on the parsed offer)."""
    errors: dict[str, str] = {}
    if data.get("payment", "one_time") == "one_time":
        if data.get("price") is None:
            errors[f"{prefix}price"] = _("A one-time offer needs a price (minor units).")
        if data.get("plan"):
            errors[f"{prefix}plan"] = _("Only subscription and instalment offers refer to a "
                                        "plan.")
    elif data.get("payment") in ("subscription", "instalments"):
        if data.get("price") is not None:
            errors[f"{prefix}price"] = _("The plan decides the price of a recurring offer: "
                                         "leave the price out.")
        if not data.get("plan"):
            errors[f"{prefix}plan"] = _("A subscription or instalment offer needs a plan "
                                        "handle.")
    return errors


def _offer_columns(session: Session, inp: OfferInput, ref: _Ref | None, prefix: str,
                   default_currency: str, plans: dict[str, Plan | None]) -> dict[str, Any]:
    """The stored columns of a valid offer; ValidationFailed keyed by path otherwise."""
    errors: dict[str, str] = {}
    if ref is None:
        errors[f"{prefix}product"] = _("No product with handle {handle}.").format(
            handle=inp.product)
    elif ref.archived:
        errors[f"{prefix}product"] = _("The product {handle} is archived.").format(
            handle=inp.product)
    currency = (inp.currency or "").upper() or None
    if currency is not None and currency not in MINOR_UNITS:
        errors[f"{prefix}currency"] = _("Unknown currency {code} (ISO 4217, e.g. EUR).").format(
            code=inp.currency)
    plan_handle = None
    errors.update(_payment_rules(inp.model_dump(), prefix))
    if inp.payment == "one_time":
        currency = currency or default_currency
    else:
        if inp.plan:
            if inp.plan not in plans:
                plans[inp.plan] = _plan(session, inp.plan)
            plan = plans[inp.plan]
            if plan is None:
                errors[f"{prefix}plan"] = _("No plan with handle {handle}.").format(
                    handle=inp.plan)
            elif plan.state == "deleted":
                errors[f"{prefix}plan"] = _("The plan {handle} is deleted.").format(
                    handle=inp.plan)
            elif inp.payment == "instalments" and plan.fixed_count is None:
                errors[f"{prefix}plan"] = _(
                    "Instalments need a plan with a fixed number of billing cycles "
                    "(fixed_count); {handle} renews.").format(handle=inp.plan)
            else:
                plan_handle = plan.handle
                if currency is not None and currency != plan.currency:
                    errors[f"{prefix}currency"] = _(
                        "The plan {handle} bills in {code}.").format(handle=plan.handle,
                                                                     code=plan.currency)
                currency = plan.currency
    check_group(inp.group, errors, prefix)
    template = None
    try:
        t = parse_template(inp.template, len(ref.keys) if ref else None)
        if ref is not None and ref.is_bundle and isinstance(t.open_lessons, OnlyLessons):
            raise ValidationFailed({"template.open_lessons": _(
                "A bundle has no lessons of its own: choose all or the first N of each "
                "product.")})
        template = t
    except ValidationFailed as exc:
        errors.update({prefix + k: v for k, v in exc.fields.items()})
    if errors:
        raise ValidationFailed(errors)
    return {"name": inp.name, "product_id": ref.pid, "payment": inp.payment,
            "price": inp.price if inp.payment == "one_time" else None,
            "currency": currency, "vat_bp": vat_bp(inp.vat) if inp.vat is not None else None,
            "plan_handle": plan_handle, "template": template_to_stored(template, ref.keys),
            "group_min_seats": inp.group.min_seats if inp.group else None,
            "group_max_seats": inp.group.max_seats if inp.group else None}


# -- writing ----------------------------------------------------------------------------------


def _sync_product(session: Session, ctx: ServiceContext, p: Product | None, parsed: _Parsed,
                  ids: dict[str, int], now: datetime) -> tuple[str, Product]:
    """Create or update `p` from `parsed`; "created", "updated" or "unchanged" (no write)."""
    inp = parsed.inp
    after = parsed.doc()
    before = _product_doc(session, p) if p is not None else None
    if before == after:
        return "unchanged", p
    # One flush at the end: the product's version moves once (autoflush would bump it for
    # every query in between).
    with session.no_autoflush:
        if p is None:
            p = Product(handle=inp.handle, created_at=now, updated_at=now,
                        updated_by=_login(ctx), name=inp.name, sort_key=fold(inp.name)[:200],
                        kind=inp.kind, description=inp.description,
                        is_bundle=bool(inp.bundle_of), lesson_count=len(inp.lessons))
            session.add(p)
            session.flush()
        p.name, p.sort_key, p.kind = inp.name, fold(inp.name)[:200], inp.kind
        p.description, p.is_bundle = inp.description, bool(inp.bundle_of)
        p.lesson_count = len(inp.lessons)
        old = {x.key: x for x in _lessons(session, p.id)} if before is not None else {}
        for pos, (key, lesson) in enumerate(zip(parsed.keys, inp.lessons, strict=True), 1):
            row = old.pop(key, None)
            if row is None:
                row = Lesson(product_id=p.id, key=key)
                session.add(row)
            row.position = pos
            for f in LESSON_FIELDS:
                setattr(row, f, getattr(lesson, f))
        for gone in old.values():
            session.delete(gone)
        if before is None or before["bundle_of"] != after["bundle_of"]:
            session.execute(delete(BundleItem).where(BundleItem.bundle_id == p.id))
            for pos, h in enumerate(inp.bundle_of):
                session.add(BundleItem(bundle_id=p.id, product_id=ids[h], position=pos))
    if before is None:
        session.flush()
        audit.record(session, ctx, "product", p.id, "create", None, after, at=now)
        return "created", p
    _uow.save(session, ctx, PRODUCT, p, "update", before, after, now=now)
    return "updated", p


def _check_product_write(session: Session, parsed: _Parsed, existing: Product | None,
                         prefix: str = "") -> None:
    errors = _check_bundles(session, [(prefix, parsed)], set(_existing_handles(
        session, Product, parsed.inp.bundle_of)))
    if existing is not None:
        removed = {x.key for x in _lessons(session, existing.id)} - set(parsed.keys)
        why = _removed_key_users(session, existing, removed)
        if why:
            errors[f"{prefix}lessons"] = why
    if errors:
        raise ValidationFailed(errors)


def create_product(ctx: ServiceContext, data: dict[str, Any], *,
                   now: datetime | None = None) -> ProductOut:
    """A new product (course or membership, or a bundle of other products) with its lessons."""
    now = now or utcnow()
    parsed = parse_product(data)
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        if session.scalar(select(Product.id).where(Product.handle == parsed.inp.handle)):
            raise ValidationFailed({"handle": _("A product with this handle exists.")})
        _check_product_write(session, parsed, None)
        ids = {h: p.id for h, p in _existing_handles(session, Product,
                                                     parsed.inp.bundle_of).items()}
        _outcome, p = _sync_product(session, ctx, None, parsed, ids, now)
        return _product_out(session, ctx, p)


def update_product(ctx: ServiceContext, handle: str, changes: dict[str, Any], *,
                   expected_version: int, now: datetime | None = None) -> ProductOut:
    """Change a product: any of name, kind, description, bundle_of, lessons (the whole list
    in its new order; a lesson keeps its key, a new one without key gets `next_lesson_key`).
    The handle never changes. Nothing changed: nothing written."""
    now = now or utcnow()
    if "handle" in changes and changes["handle"] != handle:
        raise ValidationFailed({"handle": _("A product's handle cannot be changed.")})
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        p = _uow.load_for_write(session, PRODUCT, handle, expected_version, lock=True)
        rules.check("edit", _state(p))
        current = _product_doc(session, p)
        merged = {**current, **{k: v for k, v in changes.items() if k != "handle"}}
        if "lessons" in changes and isinstance(changes["lessons"], list):
            keys = [x.get("key") for x in changes["lessons"] if isinstance(x, dict)]
            taken = [k for k in keys if isinstance(k, str)] + [x["key"] for x in
                                                                current["lessons"]]
            lessons = []
            for x in changes["lessons"]:
                if isinstance(x, dict):  # a lesson as get_product shows it: its order is
                    x = {k: v for k, v in x.items() if k != "position"}  # the list's
                if isinstance(x, dict) and not x.get("key"):
                    x = {**x, "key": next_lesson_key(taken)}
                    taken.append(x["key"])
                lessons.append(x)
            merged["lessons"] = lessons
        parsed = parse_product(merged)
        _check_product_write(session, parsed, p)
        ids = {h: q.id for h, q in _existing_handles(session, Product,
                                                     parsed.inp.bundle_of).items()}
        _sync_product(session, ctx, p, parsed, ids, now)
        return _product_out(session, ctx, p)


def reorder_lessons(ctx: ServiceContext, handle: str, keys: list[str], *,
                    expected_version: int, now: datetime | None = None) -> ProductOut:
    """Put the lessons in the order of `keys` (every key once); keys never change."""
    now = now or utcnow()
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        p = _uow.load_for_write(session, PRODUCT, handle, expected_version, lock=True)
        rules.check("edit", _state(p))
        lessons = {x.key: x for x in _lessons(session, p.id)}
        if sorted(keys) != sorted(lessons) or len(set(keys)) != len(keys):
            raise ValidationFailed({"lessons": _(
                "Name every lesson key of the product once ({n} lessons).").format(
                    n=len(lessons))})
        before = _product_doc(session, p)
        for pos, key in enumerate(keys, 1):
            lessons[key].position = pos
        session.flush()
        after = _product_doc(session, p)
        if after != before:
            _uow.save(session, ctx, PRODUCT, p, "reorder", before, after, now=now)
        return _product_out(session, ctx, p)


def move_lesson(ctx: ServiceContext, handle: str, key: str, by: int, *,
                expected_version: int, now: datetime | None = None) -> ProductOut:
    """Move one lesson up (by < 0) or down (by > 0), clamped to the ends."""
    product = get_product(ctx, handle)
    keys = [x.key for x in product.lessons]
    if key not in keys:
        raise ValidationFailed({"lessons": _("No lesson {key} in {handle}.").format(
            key=key, handle=handle)})
    i = keys.index(key)
    keys.insert(max(0, min(len(keys) - 1, i + by)), keys.pop(i))
    return reorder_lessons(ctx, handle, keys, expected_version=expected_version, now=now)


def _product_references(session: Session, p: Product) -> str | None:
    checks = (
        (select(Offer.id).where(Offer.product_id == p.id),
         _("it has offers")),
        (select(BundleItem.bundle_id).where(BundleItem.product_id == p.id),
         _("a bundle contains it")),
        (select(Access.id).where(Access.product_id == p.id),
         _("accesses refer to it")),
    )
    for q, why in checks:
        if session.scalar(q.limit(1)) is not None:
            return why
    return None


def delete_product(ctx: ServiceContext, handle: str, *, expected_version: int | None = None,
                   now: datetime | None = None) -> Removed:
    """Delete an unreferenced product; archive one that offers, bundles or accesses name."""
    now = now or utcnow()
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        p = _uow.load_for_write(session, PRODUCT, handle, expected_version, lock=True,
                                required=False)
        rules.check("delete", _state(p))
        why = _product_references(session, p)
        if why is not None:
            if p.archived_at is None:
                p.archived_at = now
                _uow.save(session, ctx, PRODUCT, p, "archive", {"archived": False},
                          {"archived": True, "reason": why}, now=now)
            return Removed(handle=handle, outcome="archived", reason=why)
        before = _product_doc(session, p)
        session.execute(delete(Lesson).where(Lesson.product_id == p.id))
        session.execute(delete(BundleItem).where(BundleItem.bundle_id == p.id))
        pid = p.id
        session.delete(p)
        _uow.flush(session, PRODUCT)
        audit.record(session, ctx, "product", pid, "delete", before, None, at=now)
        return Removed(handle=handle, outcome="deleted")


def _set_archived(ctx: ServiceContext, kind: _uow.Kind, handle: str, archive: bool,
                  expected_version: int | None, now: datetime | None, out) -> Any:
    now = now or utcnow()
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        row = _uow.load_for_write(session, kind, handle, expected_version, lock=True,
                                  required=False)
        rules.check("archive" if archive else "unarchive", _state(row))
        if not archive and kind is OFFER:
            product = session.get(Product, row.product_id)
            if product.archived_at is not None:
                raise ValidationFailed({"product": _(
                    "The product {handle} is archived; unarchive it first.").format(
                        handle=product.handle)})
        row.archived_at = now if archive else None
        _uow.save(session, ctx, kind, row, "archive" if archive else "unarchive",
                  {"archived": not archive}, {"archived": archive}, now=now)
        return out(session, ctx, row)


def archive_product(ctx: ServiceContext, handle: str, *, expected_version: int | None = None,
                    now: datetime | None = None) -> ProductOut:
    return _set_archived(ctx, PRODUCT, handle, True, expected_version, now, _product_out)


def unarchive_product(ctx: ServiceContext, handle: str, *,
                      expected_version: int | None = None,
                      now: datetime | None = None) -> ProductOut:
    return _set_archived(ctx, PRODUCT, handle, False, expected_version, now, _product_out)


def archive_offer(ctx: ServiceContext, handle: str, *, expected_version: int | None = None,
                  now: datetime | None = None) -> OfferOut:
    return _set_archived(ctx, OFFER, handle, True, expected_version, now, _offer_out)


def unarchive_offer(ctx: ServiceContext, handle: str, *, expected_version: int | None = None,
                    now: datetime | None = None) -> OfferOut:
    return _set_archived(ctx, OFFER, handle, False, expected_version, now, _offer_out)


def _product_ref(session: Session, handle: str) -> _Ref | None:
    p = session.scalar(select(Product).where(Product.handle == handle))
    if p is None:
        return None
    _specs, keys = product_lessons(session, p.id)
    return _Ref(p.id, keys, p.is_bundle, p.archived_at is not None)


def _offer_fields(o: Offer) -> dict[str, Any]:
    return {c: getattr(o, c) for c in OFFER_COLUMNS}


def _apply_offer(o: Offer, columns: dict[str, Any]) -> None:
    for c, v in columns.items():
        setattr(o, c, v)
    o.sort_key = fold(columns["name"])[:200]


def _default_currency(session: Session) -> str:
    from core.services.settings import account_settings

    return account_settings(session)["default_currency"]


def create_offer(ctx: ServiceContext, data: dict[str, Any], *,
                 now: datetime | None = None) -> OfferOut:
    """A new offer (tariff) of a product: payment, price or plan, VAT, template, group."""
    now = now or utcnow()
    inp = parse_offer(data)
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        if session.scalar(select(Offer.id).where(Offer.handle == inp.handle)):
            raise ValidationFailed({"handle": _("An offer with this handle exists.")})
        ref = _product_ref(session, inp.product)
        columns = _offer_columns(session, inp, ref, "", _default_currency(session), {})
        o = Offer(handle=inp.handle, created_at=now, updated_at=now, updated_by=ctx.operator)
        _apply_offer(o, columns)
        session.add(o)
        session.flush()
        audit.record(session, ctx, "offer", o.id, "create", None,
                     _offer_doc(o, inp.product, ref.keys), at=now)
        return _offer_out(session, ctx, o)


def update_offer(ctx: ServiceContext, handle: str, changes: dict[str, Any], *,
                 expected_version: int, now: datetime | None = None) -> OfferOut:
    """Change an offer's fields (document form; the handle stays). The product may change
    only while no order or access refers to the offer."""
    now = now or utcnow()
    if "handle" in changes and changes["handle"] != handle:
        raise ValidationFailed({"handle": _("An offer's handle cannot be changed.")})
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        o = _uow.load_for_write(session, OFFER, handle, expected_version, lock=True)
        rules.check("edit", _state(o))
        product = session.get(Product, o.product_id)
        _specs, keys = product_lessons(session, o.product_id)
        current = _offer_doc(o, product.handle, keys)
        merged = {**current, **{k: v for k, v in changes.items() if k != "handle"}}
        inp = parse_offer(merged)
        if inp.product != product.handle and _offer_references(session, o):
            raise ValidationFailed({"product": _(
                "Orders or accesses refer to this offer: its product cannot change.")})
        ref = _product_ref(session, inp.product)
        columns = _offer_columns(session, inp, ref, "", _default_currency(session), {})
        _write_offer(session, ctx, o, columns, current, inp.product, ref.keys, now)
        return _offer_out(session, ctx, o)


def _write_offer(session: Session, ctx: ServiceContext, o: Offer, columns: dict[str, Any],
                 before: dict[str, Any], product_handle: str, keys: list[str],
                 now: datetime) -> bool:
    """Update `o` when `columns` differ from what it holds; False when nothing changed."""
    if _offer_fields(o) == columns:
        return False
    _apply_offer(o, columns)
    _uow.save(session, ctx, OFFER, o, "update", before, _offer_doc(o, product_handle, keys),
              now=now)
    return True


def _offer_references(session: Session, o: Offer) -> str | None:
    if session.scalar(select(OrderLine.id).where(OrderLine.offer_id == o.id).limit(1)):
        return _("orders refer to it")
    if session.scalar(select(Access.id).where(Access.offer_id == o.id).limit(1)):
        return _("accesses refer to it")
    return None


def delete_offer(ctx: ServiceContext, handle: str, *, expected_version: int | None = None,
                 now: datetime | None = None) -> Removed:
    """Delete an unreferenced offer; archive one that orders or accesses name."""
    now = now or utcnow()
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        o = _uow.load_for_write(session, OFFER, handle, expected_version, lock=True,
                                required=False)
        rules.check("delete", _state(o))
        why = _offer_references(session, o)
        if why is not None:
            if o.archived_at is None:
                o.archived_at = now
                _uow.save(session, ctx, OFFER, o, "archive", {"archived": False},
                          {"archived": True, "reason": why}, now=now)
            return Removed(handle=handle, outcome="archived", reason=why)
        product = session.get(Product, o.product_id)
        _specs, keys = product_lessons(session, o.product_id)
        before = _offer_doc(o, product.handle, keys)
        oid = o.id
        session.delete(o)
        _uow.flush(session, OFFER)
        audit.record(session, ctx, "offer", oid, "delete", before, None, at=now)
        return Removed(handle=handle, outcome="deleted")


# -- the document: import and export ----------------------------------------------------------


def export_catalogue(ctx: ServiceContext, *, include_archived: bool = False) -> dict[str, Any]:
    """Every product and offer in the document form (products by name, then offers by name)."""
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = select(Product).order_by(Product.sort_key, Product.id)
        if not include_archived:
            q = q.where(Product.archived_at.is_(None))
        products = []
        handles: dict[int, str] = {}
        keys_of: dict[int, list[str]] = {}
        for p in session.scalars(q):
            doc = _product_doc(session, p)
            if not doc["description"]:
                del doc["description"]
            products.append(doc)
            handles[p.id] = p.handle
            keys_of[p.id] = [x["key"] for x in doc["lessons"]]
        offers = []
        oq = select(Offer).order_by(Offer.sort_key, Offer.id)
        if not include_archived:
            oq = oq.where(Offer.archived_at.is_(None))
        for o in session.scalars(oq):
            if o.product_id not in handles:  # an archived product's offer
                p = session.get(Product, o.product_id)
                handles[o.product_id] = p.handle
                keys_of[o.product_id] = product_lessons(session, p.id)[1]
            offers.append(_offer_doc(o, handles[o.product_id], keys_of[o.product_id]))
        return {"products": products, "offers": offers}


def import_catalogue(ctx: ServiceContext, payload: Any, *, now: datetime | None = None
                     ) -> ImportReport:
    """Upsert the document's products and offers by handle, all or nothing.

    Every rejected object is named by its path (`products[2].lessons[0].delay_days`) with the
    reason; any error writes nothing. Objects equal to what is stored are left untouched (no
    audit record, no version bump); records not in the document stay as they are.
    """
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        return import_catalogue_in(session, ctx, payload, now=now)


def import_catalogue_in(session: Session, actor: ServiceContext | str, payload: Any, *,
                        now: datetime | None = None) -> ImportReport:
    """`import_catalogue` inside the caller's transaction, acting as `actor` (a context or
    a login, for the demo builder); the caller checks the role."""
    now = now or utcnow()
    if not isinstance(payload, dict):
        raise ValidationFailed({"_": _('The file must hold an object with "products" and '
                                       '"offers".')})
    errors: dict[str, str] = {}
    for k in payload:
        if k not in ("products", "offers"):
            errors[str(k)[:80]] = _("Unknown field.")
    raw_products = payload.get("products", [])
    raw_offers = payload.get("offers", [])
    for name, value in (("products", raw_products), ("offers", raw_offers)):
        if not isinstance(value, list):
            errors[name] = _("A list is required.")
    if errors:
        raise ValidationFailed(errors)
    parsed: list[tuple[str, _Parsed]] = []
    seen: dict[str, str] = {}
    for i, item in enumerate(raw_products):
        prefix = f"products[{i}]."
        try:
            p = parse_product(item, prefix)
        except ValidationFailed as exc:
            errors.update(exc.fields)
            continue
        if p.inp.handle in seen:
            errors[f"{prefix}handle"] = _("The handle {handle} is also {other}.").format(
                handle=p.inp.handle, other=seen[p.inp.handle])
            continue
        seen[p.inp.handle] = f"products[{i}]"
        parsed.append((prefix, p))
    offers: list[tuple[str, OfferInput]] = []
    seen_offers: dict[str, str] = {}
    for j, item in enumerate(raw_offers):
        prefix = f"offers[{j}]."
        try:
            o = parse_offer(item, prefix)
        except ValidationFailed as exc:
            errors.update(exc.fields)
            continue
        if o.handle in seen_offers:
            errors[f"{prefix}handle"] = _("The handle {handle} is also {other}.").format(
                handle=o.handle, other=seen_offers[o.handle])
            continue
        seen_offers[o.handle] = f"offers[{j}]"
        offers.append((prefix, o))
    if True:
        if session.get_bind().dialect.name == "sqlite":
            _uow.lock_sqlite(session)  # one importer at a time; the checks see what it writes
        doc_handles = {p.inp.handle for _x, p in parsed}
        referenced = {h for _x, p in parsed for h in p.inp.bundle_of} | {
            o.product for _x, o in offers}
        existing = _existing_handles(session, Product, doc_handles | referenced)
        errors.update(_check_bundles(session, parsed, doc_handles | set(existing)))
        offer_rows = _existing_handles(session, Offer, {o.handle for _x, o in offers})
        doc_offer_handles = set(offer_rows)
        for prefix, p in parsed:
            row = existing.get(p.inp.handle)
            if row is not None and row.archived_at is not None:
                # An archived record is read only: the same again is fine (an export with
                # --archived imports as a no-op), a change is refused.
                if _product_doc(session, row) != p.doc():
                    errors[f"{prefix}handle"] = _("The product {handle} is archived; "
                                                  "unarchive it first.").format(
                                                      handle=p.inp.handle)
            elif row is not None:
                removed = set(session.scalars(select(Lesson.key).where(
                    Lesson.product_id == row.id))) - set(p.keys)
                why = _removed_key_users(session, row, removed, doc_offer_handles)
                if why:
                    errors[f"{prefix}lessons"] = why
        by_doc = {p.inp.handle: p for _x, p in parsed}
        refs: dict[str, _Ref | None] = {}
        plans: dict[str, Plan | None] = {}
        currency = _default_currency(session)
        columns: list[tuple[OfferInput, dict[str, Any] | None]] = []
        for prefix, o in offers:
            if o.product not in refs:
                if o.product in by_doc:
                    p = by_doc[o.product]
                    row = existing.get(o.product)
                    refs[o.product] = _Ref(row.id if row else None, p.keys,
                                           bool(p.inp.bundle_of),
                                           bool(row and row.archived_at is not None))
                else:
                    row = existing.get(o.product)
                    refs[o.product] = (None if row is None else _Ref(
                        row.id, product_lessons(session, row.id)[1], row.is_bundle,
                        row.archived_at is not None))
            ref = refs[o.product]
            row = offer_rows.get(o.handle)
            archived = ref is not None and ref.archived or (
                row is not None and row.archived_at is not None)
            if archived and ref is not None:  # unchanged is fine, as for products
                ref = _Ref(ref.pid, ref.keys, ref.is_bundle, False)
            try:
                cols = _offer_columns(session, o, ref, prefix, currency, plans)
            except ValidationFailed as exc:
                errors.update(exc.fields)
                continue
            if archived and (row is None or _offer_fields(row) != cols):
                errors[f"{prefix}handle"] = _("The offer {handle} is archived; unarchive it "
                                              "first.").format(handle=o.handle) if (
                    row is not None and row.archived_at is not None) else _(
                    "The product {handle} is archived.").format(handle=o.product)
                continue
            columns.append((o, cols))
        if errors:
            raise ValidationFailed(errors)
        report = ImportReport()
        ids = {h: r.id for h, r in existing.items()}
        # Products first without their bundle items, so a bundle may name a product that
        # comes later in the document; then the bundles.
        order = sorted(parsed, key=lambda x: bool(x[1].inp.bundle_of))
        for _prefix, p in order:
            outcome, row = _sync_product(session, actor, existing.get(p.inp.handle), p, ids,
                                         now)
            ids[p.inp.handle] = row.id
            getattr(report, outcome).append(f"product:{p.inp.handle}")
        for o, cols in columns:
            if cols["product_id"] is None:
                cols["product_id"] = ids[o.product]
            keys = refs[o.product].keys
            row = offer_rows.get(o.handle)
            if row is None:
                row = Offer(handle=o.handle, created_at=now, updated_at=now,
                            updated_by=_login(actor))
                _apply_offer(row, cols)
                session.add(row)
                session.flush()
                audit.record(session, actor, "offer", row.id, "create", None,
                             _offer_doc(row, o.product, keys), at=now)
                report.created.append(f"offer:{o.handle}")
                continue
            if _offer_fields(row) == cols:  # the common case of a re-import: no queries
                report.unchanged.append(f"offer:{o.handle}")
                continue
            product = session.get(Product, row.product_id)
            before = _offer_doc(row, product.handle,
                                product_lessons(session, row.product_id)[1])
            if _write_offer(session, actor, row, cols, before, o.product, keys, now):
                report.updated.append(f"offer:{o.handle}")
            else:
                report.unchanged.append(f"offer:{o.handle}")
        if report.created or report.updated:
            audit.record(session, actor, "catalogue", "*", "import", None,
                         {"created": report.created, "updated": report.updated}, at=now)
        return report


__all__ = [
    "OFFER", "PRODUCT", "WRITE", "archive_offer", "archive_product", "bundle_products",
    "catalogue_actions", "count_offers", "count_products", "create_offer", "create_product",
    "delete_offer", "delete_product", "export_catalogue", "get_offer", "get_product",
    "import_catalogue", "import_catalogue_in", "list_offers", "list_products", "move_lesson",
    "next_lesson_key",
    "offer_template", "parse_offer", "parse_product", "product_lessons", "reorder_lessons",
    "template_from_stored", "template_to_document", "template_to_stored", "unarchive_offer",
    "unarchive_product", "update_offer", "update_product",
]
