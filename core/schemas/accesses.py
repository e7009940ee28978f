"""Accesses as the Products tab, the order editor, switch tariff and the CLI see them.

The order editor sends an `AccessTemplateDraft`: the access template of
core/schemas/access_template.py, except that `open_lessons.only` names lesson *keys* (strings),
as an access and an offer store them — reordering the lessons never shifts what it opens.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.schemas.access_template import Duration, Release, Review
from core.schemas.common import SafeLine
from core.schemas.subscriptions import CancellationPreview, InvoicePreview

AccessStatus = Literal["active", "pending_cancellation", "cancelled", "expired", "paused",
                       "overdue"]
LessonStateName = Literal["not_in_tariff", "ended", "blocked", "open", "scheduled"]


class FirstKeys(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    first: int = Field(ge=0, le=2000)


class OnlyKeys(BaseModel):
    """Exactly these lessons (by key) are in the tariff."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    only: tuple[SafeLine, ...] = Field(max_length=2000)


class AccessTemplateDraft(BaseModel):
    """What the order editor edits: the template with `only` as lesson keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    open_lessons: Literal["all"] | FirstKeys | OnlyKeys = "all"
    release: Release = "none"
    checkpoints: bool = False
    review: Review = "none"
    duration: Duration | None = None

    def to_json(self) -> dict[str, Any]:
        """The stored form, as the catalogue stores an offer's: a chosen set of lessons as
        `{"only_keys": [...]}` (core/services/catalogue.py template_to_stored)."""
        doc = self.model_dump(mode="json")
        if isinstance(self.open_lessons, OnlyKeys):
            doc["open_lessons"] = {"only_keys": list(self.open_lessons.only)}
        return doc


class PauseOut(BaseModel):
    start: datetime
    end: datetime | None  # None: not yet resumed


class AccessRow(BaseModel):
    """One line of the Products tab and of `kontor access list`."""

    id: int
    contact_id: int
    product_id: int
    product: str
    product_handle: str
    offer_id: int
    offer: str
    offer_handle: str
    payment: str
    status: AccessStatus
    starts_at: datetime
    ends_at: datetime | None
    open_lessons: int  # open today
    lessons_in_tariff: int  # "open lessons today: 7 of 12"
    individual: bool
    deleted: bool
    subscription_id: int | None
    order_id: int | None
    version: int
    allowed_actions: dict[str, str | None] = {}


class LessonRow(BaseModel):
    """One lesson of an access: its state at the moment asked about (SPEC §4.1)."""

    position: int  # 1-based within its product
    key: str
    title: str
    module: str = ""
    product: str = ""  # a bundle: which of its products
    practice: bool = False
    checkpoint: bool = False
    state: LessonStateName
    opens_at: datetime | None
    accepted: bool = False


class AccessDetail(AccessRow):
    """One access with every lesson's state: the order editor and `access show`."""

    template: AccessTemplateDraft
    pauses: list[PauseOut]
    accepted: list[str]
    replaced_by_id: int | None
    lessons: list[LessonRow]
    at: datetime


class TemplatePreview(BaseModel):
    """The lesson preview of a draft template (the order editor, per keystroke)."""

    at: datetime
    starts_at: datetime
    ends_at: datetime | None
    open_lessons: int
    lessons_in_tariff: int
    lessons: list[LessonRow]


class LessonChange(BaseModel):
    key: str
    title: str
    before: LessonStateName
    after: LessonStateName
    opens_before: datetime | None
    opens_after: datetime | None


class SwitchPreview(BaseModel):
    """What `switch_tariff` would do, computed by the same code and rolled back."""

    access_id: int
    offer: str
    offer_handle: str
    new_offer: str
    new_offer_handle: str
    starts_at: datetime
    ends_at: datetime | None
    # none: nothing billed; cancel: the old subscription is cancelled (`cancellation`);
    # change: the subscription moves to the new plan now (`invoices`: the credit or charge);
    # create: a new subscription (`invoices`: those due at once).
    billing: Literal["none", "cancel", "change", "create"]
    subscription_id: int | None
    cancellation: CancellationPreview | None = None
    invoices: list[InvoicePreview] = []
    currency: str = ""
    lessons_before: tuple[int, int]  # (open, in tariff) today
    lessons_after: tuple[int, int]
    changes: list[LessonChange]


class OfferChoice(BaseModel):
    """An offer an access may switch to (same product)."""

    handle: str
    name: str
    payment: str
    price: int | None
    currency: str
    plan_handle: str | None


class SwitchResult(BaseModel):
    old: AccessRow
    new: AccessDetail
    billing: Literal["none", "cancel", "change", "create"]
    subscription_id: int | None


__all__ = ["AccessDetail", "AccessRow", "AccessStatus", "AccessTemplateDraft", "FirstKeys",
           "LessonChange", "LessonRow", "OfferChoice", "OnlyKeys", "PauseOut", "SwitchPreview",
           "SwitchResult", "TemplatePreview"]
