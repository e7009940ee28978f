"""Shapes shared by every list: the window a screen asks for, and pydantic error mapping."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

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


# -- guarded text: every stored string goes through one of these (tests check it) ----------

def _guard(multiline: bool, identifier: bool):
    from core.limits import text_problem

    def check(value: Any) -> Any:
        if isinstance(value, str):
            problem = text_problem(value, multiline=multiline, identifier=identifier)
            if problem:
                raise ValueError(problem)
        return value

    return check


# One line of text (a name, a handle, a setup-fee text): no NUL, no control characters.
SafeLine = Annotated[str, AfterValidator(_guard(multiline=False, identifier=False))]
# A name or an e-mail address: as SafeLine, and no bidirectional overrides either.
SafeName = Annotated[str, AfterValidator(_guard(multiline=False, identifier=True))]
# Several lines (notes, descriptions): newline and tab allowed, other controls refused.
SafeText = Annotated[str, AfterValidator(_guard(multiline=True, identifier=False))]
