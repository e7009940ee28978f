"""Shapes shared by every list: the window a screen asks for, and pydantic error mapping."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import ValidationFailed
from core.i18n import _

Key = tuple[Any, ...]


class Window(BaseModel):
    """Which rows of an ordered list to fetch: after/before a key (keyset), an offset, or the end."""

    model_config = ConfigDict(frozen=True)

    after: Key | None = None
    before: Key | None = None
    offset: int | None = Field(default=None, ge=0)
    from_end: bool = False
    limit: int = Field(default=50, ge=1, le=500)


def field_errors(exc: ValidationError) -> ValidationFailed:
    """Turn pydantic's errors into one readable message per field."""
    fields: dict[str, str] = {}
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else "_"
        if name in fields:
            continue
        if err["type"] == "value_error":
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
        elif err["type"] == "missing":
            msg = _("This field is required.")
        elif err["type"].startswith("string_too_long"):
            msg = _("Too long (at most {n} characters).").format(
                n=err.get("ctx", {}).get("max_length"))
        elif err["type"] == "literal_error":
            msg = _("Choose one of: {choices}.").format(
                choices=err.get("ctx", {}).get("expected", ""))
        else:
            msg = _("Invalid value.")
        fields[name] = msg
    return ValidationFailed(fields)
