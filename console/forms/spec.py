"""A form field declared once: what it is called, what kind of input it gets, how its text
becomes a value and back, and when it is shown."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

KINDS = ("text", "money", "date", "select", "multi", "switch", "picker")


@dataclass(frozen=True)
class FieldSpec:
    """One field of a form.

    kind       text (an Input; `multiline` a TextArea), money (an Input whose text
               `core.money.parse_major` turns into minor units of `currency`), date (an Input,
               ISO date), select (one of `choices`), multi (any of `choices`), switch (yes/no),
               picker (an input with search-as-you-type results from `source`, a
               `console.widgets.picker.PickerSource`; the value is the picked item's value).
    visible_when  called with the form's current raw values; the row hides when it says False
               and a hidden field is not sent.
    parse      raw control value → the value sent to the service; a ValueError's message is
               shown under the field. Default: the stripped text (bool for a switch).
    format     stored value → what the control shows. Default: str() ("" for None).
    help       one line shown under the input.
    choices    (label, value) pairs for select/multi, or a callable returning them.
    """

    name: str
    label: str
    kind: str = "text"
    placeholder: str = ""
    visible_when: Callable[[dict[str, Any]], bool] | None = None
    parse: Callable[[Any], Any] | None = None
    format: Callable[[Any], Any] | None = None
    help: str = ""
    choices: Sequence[tuple[str, Any]] | Callable[[], Sequence[tuple[str, Any]]] | None = None
    multiline: bool = False
    max_length: int = 0
    currency: str = "EUR"
    allow_blank: bool = False
    source: Any = None
    radio: bool = False  # a select drawn as radio buttons (● / ○), for two or three choices

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind!r}")
        if self.kind in ("select", "multi") and self.choices is None:
            raise ValueError(f"field {self.name!r} of kind {self.kind} needs choices")
        if self.kind == "picker" and self.source is None:
            raise ValueError(f"field {self.name!r} of kind picker needs a source")

    def options(self) -> list[tuple[str, Any]]:
        c = self.choices() if callable(self.choices) else self.choices
        return list(c or ())

    def shown_value(self, value: Any) -> Any:
        """What the control shows for a stored value."""
        if self.format is not None:
            return self.format(value)
        if self.kind == "switch":
            return bool(value)
        if self.kind == "multi":
            return list(value or [])
        if self.kind == "select":
            return value
        if self.kind == "money" and isinstance(value, int):
            from core.money import format_minor  # "10,00" in German: parse_major reads it

            return format_minor(value, self.currency, with_symbol=False)
        return "" if value is None else str(value)

    def value_of(self, raw: Any) -> Any:
        """The value sent for the control's raw value; ValueError with a message."""
        if self.parse is not None:
            return self.parse(raw)
        if self.kind == "money":
            text = str(raw or "").strip()
            if not text:
                return None
            from core.money import parse_major

            return parse_major(text, self.currency)
        if self.kind in ("switch", "select", "multi"):
            return raw
        if self.kind == "date":
            return _parse_date(str(raw or "").strip())
        if self.kind == "text" and self.multiline:
            return str(raw or "")
        return str(raw or "").strip()


def _parse_date(text: str):
    """"2026-12-01" → date; "" → None; ValueError naming the expected form or the range."""
    from datetime import date

    from core.i18n import _
    from core.limits import date_in_range, date_range_message

    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("Enter a date such as 2026-12-01.")) from None
    if not date_in_range(day):
        raise ValueError(date_range_message())
    return day
