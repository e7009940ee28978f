"""The catalogue's shapes: products with ordered lessons, bundles, offers (SPEC §3).

One document shape for `kontor catalogue import|export`, the product and offer forms and the
services (docs/catalogue.md):

    {"products": [{"handle", "name", "kind": "course"|"membership", "description"?,
                   "bundle_of": [handle, ...],
                   "lessons": [{"key", "title", "module", "delay_days", "open_on",
                                "checkpoint", "practice"}]}],
     "offers": [{"handle", "product", "name", "payment": "one_time"|"subscription"|
                 "instalments", "price", "currency", "plan", "vat",
                 "template": {... core.schemas.access_template ...},
                 "group": null | {"min_seats", "max_seats"}}]}

A lesson's `key` defaults to its position ("1", "2", …). In the document an offer's
`"only"` set names lesson *positions*; the database stores lesson *keys* (the service
converts both ways), so reordering lessons never shifts what an offer opens.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
)

from core.errors import ValidationFailed
from core.i18n import _
from core.limits import DATE_MAX, DATE_MIN, INT32_MAX, date_range_message, visibly_empty
from core.schemas.access_template import MAX_LESSONS, AccessTemplate
from core.schemas.common import SafeLine, SafeName, SafeText

HANDLE_RE = re.compile(r"^[a-zA-Z0-9_.\-@]{1,255}$")
KEY_RE = re.compile(r"^[^\s]{1,64}$")
PRODUCT_KINDS = ("course", "membership")
PAYMENT_TYPES = ("one_time", "subscription", "instalments")
RECURRING = ("subscription", "instalments")
MAX_SEATS = 100_000
MAX_PRICE = INT32_MAX  # minor units (Reepay's int32 amounts)


def handle_message() -> str:
    return _("A handle is 1–255 letters, digits or _ . - @ (no spaces).")


def _handle(value: str) -> str:
    if not HANDLE_RE.match(value):
        raise ValueError(handle_message())
    return value


class LessonInput(BaseModel):
    """One lesson as the document and the lesson editor give it (key may be left out)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: SafeLine | None = Field(default=None, max_length=64)
    title: SafeLine = Field(default="", max_length=200)
    module: SafeLine = Field(default="", max_length=200)
    delay_days: StrictInt = Field(default=0, ge=0, le=INT32_MAX)
    open_on: dt.date | None = None
    checkpoint: StrictBool = False
    practice: StrictBool = False

    @field_validator("key")
    @classmethod
    def _key(cls, value: str | None) -> str | None:
        if value is not None and not KEY_RE.match(value):
            raise ValueError(_("A lesson key is 1–64 characters without spaces."))
        return value

    @field_validator("delay_days", mode="before")
    @classmethod
    def _not_negative(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            raise ValueError(_("A delay cannot be negative (days after the access start)."))
        return value

    @field_validator("open_on", mode="before")
    @classmethod
    def _iso_date(cls, value: object) -> object:
        if value is None or isinstance(value, dt.date):
            return value
        if not isinstance(value, str):
            raise ValueError(_("Enter a date such as 2026-12-01."))
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(_("Enter a date such as 2026-12-01.")) from None

    @field_validator("open_on")
    @classmethod
    def _sane_date(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not DATE_MIN <= value <= DATE_MAX:
            raise ValueError(date_range_message())
        return value


class ProductInput(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    handle: SafeLine = Field(max_length=255)
    name: SafeName = Field(max_length=200)
    kind: Literal["course", "membership"] = "course"
    description: SafeText = Field(default="", max_length=5000)
    bundle_of: list[SafeLine] = Field(default_factory=list, max_length=500)
    lessons: list[LessonInput] = Field(default_factory=list, max_length=MAX_LESSONS)

    @field_validator("handle")
    @classmethod
    def _handle_ok(cls, value: str) -> str:
        return _handle(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if visibly_empty(value):
            raise ValueError(_("A name is required."))
        return value.strip()

    @field_validator("bundle_of")
    @classmethod
    def _bundle(cls, value: list[str]) -> list[str]:
        for h in value:
            _handle(h)
        if len(set(value)) != len(value):
            raise ValueError(_("A product appears twice in the bundle."))
        return value


class GroupSeats(BaseModel):
    """A group offer sells between min_seats and max_seats seats per purchase (SPEC §8)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min_seats: StrictInt = Field(ge=1, le=MAX_SEATS)
    max_seats: StrictInt = Field(ge=1, le=MAX_SEATS)


class OfferInput(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    handle: SafeLine = Field(max_length=255)
    product: SafeLine = Field(max_length=255)
    name: SafeName = Field(max_length=200)
    payment: Literal["one_time", "subscription", "instalments"] = "one_time"
    price: StrictInt | None = Field(default=None, ge=0, le=MAX_PRICE)
    currency: SafeLine | None = Field(default=None, max_length=3)
    plan: SafeLine | None = Field(default=None, max_length=255)
    vat: str | None = None
    template: dict[str, Any] = Field(default_factory=dict)
    group: GroupSeats | None = None

    @field_validator("handle", "product")
    @classmethod
    def _handle_ok(cls, value: str) -> str:
        return _handle(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if visibly_empty(value):
            raise ValueError(_("A name is required."))
        return value.strip()

    @field_validator("vat", mode="before")
    @classmethod
    def _vat(cls, value: object) -> object:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError(_("VAT is a rate such as 0.19 (19 %), or null for the account's "
                               "default."))
        return vat_text(vat_bp(str(value)))


def vat_bp(text: str) -> int:
    """"0.19" → 1900 basis points; ValueError with a message outside 0..1 or finer than 0.01 %."""
    try:
        rate = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        raise ValueError(_("VAT is a rate such as 0.19 (19 %).")) from None
    if not rate.is_finite() or not 0 <= rate <= 1:
        raise ValueError(_("VAT lies between 0 and 1 (0.19 is 19 %)."))
    bp = rate * 10000
    if bp != bp.to_integral_value():
        raise ValueError(_("VAT has at most four decimals (0.0725)."))
    return int(bp)


def vat_text(bp: int | None) -> str | None:
    """1900 → "0.19"; None stays None (the account's default_vat)."""
    if bp is None:
        return None
    text = format(Decimal(bp) / 10000, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def check_group(group: GroupSeats | None, errors: dict[str, str], prefix: str = "") -> None:
    if group is not None and group.min_seats > group.max_seats:
        errors[prefix + "group.max_seats"] = _(
            "The most seats cannot be fewer than the fewest ({n}).").format(n=group.min_seats)


def parse_template(doc: Any, lesson_count: int | None) -> AccessTemplate:
    """The document's template (positions); ValidationFailed keyed by template field."""
    if not isinstance(doc, dict):
        raise ValidationFailed({"template": _("The template is an object (see "
                                              "docs/catalogue.md).")})
    try:
        t = AccessTemplate.model_validate(doc)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "template"
            if err["type"] == "value_error":
                msg = str(err.get("ctx", {}).get("error", err["msg"]))
            elif err["type"] == "extra_forbidden":
                msg = _("Unknown field.")
            elif err["type"] == "literal_error":
                msg = _("Choose one of: {choices}.").format(
                    choices=err.get("ctx", {}).get("expected", ""))
            else:
                msg = _("Invalid value.")
            fields.setdefault(f"template.{loc.split('.')[0]}", msg)
        raise ValidationFailed(fields) from None
    ol = t.open_lessons
    if lesson_count is not None and not isinstance(ol, str):
        if hasattr(ol, "only"):
            bad = [p for p in ol.only if p > lesson_count]
            if bad:
                raise ValidationFailed({"template.open_lessons": _(
                    "Lesson position {pos} is outside 1..{n}.").format(
                        pos=bad[0], n=lesson_count)})
    return t


# -- output --------------------------------------------------------------------------------


class Lesson(BaseModel):
    model_config = ConfigDict(frozen=True)
    key: str
    position: int
    title: str
    module: str
    practice: bool
    checkpoint: bool
    delay_days: int
    open_on: dt.date | None


class Product(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: int
    handle: str
    name: str
    kind: str
    description: str
    is_bundle: bool
    bundle_of: list[str]
    lessons: list[Lesson]
    lesson_count: int
    offer_count: int
    archived: bool
    version: int
    updated_at: dt.datetime | None
    updated_by: str
    # action → None (allowed) or the reason it is not (edit, delete, archive, unarchive).
    allowed_actions: dict[str, str | None]


class ProductRow(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: int
    key: tuple
    handle: str
    name: str
    kind: str
    is_bundle: bool
    lesson_count: int
    archived: bool


class Offer(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: int
    handle: str
    product: str
    product_id: int
    product_name: str
    name: str
    payment: str
    price: int | None
    currency: str
    plan: str | None
    vat: str | None
    # The document form: "only" as lesson positions of the product's current order.
    template: dict[str, Any]
    group: GroupSeats | None
    archived: bool
    version: int
    updated_at: dt.datetime | None
    updated_by: str
    allowed_actions: dict[str, str | None]


class OfferRow(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: int
    key: tuple
    handle: str
    name: str
    product: str
    product_name: str
    payment: str
    price: int | None
    currency: str
    plan: str | None
    archived: bool


class Removed(BaseModel):
    """What `delete_product`/`delete_offer` did: deleted, or archived (still referenced)."""

    model_config = ConfigDict(frozen=True)
    handle: str
    outcome: Literal["deleted", "archived"]
    reason: str | None = None


class ImportReport(BaseModel):
    model_config = ConfigDict(frozen=True)
    created: list[str] = Field(default_factory=list)    # "product:HANDLE", "offer:HANDLE"
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
