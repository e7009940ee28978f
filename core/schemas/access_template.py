"""The access template: what an offer (tariff) grants, and what an order editor may change.

One shape for the catalogue document, the offer form, the order editor, an individual access
and `kontor lessons` (SPEC §3, §4.1). Lesson positions are 1-based; an access stores lesson
*keys* instead (the services translate), so reordering lessons never shifts what it opens.

    {"open_lessons": "all" | {"first": N} | {"only": [i, ...]},
     "release": "none" | "delays" | "dates",
     "checkpoints": bool,
     "review": "none" | "automatic" | "curator",
     "duration": null | {"length": N, "unit": "days" | "months"}}
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.i18n import _
from core.limits import DATE_MAX, DATE_MIN, INT32_MAX, date_range_message
from core.schemas.common import SafeLine

Release = Literal["none", "delays", "dates"]
Review = Literal["none", "automatic", "curator"]
RELEASES: tuple[str, ...] = ("none", "delays", "dates")
REVIEWS: tuple[str, ...] = ("none", "automatic", "curator")

# A course has at most this many lessons (the benchmark's largest course has 300).
MAX_LESSONS = 2000


class FirstLessons(BaseModel):
    """Lessons 1..first are in the tariff."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    first: int = Field(ge=0, le=MAX_LESSONS)


class OnlyLessons(BaseModel):
    """Exactly these lesson positions (1-based) are in the tariff."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    only: tuple[int, ...]

    @field_validator("only")
    @classmethod
    def _positions(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        for pos in value:
            if not 1 <= pos <= MAX_LESSONS:
                raise ValueError(_("Lesson position {pos} is outside 1..{n}.").format(
                    pos=pos, n=MAX_LESSONS))
        return tuple(sorted(set(value)))


OpenLessons = Literal["all"] | FirstLessons | OnlyLessons


class Duration(BaseModel):
    """How long an access lasts from its start: N days or N months (None = unlimited)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    length: int = Field(ge=1, le=100 * 366)
    unit: Literal["days", "months"]

    @field_validator("length", mode="before")
    @classmethod
    def _sane_length(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= 100 * 366:
            raise ValueError(_("An access lasts from 1 to {n} days or months.").format(
                n=100 * 366))
        return value


class AccessTemplate(BaseModel):
    """What an access grants. Defaults: every lesson, open at once, no review, unlimited."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    open_lessons: OpenLessons = "all"
    release: Release = "none"
    checkpoints: bool = False
    review: Review = "none"
    duration: Duration | None = None

    @field_validator("open_lessons", mode="before")
    @classmethod
    def _open_lessons(cls, value: object) -> object:
        """One clear message instead of pydantic's three union branches."""
        if value == "all" or isinstance(value, (FirstLessons, OnlyLessons)):
            return value
        if isinstance(value, dict) and len(value) == 1 and ("first" in value or "only" in value):
            model = FirstLessons if "first" in value else OnlyLessons
            try:
                return model.model_validate(value)
            except ValidationError as exc:
                err = exc.errors()[0]
                why = (str(err.get("ctx", {}).get("error", "")) if err["type"] == "value_error"
                       else "")
                raise ValueError(why or _(
                    '"first" takes a number of lessons (0..{n}), "only" a list of lesson '
                    'positions (1..{n}).').format(n=MAX_LESSONS)) from None
        raise ValueError(_('Choose "all", "first" (a number of lessons) or "only" (a list of '
                           'lesson positions).'))

    def to_json(self) -> dict:
        """The document form (as `kontor lessons`, the catalogue export and the access store)."""
        return self.model_dump(mode="json")


class LessonSpec(BaseModel):
    """One lesson as the rules need it (SPEC §4.1); the catalogue adds key, module, practice."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: SafeLine = Field(default="", max_length=200)
    delay_days: int = Field(default=0, ge=0, le=INT32_MAX)
    open_on: dt.date | None = None
    checkpoint: bool = False

    @field_validator("delay_days", mode="before")
    @classmethod
    def _not_negative(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            raise ValueError(_("A delay cannot be negative (days after the access start)."))
        return value

    @field_validator("open_on")
    @classmethod
    def _sane_date(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not DATE_MIN <= value <= DATE_MAX:
            raise ValueError(date_range_message())
        return value
