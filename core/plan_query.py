"""The plan list's filter: one state (`PlanFilter`), a typed query language, chips, completion.

Pure: no database, no Textual. The filter panel and the query line of the plan list both edit
one `PlanFilter`; `core.services.plan_catalogue` turns it into SQL.

Query language (see docs/plans.md for the full reference)::

    state:active,superseded schedule_type:month_fixedday amount:10-50 description:"gold member"

* ``key:value`` pairs separated by spaces; keys are Reepay's field names or a short alias
  (``ALIASES``), case-insensitive.
* Choice keys take one or more values separated by commas (any of them matches).
* Number keys take ``n`` (exact), ``a-b`` / ``a..b`` (inclusive range), ``a-`` (at least) or
  ``-b`` (at most). ``amount`` is typed in major units with at most 2 decimals ("9.99") and
  kept in hundredths of a major unit (999). The filter has no currency: each plan is
  compared in its own currency's major units (``amount_bounds``), so ``amount:10`` finds an
  EUR 10.00 plan (1000 minor units) and ``amount:1000`` a JPY 1000 plan (1000 minor units);
  a KWD plan of 1.234 lies in ``amount:1.23-1.24``.
* ``created`` takes a preset (``all``, ``yesterday``, ``last_week``, ``last_month``,
  ``last_3_months``, ``last_year``), a day ``2025-03-01``, or a range ``2025-01-01..2025-06-30``
  (either end may be left out; ``today`` may stand for today's date).
* ``handle`` and ``dunning_plan`` match exactly; ``name`` matches a case-insensitive fragment;
  ``description`` and ``setup_fee_text`` match plans containing every given word.
* Words without a key are a name fragment. Values with spaces go in double quotes
  (``\\"`` and ``\\\\`` escape a quote and a backslash inside them).

Date presets are whole local days relative to an injected ``today`` (the account time zone's
date), as half-open ranges [start, end):

* ``yesterday``      — [today − 1 day, today): yesterday only
* ``last_week``      — [today − 7 days, today + 1 day): the 7 days before today, and today
* ``last_month``     — [today − 1 month, today + 1 day)
* ``last_3_months``  — [today − 3 months, today + 1 day)
* ``last_year``      — [today − 1 year, today + 1 day)
* ``from..to``       — [from, to + 1 day): both days included

Months and years are calendar steps (python-dateutil: 31 March − 1 month = 28/29 February).
"""

from __future__ import annotations

import difflib
import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from core.i18n import N_, _, format_short_date
from core.limits import (
    DATE_MAX,
    DATE_MIN,
    INT32_MAX,
    date_range_message,
    is_control,
    search_input,
)

# -- vocabulary --------------------------------------------------------------------------------

CreatedPreset = Literal["all", "yesterday", "last_week", "last_month", "last_3_months",
                        "last_year", "custom"]
CREATED_PRESETS: tuple[str, ...] = ("all", "yesterday", "last_week", "last_month",
                                    "last_3_months", "last_year")

# Choice filters (comma = any of) and their values, in display order.
ENUMS: dict[str, tuple[str, ...]] = {
    "state": ("active", "superseded", "deleted"),
    "schedule_type": ("manual", "daily", "weekly_fixedday", "month_startdate", "month_fixedday",
                      "month_lastday"),
    "partial_period_handling": ("bill_prorated", "bill_full", "bill_zero_amount", "no_bill"),
    "setup_fee_handling": ("first", "separate", "separate_conditional"),
    "fixed_life_time_unit": ("months", "days"),
    "trial_interval_unit": ("months", "days"),
}
# What people read for each choice value (translated with `_()`); the query language keeps
# Reepay's values.
ENUM_LABELS: dict[str, dict[str, str]] = {
    "state": {"active": N_("active"), "superseded": N_("superseded"), "deleted": N_("deleted")},
    "schedule_type": {
        "manual": N_("manual — on request"), "daily": N_("daily — every n days"),
        "weekly_fixedday": N_("weekly — on a fixed weekday"),
        "month_startdate": N_("monthly — on the start date"),
        "month_fixedday": N_("monthly — on a fixed day"),
        "month_lastday": N_("monthly — on the last day")},
    "partial_period_handling": {
        "bill_prorated": N_("bill prorated (default)"), "bill_full": N_("bill the full period"),
        "bill_zero_amount": N_("bill a zero amount"),
        "no_bill": N_("no bill: not a billing period")},
    "setup_fee_handling": {
        "first": N_("a line on the first invoice"), "separate": N_("a separate invoice"),
        "separate_conditional": N_("separate if no invoice at the start")},
    "fixed_life_time_unit": {"months": N_("months"), "days": N_("days")},
    "trial_interval_unit": {"months": N_("months"), "days": N_("days")},
}
EXACT_TEXT = ("handle", "dunning_plan")          # exact match
FRAGMENT_TEXT = ("name",)                         # case-insensitive fragment
WORD_TEXT = ("description", "setup_fee_text")     # every word, case-insensitive
NUMBERS = ("amount", "quantity", "fixed_count", "trial_interval_length", "interval_length",
           "schedule_fixed_day", "renewal_reminder_email_days", "trial_reminder_email_days")
MONEY = ("amount",)

# Every filter key, in the order of the seed's "Filter hinzufügen" list (also chip order).
KEYS: tuple[str, ...] = (
    "created", "handle", "state", "schedule_type", "partial_period_handling",
    "setup_fee_handling", "fixed_life_time_unit", "trial_interval_unit", "dunning_plan", "name",
    "description", "setup_fee_text", "amount", "quantity", "fixed_count",
    "trial_interval_length", "interval_length", "schedule_fixed_day",
    "renewal_reminder_email_days", "trial_reminder_email_days",
)

# Short aliases accepted by `parse`; `format` always writes the Reepay name.
ALIASES: dict[str, str] = {
    "c": "created", "date": "created",
    "h": "handle",
    "st": "state", "status": "state",
    "type": "schedule_type", "sched": "schedule_type",
    "pph": "partial_period_handling",
    "sfh": "setup_fee_handling",
    "flu": "fixed_life_time_unit",
    "tiu": "trial_interval_unit",
    "dun": "dunning_plan", "dunning": "dunning_plan",
    "n": "name",
    "desc": "description",
    "sft": "setup_fee_text", "fee_text": "setup_fee_text",
    "amt": "amount", "price": "amount",
    "qty": "quantity",
    "fc": "fixed_count",
    "trial": "trial_interval_length", "til": "trial_interval_length",
    "il": "interval_length", "interval": "interval_length",
    "day": "schedule_fixed_day", "sfd": "schedule_fixed_day",
    "rre": "renewal_reminder_email_days", "renewal_reminder": "renewal_reminder_email_days",
    "tre": "trial_reminder_email_days", "trial_reminder": "trial_reminder_email_days",
}

LABELS: dict[str, str] = {  # chip and panel names of the filters (translated on use)
    "created": N_("Created"),
    "handle": N_("Handle"),
    "state": N_("Status"),
    "schedule_type": N_("Schedule type"),
    "partial_period_handling": N_("Partial period handling"),
    "setup_fee_handling": N_("Setup fee handling"),
    "fixed_life_time_unit": N_("Fixed life time unit"),
    "trial_interval_unit": N_("Trial interval unit"),
    "dunning_plan": N_("Dunning plan"),
    "name": N_("Name"),
    "description": N_("Description"),
    "setup_fee_text": N_("Setup fee text"),
    "amount": N_("Amount"),
    "quantity": N_("Quantity"),
    "fixed_count": N_("Fixed count"),
    "trial_interval_length": N_("Trial interval length"),
    "interval_length": N_("Interval length"),
    "schedule_fixed_day": N_("Schedule fixed day"),
    "renewal_reminder_email_days": N_("Renewal reminder days"),
    "trial_reminder_email_days": N_("Trial reminder days"),
}
PRESET_LABELS: dict[str, str] = {
    "all": N_("all"), "yesterday": N_("yesterday"), "last_week": N_("last week"),
    "last_month": N_("last month"), "last_3_months": N_("last 3 months"),
    "last_year": N_("last year"),
}
# Every number of the filter (amount in minor units) lies in Reepay's int32 range.
MAX_NUMBER = INT32_MAX
MAX_TEXT = 255

# -- the filter state --------------------------------------------------------------------------


class NumRange(BaseModel):
    """An inclusive range of whole numbers; `lo == hi` is an exact value, None an open end."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lo: int | None = None
    hi: int | None = None

    @model_validator(mode="after")
    def _check(self) -> NumRange:
        if self.lo is None and self.hi is None:
            raise ValueError("a range needs at least one end")
        for v in (self.lo, self.hi):
            if v is not None and not 0 <= v <= MAX_NUMBER:
                raise ValueError("out of range")
        if self.lo is not None and self.hi is not None and self.lo > self.hi:
            raise ValueError("lo > hi")
        return self

    @property
    def exact(self) -> bool:
        return self.lo is not None and self.lo == self.hi


def _words(value: tuple[str, ...] | list[str] | str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    out: set[str] = set()
    for chunk in value:
        out.update(w.lower() for w in _split_space(search_input(chunk)))
    return tuple(sorted(out))


def _split_space(text: str) -> list[str]:
    """Split on characters for which str.isspace() is true (the tokenizer's notion)."""
    words, cur = [], []
    for ch in text:
        if ch.isspace():
            if cur:
                words.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
    if cur:
        words.append("".join(cur))
    return words


def _strip(text: str) -> str:
    i, j = 0, len(text)
    while i < j and text[i].isspace():
        i += 1
    while j > i and text[j - 1].isspace():
        j -= 1
    return text[i:j]


class PlanFilter(BaseModel):
    """Every filter of the plan list (seed "Pläne"); the default matches every plan.

    Choice filters are tuples (empty = no filter), kept deduplicated in ENUMS order; word
    filters are sorted, lower-case, deduplicated words; text filters are stripped (empty =
    None). Two filters that select the same plans by the same criteria compare equal.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    created: CreatedPreset = "all"
    created_from: date | None = None   # custom range, both days included
    created_to: date | None = None
    handle: str | None = None
    state: tuple[Literal["active", "superseded", "deleted"], ...] = ()
    schedule_type: tuple[Literal["manual", "daily", "weekly_fixedday", "month_startdate",
                                 "month_fixedday", "month_lastday"], ...] = ()
    partial_period_handling: tuple[Literal["bill_prorated", "bill_full", "bill_zero_amount",
                                           "no_bill"], ...] = ()
    setup_fee_handling: tuple[Literal["first", "separate", "separate_conditional"], ...] = ()
    fixed_life_time_unit: tuple[Literal["months", "days"], ...] = ()
    trial_interval_unit: tuple[Literal["months", "days"], ...] = ()
    dunning_plan: str | None = None
    name: str | None = None
    description: tuple[str, ...] = ()
    setup_fee_text: tuple[str, ...] = ()
    amount: NumRange | None = None   # hundredths of a major unit, any currency
    quantity: NumRange | None = None
    fixed_count: NumRange | None = None
    trial_interval_length: NumRange | None = None
    interval_length: NumRange | None = None
    schedule_fixed_day: NumRange | None = None
    renewal_reminder_email_days: NumRange | None = None
    trial_reminder_email_days: NumRange | None = None

    @field_validator(*ENUMS, mode="after")
    @classmethod
    def _enum_order(cls, value: tuple[str, ...], info) -> tuple[str, ...]:
        order = ENUMS[info.field_name]
        return tuple(v for v in order if v in value)

    @field_validator("description", "setup_fee_text", mode="before")
    @classmethod
    def _word_set(cls, value):
        return _words(value)

    @field_validator("handle", "dunning_plan", "name", mode="after")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = _strip(search_input(value))  # control characters are no part of a filter
        if len(value) > MAX_TEXT:
            raise ValueError("too long")
        return value or None

    @field_validator("created", mode="before")
    @classmethod
    def _one_preset(cls, value):
        if not isinstance(value, str):  # `created: []`, null, a number: refused, not "all"
            raise ValueError("created takes one preset name or 'custom'")  # noqa: TRY004
        return value

    @field_validator("created_from", "created_to", mode="after")
    @classmethod
    def _date_range(cls, value: date | None) -> date | None:
        if value is not None and not DATE_MIN <= value <= DATE_MAX:
            raise ValueError(date_range_message())
        return value

    @model_validator(mode="after")
    def _created(self) -> PlanFilter:
        custom = self.created_from is not None or self.created_to is not None
        if self.created == "custom" and not custom:
            raise ValueError("a custom created range needs a from or a to date")
        if self.created != "custom" and custom:
            raise ValueError("created_from/created_to need created='custom'")
        if (self.created_from and self.created_to and self.created_from > self.created_to):
            raise ValueError("created_from is after created_to")
        return self

    def active_keys(self) -> list[str]:
        """The keys of the filters in use, in KEYS order (one chip each)."""
        return [k for k in KEYS if is_set(self, k)]


def is_set(f: PlanFilter, key: str) -> bool:
    if key == "created":
        return f.created != "all"
    return getattr(f, key) not in (None, ())


def created_range(f: PlanFilter, today: date) -> tuple[date | None, date | None]:
    """The created filter as local dates [start, end) (None = open), relative to `today`."""
    tomorrow = today + timedelta(days=1)
    if f.created == "all":
        return None, None
    if f.created == "custom":
        return f.created_from, (f.created_to + timedelta(days=1)) if f.created_to else None
    start = {
        "yesterday": today - timedelta(days=1),
        "last_week": today - timedelta(days=7),
        "last_month": today - relativedelta(months=1),
        "last_3_months": today - relativedelta(months=3),
        "last_year": today - relativedelta(years=1),
    }[f.created]
    return start, (today if f.created == "yesterday" else tomorrow)


# -- errors ------------------------------------------------------------------------------------


class QueryError(ValueError):
    """A malformed query: `position` and `length` mark the offending text (0-based)."""

    def __init__(self, position: int, length: int, message: str):
        super().__init__(message)
        self.position = position
        self.length = max(1, length)
        self.message = message

    def __repr__(self) -> str:
        return f"QueryError({self.position}, {self.length}, {self.message!r})"


# -- tokenizer ---------------------------------------------------------------------------------


class _Token(BaseModel):
    start: int
    end: int
    key: str | None          # as typed (None for a bare word)
    value: str
    value_start: int
    quoted: bool


def _read_quoted(text: str, i: int) -> tuple[str, int]:
    """A quoted string starting at text[i] == '"'; returns (content, index after the quote)."""
    out, j, n = [], i + 1, len(text)
    while j < n:
        ch = text[j]
        if ch == "\\" and j + 1 < n and text[j + 1] in '"\\':
            out.append(text[j + 1])
            j += 2
            continue
        if ch == '"':
            return "".join(out), j + 1
        out.append(ch)
        j += 1
    raise QueryError(i, n - i, _("The quote opened here is not closed."))


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        if text[i] == '"':
            value, i = _read_quoted(text, i)
            tokens.append(_Token(start=start, end=i, key=None, value=value, value_start=start,
                                 quoted=True))
        else:
            while i < n and not text[i].isspace() and text[i] not in ':"':
                i += 1
            if i < n and text[i] == ":":
                key = text[start:i]
                if not key:
                    raise QueryError(start, 1, _("A filter name is missing before “:”."))
                i += 1
                vstart = i
                if i < n and text[i] == '"':
                    value, i = _read_quoted(text, i)
                    quoted = True
                else:
                    while i < n and not text[i].isspace() and text[i] != '"':
                        i += 1
                    value, quoted = text[vstart:i], False
                tokens.append(_Token(start=start, end=i, key=key, value=value,
                                     value_start=vstart, quoted=quoted))
            else:
                tokens.append(_Token(start=start, end=i, key=None, value=text[start:i],
                                     value_start=start, quoted=False))
        if i < n and not text[i].isspace():
            raise QueryError(i, 1, _("Put a space before “{char}”.").format(char=text[i]))
    return tokens


def canonical_key(typed: str) -> str | None:
    k = typed.lower()
    if k in KEYS:
        return k
    return ALIASES.get(k)


# -- value parsers -----------------------------------------------------------------------------

_INT_RE = re.compile(r"^[0-9]+$")
_MONEY_RE = re.compile(r"^[0-9]+(\.[0-9]*)?$")
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _too_large(text: str, key: str, pos: int) -> QueryError:
    top = money_text(MAX_NUMBER) if key in MONEY else str(MAX_NUMBER)
    shown = text if len(text) <= 24 else text[:20] + "…"
    return QueryError(pos, len(text), _(
        "“{value}” is too large; {field} is at most {max}.").format(
        value=shown, field=key, max=top))


def _number(text: str, key: str, pos: int) -> int:
    digits = len(text.partition(".")[0].lstrip("0"))
    if digits > 12 and (_MONEY_RE if key in MONEY else _INT_RE).match(text):
        raise _too_large(text, key, pos)  # never convert a thousand digits
    if key in MONEY:
        if _MONEY_RE.match(text.replace(",", ".", 1)) and "." not in text:
            text = text.replace(",", ".")  # a decimal comma: "9,99" as German types it
        if not _MONEY_RE.match(text):
            raise QueryError(pos, len(text), _(
                "“{value}” is not an amount; type it in major units, e.g. 10 or 9.99.").format(
                value=text))
        frac = text.partition(".")[2]
        if len(frac) > 2:
            raise QueryError(pos, len(text), _(
                "An amount has at most 2 decimals (“{value}”).").format(value=text))
        try:
            value = int(Decimal(text) * 100)
        except InvalidOperation:  # pragma: no cover - the regex admits only decimals
            raise QueryError(pos, len(text), _("Not a number.")) from None
    else:
        if not _INT_RE.match(text):
            raise QueryError(pos, len(text), _(
                "“{value}” is not a whole number.").format(value=text))
        value = int(text)
    if value > MAX_NUMBER:
        raise _too_large(text, key, pos)
    return value


def _range(text: str, key: str, pos: int) -> NumRange:
    if not text:
        raise QueryError(pos, 1, _("Enter a number or a range a-b."))
    sep = ".." if ".." in text else ("-" if "-" in text else None)
    if sep is None:
        v = _number(text, key, pos)
        return NumRange(lo=v, hi=v)
    left, _s, right = text.partition(sep)
    if not left and not right:
        raise QueryError(pos, len(text), _("Enter a number or a range a-b."))
    lo = _number(left, key, pos) if left else None
    hi = _number(right, key, pos + len(left) + len(sep)) if right else None
    if lo is not None and hi is not None and lo > hi:
        raise QueryError(pos, len(text), _(
            "The range starts above its end ({value}).").format(value=text))
    return NumRange(lo=lo, hi=hi)


def _date(text: str, pos: int, today: date) -> date:
    if text.lower() == "today":
        return today
    if _DATE_RE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            pass
        else:
            if not DATE_MIN <= day <= DATE_MAX:
                raise QueryError(pos, len(text), date_range_message())
            return day
    raise QueryError(pos, max(1, len(text)), _(
        "“{value}” is not a date; write YYYY-MM-DD.").format(value=text))


def _created(text: str, pos: int, today: date) -> dict:
    low = text.lower()
    if low in CREATED_PRESETS:
        return {"created": low, "created_from": None, "created_to": None}
    if ".." in text:
        left, _s, right = text.partition("..")
        if not left and not right:
            raise QueryError(pos, len(text), _("Give a start or an end date."))
        start = _date(left, pos, today) if left else None
        end = _date(right, pos + len(left) + 2, today) if right else None
        if start and end and start > end:
            raise QueryError(pos, len(text), _("The start date is after the end date."))
        return {"created": "custom", "created_from": start, "created_to": end}
    if _DATE_RE.match(text) or low == "today":
        d = _date(text, pos, today)
        return {"created": "custom", "created_from": d, "created_to": d}
    raise QueryError(pos, max(1, len(text)), _(
        "Use a preset ({presets}) or dates FROM..TO, e.g. 2025-01-01..2025-06-30.").format(
        presets=", ".join(CREATED_PRESETS)))


def _enum_values(text: str, key: str, pos: int) -> tuple[str, ...]:
    out: list[str] = []
    offset = 0
    for part in text.split(","):
        p = pos + offset
        offset += len(part) + 1
        v = part.strip().lower()
        if not v:
            raise QueryError(p, max(1, len(part)), _(
                "An empty choice; separate values with single commas."))
        if v not in ENUMS[key]:
            raise QueryError(p, len(part), _("“{value}” is not a value of {field}: {choices}."
                                             ).format(value=part, field=_(LABELS[key]),
                                                      choices=", ".join(ENUMS[key])))
        out.append(v)
    return tuple(out)


# -- parse / format ----------------------------------------------------------------------------


def _clean(text: str) -> tuple[str, list[int]]:
    """`text` without control characters (whitespace controls become a space), and where
    each character of the result stood in `text` (plus one entry for the end)."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if is_control(ch):
            if not ch.isspace():
                continue
            ch = " "
        out.append(ch)
        where.append(i)
    where.append(len(text))
    return "".join(out), where


def _only_controls(tok: _Token, where: list[int], original: str) -> bool:
    """Whether the (empty) value of `tok` was typed as control characters only."""
    lo = where[tok.value_start - 1] + 1  # after the ":"
    hi = where[tok.end - 1] + 1 if tok.end > tok.value_start else where[tok.value_start]
    return any(is_control(ch) and not ch.isspace() for ch in original[lo:hi])


def parse(text: str, *, today: date) -> PlanFilter:
    """The filter a query line describes; raises QueryError (position, length, message).

    `today` is the date `today` stands for in created ranges. Presets stay relative: they
    are resolved when the list is queried, so a saved view keeps meaning "last week".
    Control characters (NUL, ESC …) are dropped first; positions refer to `text` as given.
    """
    clean, where = _clean(text)
    if len(clean) == len(text):
        return _parse(text, today, text)
    try:
        return _parse(clean, today, text, where)
    except QueryError as exc:
        start = where[min(exc.position, len(clean))]
        end = where[min(exc.position + exc.length, len(clean))]
        raise QueryError(start, max(1, end - start), exc.message) from None


def _parse(text: str, today: date, original: str, where: list[int] | None = None
           ) -> PlanFilter:
    values: dict = {}
    seen: dict[str, int] = {}
    name_parts: list[str] = []
    for tok in _tokens(text):
        if tok.key is None:
            name_parts.append(tok.value)
            continue
        key = canonical_key(tok.key)
        if key is None:
            close = difflib.get_close_matches(tok.key.lower(), list(KEYS) + list(ALIASES), n=1)
            hint = (" " + _("Did you mean {key}?").format(key=canonical_key(close[0]))
                    if close else "")
            raise QueryError(tok.start, len(tok.key), _(
                "Unknown filter “{key}”.").format(key=tok.key) + hint)
        if not tok.value and where is not None and _only_controls(tok, where, original):
            # `name:\x00`: the value was nothing but control characters
            raise QueryError(tok.start, tok.end - tok.start, _(
                "“{key}:” has only control characters as its value.").format(key=tok.key))
        if not tok.value and key not in FRAGMENT_TEXT + WORD_TEXT:
            raise QueryError(tok.start, tok.end - tok.start, _(
                "“{key}:” needs a value.").format(key=tok.key))
        repeatable = key in ENUMS or key in WORD_TEXT or key in FRAGMENT_TEXT
        if key in seen and not repeatable:
            raise QueryError(tok.start, tok.end - tok.start, _(
                "{field} is given twice.").format(field=key))
        seen[key] = tok.start
        if key == "created":
            values.update(_created(tok.value, tok.value_start, today))
        elif key in ENUMS:
            values[key] = values.get(key, ()) + _enum_values(tok.value, key, tok.value_start)
        elif key in WORD_TEXT:
            values[key] = values.get(key, ()) + tuple(_split_space(tok.value))
        elif key in FRAGMENT_TEXT:
            name_parts.append(tok.value)
        elif key in EXACT_TEXT:
            if len(_strip(tok.value)) > MAX_TEXT:
                raise QueryError(tok.value_start, len(tok.value), _("Too long."))
            values[key] = tok.value
        else:
            values[key] = _range(tok.value, key, tok.value_start)
    if name_parts:
        name = " ".join(p for p in (_strip(x) for x in name_parts) if p)
        if len(name) > MAX_TEXT:
            raise QueryError(0, len(text), _("The name fragment is too long."))
        values["name"] = name
    try:
        return PlanFilter(**values)
    except ValidationError as exc:  # a combination the tokens could not catch on their own
        raise QueryError(0, len(text), _("This filter is not valid: {error}").format(
            error=exc.errors()[0].get("msg", ""))) from None


_SAFE_BARE = re.compile(r'^[^\s":,]+$')


def _quote(value: str, *, allow_bare: bool = True) -> str:
    if allow_bare and _SAFE_BARE.match(value) and not any(c.isspace() for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def amount_bounds(r: NumRange) -> list[tuple[int, int | None, int | None]]:
    """The amount filter per currency exponent: [(exponent, lo, hi)] in that exponent's minor
    units, for the exponents where some amount can match (`core.money.CODES_BY_EXPONENT`).

    `r` is in hundredths of a major unit; a bound is rounded inwards (JPY: lo 9.50 → 10, hi
    9.50 → 9) and held to int32.
    """
    from core.money import CODES_BY_EXPONENT

    out = []
    for exp in sorted(CODES_BY_EXPONENT):
        if exp >= 2:
            scale = 10 ** (exp - 2)
            lo = None if r.lo is None else r.lo * scale
            hi = None if r.hi is None else min(r.hi * scale, MAX_NUMBER)
        else:
            scale = 10 ** (2 - exp)
            lo = None if r.lo is None else -(-r.lo // scale)
            hi = None if r.hi is None else r.hi // scale
        if lo is not None and (lo > MAX_NUMBER or (hi is not None and lo > hi)):
            continue
        out.append((exp, lo, hi))
    return out


def money_text(minor: int) -> str:
    """Minor units as the query language's major units: 1000 → "10", 999 → "9.99"."""
    whole, cents = divmod(minor, 100)
    return str(whole) if cents == 0 else f"{whole}.{cents:02d}"


def _range_text(r: NumRange, key: str) -> str:
    num = money_text if key in MONEY else str
    if r.exact:
        return num(r.lo)
    return (num(r.lo) if r.lo is not None else "") + "-" + (
        num(r.hi) if r.hi is not None else "")


def _created_text(f: PlanFilter) -> str:
    if f.created != "custom":
        return f.created
    if f.created_from is not None and f.created_from == f.created_to:
        return f.created_from.isoformat()
    return ((f.created_from.isoformat() if f.created_from else "") + ".."
            + (f.created_to.isoformat() if f.created_to else ""))


def format_value(f: PlanFilter, key: str) -> str:
    """One filter's value in the query language (unquoted)."""
    if key == "created":
        return _created_text(f)
    v = getattr(f, key)
    if key in ENUMS:
        return ",".join(v)
    if key in WORD_TEXT:
        return " ".join(v)
    if key in NUMBERS:
        return _range_text(v, key)
    return v


def format(f: PlanFilter) -> str:
    """The canonical query text of `f`: Reepay key names, KEYS order; parse(format(f)) == f."""
    parts = []
    for key in f.active_keys():
        value = format_value(f, key)
        if key in ENUMS or key in NUMBERS or key == "created":
            parts.append(f"{key}:{value}")
        else:
            parts.append(f"{key}:{_quote(value)}")
    return " ".join(parts)


# -- chips -------------------------------------------------------------------------------------


class Chip(BaseModel):
    """One active filter as the list shows it: `label` is the filter name with its value."""

    model_config = ConfigDict(frozen=True)

    key: str
    label: str


def _money_label(minor: int) -> str:
    """Hundredths of a major unit in the operator's format: 1000 → "10.00" / "10,00"."""
    from core.money import format_minor

    return format_minor(minor, "EUR", with_symbol=False)  # any currency of two decimals


def value_label(f: PlanFilter, key: str) -> str:
    """A filter's value for people, in their language: "active, superseded", "10.00–50.00"
    ("10,00–50,00" in German), "last month", "01.03.2025–30.06.2025"."""
    if key == "created":
        if f.created != "custom":
            return _(PRESET_LABELS[f.created])
        a, b = f.created_from, f.created_to
        if a and b:
            return format_short_date(a) if a == b else (
                f"{format_short_date(a)}–{format_short_date(b)}")
        if a:
            return _("from {date}").format(date=format_short_date(a))
        return _("until {date}").format(date=format_short_date(b))
    v = getattr(f, key)
    if key in ENUMS:
        return ", ".join(_(ENUM_LABELS[key][x]) for x in v)
    if key in WORD_TEXT:
        return " ".join(v)
    if key in NUMBERS:
        num = _money_label if key in MONEY else str
        if v.exact:
            return num(v.lo)
        if v.lo is None:
            return "≤ " + num(v.hi)
        if v.hi is None:
            return "≥ " + num(v.lo)
        return f"{num(v.lo)}–{num(v.hi)}"
    return v


def chips(f: PlanFilter) -> list[Chip]:
    """The active filters, one chip each, e.g. Chip("state", "Status: active, superseded")."""
    return [Chip(key=k, label=f"{_(LABELS[k])}: {value_label(f, k)}") for k in f.active_keys()]


def remove(f: PlanFilter, key: str) -> PlanFilter:
    """`f` without the filter `key` (a chip's key); unknown keys raise KeyError."""
    if key not in KEYS:
        raise KeyError(key)
    if key == "created":
        return f.model_copy(update={"created": "all", "created_from": None,
                                    "created_to": None})
    default = PlanFilter.model_fields[key].default
    return f.model_copy(update={key: default})


def replace(f: PlanFilter, **changes) -> PlanFilter:
    """`f` with some filters changed, validated like a new filter (for the filter panel)."""
    return PlanFilter(**{**f.model_dump(), **changes})


# -- completion --------------------------------------------------------------------------------


class Completion(BaseModel):
    """Replace text[replace_from:replace_to] with `value`; `display` is what a menu shows."""

    model_config = ConfigDict(frozen=True)

    replace_from: int
    replace_to: int
    value: str
    display: str


def _token_bounds(text: str, cursor: int) -> tuple[int, int]:
    """The whitespace-delimited token around the cursor (quotes respected up to the cursor)."""
    start, in_quote, i = 0, False, 0
    while i < cursor:
        ch = text[i]
        if ch == "\\" and in_quote:
            i += 2
            continue
        if ch == '"':
            in_quote = not in_quote
        elif ch.isspace() and not in_quote:
            start = i + 1
        i += 1
    end = cursor
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end


def completions(text: str, cursor: int | None = None) -> list[Completion]:
    """Candidates for the token at `cursor`: filter keys, then values of choice keys/created.

    A key completes to "key:" (display "key — Label"); a choice value completes the
    comma-separated part under the cursor, leaving values already listed out.
    """
    cursor = len(text) if cursor is None else max(0, min(cursor, len(text)))
    start, end = _token_bounds(text, cursor)
    token = text[start:cursor]
    if ":" not in token:
        prefix = token.lower()
        if prefix.startswith('"'):
            return []
        out = []
        for k in KEYS:
            if k.startswith(prefix):
                out.append(Completion(replace_from=start, replace_to=end, value=k + ":",
                                      display=f"{k} — {_(LABELS[k])}"))
        for alias, k in ALIASES.items():
            if prefix and alias.startswith(prefix) and not k.startswith(prefix):
                out.append(Completion(replace_from=start, replace_to=end, value=k + ":",
                                      display=f"{alias} → {k} — {_(LABELS[k])}"))
        return out
    typed_key, _c, typed_value = token.partition(":")
    key = canonical_key(typed_key)
    vstart = start + len(typed_key) + 1
    if key == "created":
        prefix = typed_value.lower()
        return [Completion(replace_from=vstart, replace_to=end, value=p,
                           display=_(PRESET_LABELS[p]))
                for p in CREATED_PRESETS if p.startswith(prefix)]
    if key not in ENUMS:
        return []
    before, _sep, part = typed_value.rpartition(",")
    part_start = vstart + (len(before) + 1 if _sep else 0)
    rest = text[cursor:end]
    part_end = cursor + (rest.find(",") if "," in rest else len(rest))
    listed = {v.strip().lower() for v in typed_value.split(",")[:-1]}
    listed.update(v.strip().lower() for v in rest.split(",")[1:])
    return [Completion(replace_from=part_start, replace_to=part_end, value=v,
                       display=f"{v} — {_(ENUM_LABELS[key][v])}")
            for v in ENUMS[key] if v.startswith(part.lower()) and v not in listed]


__all__ = [
    "ALIASES",
    "CREATED_PRESETS",
    "ENUMS",
    "ENUM_LABELS",
    "KEYS",
    "LABELS",
    "NUMBERS",
    "Chip",
    "Completion",
    "NumRange",
    "PlanFilter",
    "QueryError",
    "amount_bounds",
    "chips",
    "completions",
    "created_range",
    "format",
    "format_value",
    "is_set",
    "money_text",
    "parse",
    "remove",
    "replace",
    "value_label",
]
