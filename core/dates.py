"""The keyboard date parser: what an agent types into a date field (issue 11, item 3).

`parse_date(text, today=…, lang=…)` is pure (no clock, no database): it turns

* `2026-12-31` (ISO), `31.12.2026` / `31.12.26` (German and Italian order), `31/12/2026`;
* `+14d`, `+2w`, `+2m`, `+1y` (from `today`; `-3d` into the past);
* `today`, `tomorrow`, `yesterday`, `end of month`, `end of year`;
* with `lang="de"`: `heute`, `morgen`, `gestern`, `Monatsende` / `Ende des Monats`,
  `Jahresende`, units `t` (Tage), `w` (Wochen), `m`, `j` (Jahre);
* with `lang="it"`: `oggi`, `domani`, `ieri`, `fine mese` / `fine del mese`, `fine anno`,
  units `g` (giorni), `s` (settimane), `m`, `a` (anni);

into a `date`, or raises `DateInputError` with a translated message. English words are
always understood. Month arithmetic clamps to the month's last day (31 Jan + 1m = 28 Feb).
`day_end(d, tz)` is the moment a date alone means: the end of that local day (the next local
midnight, exclusive). Dates outside core.limits' sane range are refused.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.i18n import _

MAX_TEXT = 40
MAX_OFFSET = 100_000  # days (or weeks, months, years — then bounded by the date range)
MIN_YEAR, MAX_YEAR = 1900, 2999


class DateInputError(ValueError):
    """The text is not a date this parser understands (message translated)."""


_WORDS: dict[str, dict[str, str]] = {
    "en": {"today": "today", "now": "today", "tomorrow": "tomorrow",
           "yesterday": "yesterday", "end of month": "eom", "eom": "eom",
           "end of year": "eoy", "eoy": "eoy"},
    "de": {"heute": "today", "morgen": "tomorrow", "gestern": "yesterday",
           "monatsende": "eom", "ende des monats": "eom", "ende monat": "eom",
           "jahresende": "eoy", "ende des jahres": "eoy", "übermorgen": "+2d",
           "uebermorgen": "+2d"},
    "it": {"oggi": "today", "domani": "tomorrow", "ieri": "yesterday",
           "fine mese": "eom", "fine del mese": "eom", "fine anno": "eoy",
           "fine dell'anno": "eoy", "dopodomani": "+2d"},
}
_UNITS: dict[str, dict[str, str]] = {
    "en": {"d": "d", "w": "w", "m": "m", "y": "y"},
    "de": {"t": "d", "d": "d", "w": "w", "m": "m", "j": "y", "y": "y"},
    "it": {"g": "d", "d": "d", "s": "w", "w": "w", "m": "m", "a": "y", "y": "y"},
}
_OFFSET = re.compile(r"^([+-])\s*(\d{1,6})\s*([a-zà-ü]+)$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{2}|\d{4})$")
_UNIT_WORDS = {
    "days": "d", "day": "d", "tage": "d", "tag": "d", "giorni": "d", "giorno": "d",
    "weeks": "w", "week": "w", "wochen": "w", "woche": "w", "settimane": "w",
    "settimana": "w", "months": "m", "month": "m", "monate": "m", "monat": "m", "mesi": "m",
    "mese": "m", "years": "y", "year": "y", "jahre": "y", "jahr": "y", "anni": "y",
    "anno": "y",
}


def _languages(lang: str | None) -> list[str]:
    return ["en"] + ([lang] if lang in ("de", "it") else [])


def add_months(d: date, months: int) -> date:
    """`d` moved by whole months, the day clamped to the target month's length."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DateInputError(_("The date is out of range (years {lo}–{hi}).").format(
            lo=MIN_YEAR, hi=MAX_YEAR))
    day = min(d.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def end_of_month(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def _checked(d: date) -> date:
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        raise DateInputError(_("The date is out of range (years {lo}–{hi}).").format(
            lo=MIN_YEAR, hi=MAX_YEAR))
    return d


def _make(year: int, month: int, day: int) -> date:
    try:
        return _checked(date(year, month, day))
    except ValueError:
        raise DateInputError(_("There is no such day: {day:02d}.{month:02d}.{year}.").format(
            day=day, month=month, year=year)) from None


def _offset(sign: str, n: int, unit: str, today: date) -> date:
    if n > MAX_OFFSET:
        raise DateInputError(_("The date is out of range (years {lo}–{hi}).").format(
            lo=MIN_YEAR, hi=MAX_YEAR))
    k = n if sign == "+" else -n
    if unit == "m":
        return add_months(today, k)
    if unit == "y":
        return add_months(today, 12 * k)
    days = k * (7 if unit == "w" else 1)
    try:
        return _checked(today + timedelta(days=days))
    except OverflowError:
        raise DateInputError(_("The date is out of range (years {lo}–{hi}).").format(
            lo=MIN_YEAR, hi=MAX_YEAR)) from None


def _word(meaning: str, today: date) -> date:
    if meaning == "today":
        return today
    if meaning == "tomorrow":
        return _checked(today + timedelta(days=1))
    if meaning == "yesterday":
        return _checked(today - timedelta(days=1))
    if meaning == "eom":
        return end_of_month(today)
    if meaning == "eoy":
        return date(today.year, 12, 31)
    m = _OFFSET.match(meaning)
    assert m is not None
    return _offset(m.group(1), int(m.group(2)), m.group(3), today)


def parse_date(text: str, *, today: date, lang: str | None = None) -> date:
    """The date `text` names (see the module docstring); DateInputError when it names none."""
    if not isinstance(text, str):
        raise DateInputError(_("Type a date."))
    raw = " ".join(text.strip().lower().split())
    if not raw:
        raise DateInputError(_("Type a date."))
    if len(raw) > MAX_TEXT or any(ord(ch) < 32 or ord(ch) == 127 for ch in raw):
        raise DateInputError(_("Not a date: {text}").format(text=text[:MAX_TEXT]))
    langs = _languages(lang)
    for code in langs:
        if raw in _WORDS[code]:
            return _word(_WORDS[code][raw], today)
    if m := _ISO.match(raw):
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _DMY.match(raw):
        year = int(m.group(3))
        if len(m.group(3)) == 2:
            year += 2000
        return _make(year, int(m.group(2)), int(m.group(1)))
    if m := _OFFSET.match(raw):
        unit_text = m.group(3)
        unit = _UNIT_WORDS.get(unit_text)
        if unit is None:
            for code in reversed(langs):
                if unit_text in _UNITS[code]:
                    unit = _UNITS[code][unit_text]
                    break
        if unit is not None:
            return _offset(m.group(1), int(m.group(2)), unit, today)
    raise DateInputError(_("Not a date: {text} (try 2026-12-31, 31.12.2026, +14d, +2m, "
                           "today, tomorrow, end of month)").format(text=text.strip()))


def day_end(d: date, tz: ZoneInfo) -> datetime:
    """The end of local day `d`: the next local midnight, as a UTC moment."""
    nxt = d + timedelta(days=1)
    return datetime.combine(nxt, time(0), tzinfo=tz).astimezone(UTC)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    """The local date a moment belongs to (an end at midnight belongs to the day before: the
    day it ends)."""
    local = moment.astimezone(tz)
    if local.time() == time(0):
        return local.date() - timedelta(days=1)
    return local.date()


def parse_end(text: str, *, today: date, tz: ZoneInfo, lang: str | None = None) -> datetime:
    """What an end-date field means: an ISO date-time as given (naive = local), else the end
    of the local day `parse_date` names."""
    raw = text.strip() if isinstance(text, str) else ""
    if "t" in raw.lower() and re.match(r"^\d{4}-\d{2}-\d{2}[tT ]\d", raw):
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise DateInputError(_("Not a date: {text}").format(text=raw[:MAX_TEXT])) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)
        _checked(moment.date())
        return moment.astimezone(UTC)
    return day_end(parse_date(text, today=today, lang=lang), tz)


__all__ = ["DateInputError", "add_months", "day_end", "end_of_month", "local_day",
           "parse_date", "parse_end"]
