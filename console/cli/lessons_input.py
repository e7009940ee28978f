"""The `kontor lessons --offer` document: parsed strictly, every problem named by its field.

Kept apart from console/cli/lessons.py so that building the `kontor` parser never imports
pydantic (tests/console/test_start_pilot.py)."""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import ValidationFailed
from core.i18n import _
from core.schemas.access_template import MAX_LESSONS, AccessTemplate, LessonSpec


class LessonsDocument(BaseModel):
    """The --offer document: the lessons in order and the access template."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    lessons: tuple[LessonSpec, ...] = Field(max_length=MAX_LESSONS)
    template: AccessTemplate = AccessTemplate()


def _path(prefix: str, loc: tuple) -> str:
    """('lessons', 2, 'delay_days') → 'lessons[3].delay_days' (lesson positions are 1-based)."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out


def _message(err: dict) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown key.")
    if kind == "literal_error":
        return _("Choose one of: {choices}.").format(choices=ctx.get("expected", ""))
    if kind.startswith("int_") or kind == "int_type":
        return _("Not a whole number.")
    if kind.startswith("bool_"):
        return _("Must be true or false.")
    if kind.startswith(("date_", "datetime_")):
        return _("Not an ISO date (2026-03-20).")
    if kind == "greater_than_equal":
        return _("Must be at least {n}.").format(n=ctx.get("ge"))
    if kind == "less_than_equal":
        return _("Must be at most {n}.").format(n=ctx.get("le"))
    if kind.startswith("string_too_long"):
        return _("Too long (at most {n} characters).").format(n=ctx.get("max_length"))
    if kind.startswith("too_long"):
        return _("Too many entries (at most {n}).").format(n=ctx.get("max_length"))
    if kind.startswith("string_"):
        return _("Must be text.")
    if kind in ("list_type", "tuple_type"):
        return _("Must be a list.")
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return _("Must be an object.")
    return _("Invalid value.")


def parse_document(text: str, source: str = "--offer") -> LessonsDocument:
    """The --offer document, or ValidationFailed naming each refused field."""
    try:
        json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        why = str(exc) if isinstance(exc, json.JSONDecodeError) else _("nested too deeply")
        raise ValidationFailed({source: _("not valid JSON: {error}").format(error=why)}) from None
    try:
        doc = LessonsDocument.model_validate_json(text, strict=True)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for err in exc.errors():
            name = _path("", tuple(err["loc"])) or source
            fields.setdefault(name, _message(err))
        raise ValidationFailed(fields) from None
    except RecursionError:
        raise ValidationFailed({source: _("nested too deeply")}) from None
    n = len(doc.lessons)
    only = getattr(doc.template.open_lessons, "only", None)
    for pos in only or ():
        if pos > n:
            raise ValidationFailed({"template.open_lessons": _(
                "Lesson position {pos} is outside 1..{n}.").format(pos=pos, n=n)})
    return doc
