"""The lesson engine: which lessons of an access are open at a moment, and when the others open.

Pure (no SQLAlchemy, no Textual, no database): the order editor's preview, the Products tab and
`kontor lessons` call the one function, `lesson_states`. It applies SPEC §4.1 rules 1–5 in that
order (docs/lessons.md says them in our words):

1. tariff (`all`, `first N`, `only [i, …]`) → `not_in_tariff`;
2. the end of access (S + N days, same local time, or S + N months with month ends clamped),
   moved by pauses → `ended` at or after it;
3. checkpoints on: after a checkpoint lesson of the tariff whose practice is not accepted →
   `blocked`;
4. the opening moment (release `none`: S; `delays`: 0 → S, d > 0 → local midnight of the day
   local-date(S) + d; `dates`: local midnight of `open_on`, or S when that is earlier or unset);
5. pauses in order of their start P, each on the previous result: every moment at or after P
   moves later by k = ⌈(Q − P) / 24 h⌉ days, same local time of day; a pause not yet resumed
   holds every moment at or after P (`scheduled`, no `opens_at`), and holds the end (None).
   `open` once at ≥ opens_at, else `scheduled`.

Decisions the SPEC leaves open (also in docs/lessons.md):
- Q − P is elapsed time (instants), so a 23-hour pause over the spring DST switch is k = 1.
- A local midnight inside a DST gap is the first existing moment of that day; a local
  midnight moved by a pause stays the start of its (new) day. Any other wall time inside a
  gap moves forward by the gap (02:30 → 03:30); an ambiguous one takes its first occurrence.
- `ended` lessons carry no `opens_at` (only `open` and `scheduled` do).
- An `only` position beyond the last lesson and a `first N` beyond n are ignored here (the
  callers refuse the former: `kontor lessons` exits 2).

The template and lessons are read by attribute (duck typing on
core.schemas.access_template.AccessTemplate and LessonSpec), so this module imports no schema
and sits with core/billing at the bottom of the import contract.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

DEFAULT_TZ = "Europe/Berlin"
STATES: tuple[str, ...] = ("not_in_tariff", "ended", "blocked", "open", "scheduled")
_DAY = timedelta(days=1)
_MIDNIGHT = time()


class LessonRangeError(ValueError):
    """A moment would leave what a datetime can hold (a delay or pauses of thousands of years).

    `field` names the input to blame (`delay_days`, `open_on`, `pauses`, `duration`)."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Pause:
    """A pause of the access from `start` (P) to `end` (Q); `end` None = not yet resumed."""

    start: datetime
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class LessonState:
    position: int  # 1-based
    state: str  # one of STATES
    opens_at: datetime | None  # local (account zone) aware datetime for open/scheduled


@dataclass(frozen=True, slots=True)
class LessonPreview:
    """The access's start and end (None: unlimited, or held by a pause not yet resumed) and
    every lesson's state at `at`, in lesson order."""

    start: datetime
    end: datetime | None
    end_held: bool  # True when the end is unknown because a pause is not yet resumed
    at: datetime
    lessons: tuple[LessonState, ...]

    def count(self) -> tuple[int, int]:
        """(open, in tariff): "open lessons today: 7 of 12"."""
        return count_open(self.lessons)


def count_open(states: Iterable[LessonState]) -> tuple[int, int]:
    """(lessons open, lessons in the tariff) — "open lessons today: 7 of 12"."""
    opened = in_tariff = 0
    for s in states:
        if s.state != "not_in_tariff":
            in_tariff += 1
            if s.state == "open":
                opened += 1
    return opened, in_tariff


# -- local time ----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def as_zone(tz: str | tzinfo | None) -> tzinfo:
    """A tzinfo for an IANA name (cached), a tzinfo as it is; None is the default zone."""
    if tz is None:
        return _zone(DEFAULT_TZ)
    if isinstance(tz, str):
        return _zone(tz)
    return tz


def _exists(local: datetime, tz: tzinfo) -> bool:
    back = local.astimezone(UTC).astimezone(tz)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


@lru_cache(maxsize=8192)
def start_of_day(day: date, tz: tzinfo) -> datetime:
    """The first moment of a local calendar day (local midnight; inside a DST gap at midnight,
    the first moment that exists that day), as an aware local datetime."""
    candidate = datetime.combine(day, _MIDNIGHT, tzinfo=tz)  # fold=0: first occurrence
    if _exists(candidate, tz):
        return candidate
    # In a gap: fold=0 reads the wall time with the offset before the transition (an instant
    # after it), fold=1 with the one after (an instant before it). The first moment of the day
    # is the first instant in between whose local date is `day`.
    lo = candidate.replace(fold=1).astimezone(UTC)
    hi = candidate.astimezone(UTC)
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).date() >= day:
            hi = mid
        else:
            lo = mid
    hi = hi.replace(microsecond=0)
    if hi.astimezone(tz).date() < day:
        hi += timedelta(seconds=1)
    return hi.astimezone(tz)


@lru_cache(maxsize=8192)
def _utc_day(day: date, tz: tzinfo) -> datetime:
    """start_of_day as a UTC instant."""
    return start_of_day(day, tz).astimezone(UTC)


def _resolve(wall: datetime, tz: tzinfo) -> datetime:
    """A naive local wall time as a UTC instant (gap: forward by the gap; fold: first)."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def _is_start_of_day(moment: datetime, tz: tzinfo) -> bool:
    local = moment.astimezone(tz)
    if local.hour == 0 and local.minute == 0 and local.second == 0 and not local.microsecond:
        return True
    return local == start_of_day(local.date(), tz) and _gap_day(local.date(), tz)


def _gap_day(day: date, tz: tzinfo) -> bool:
    return not _exists(datetime.combine(day, _MIDNIGHT, tzinfo=tz), tz)


def _later(moment: datetime, tz: tzinfo, *, days: int = 0, months: int = 0) -> datetime:
    """`moment` + days/months on local wall time (same local time of day; the start of a day
    stays the start of its new day; month ends clamp), as a UTC instant."""
    local = moment.astimezone(tz)
    if _is_start_of_day(local, tz):
        target = local.date() + (relativedelta(months=months) if months else timedelta(days=days))
        return _utc_day(target, tz)
    wall = local.replace(tzinfo=None)
    wall = wall + (relativedelta(months=months) if months else timedelta(days=days))
    return _resolve(wall, tz)


def move_later(moment: datetime, tz: str | tzinfo | None, *, days: int = 0,
               months: int = 0) -> datetime:
    """`moment` + N days or N months of local wall time, as rule 2 and rule 5 move an end
    (same local time of day; a day's start stays the start of its new day; month ends
    clamp), as an aware datetime in `tz`. LessonRangeError past year 9999."""
    zone = as_zone(tz)
    try:
        return _later(moment.astimezone(UTC), zone, days=days, months=months).astimezone(zone)
    except OverflowError:
        raise LessonRangeError("duration", "the moment would lie after the year 9999") from None


def pause_days(start: datetime, end: datetime) -> int:
    """k = ⌈(Q − P) / 1 day⌉ of rule 5 (elapsed time)."""
    return math.ceil((end.astimezone(UTC) - start.astimezone(UTC)) / _DAY)


# -- the rules -----------------------------------------------------------------------------


def in_tariff(open_lessons: Any, n: int) -> list[bool]:
    """Rule 1: for positions 1..n, whether the lesson is in the tariff."""
    if open_lessons == "all" or open_lessons is None:
        return [True] * n
    first = getattr(open_lessons, "first", None)
    if first is None and isinstance(open_lessons, dict):
        first = open_lessons.get("first")
    if first is not None:
        return [pos <= first for pos in range(1, n + 1)]
    only = getattr(open_lessons, "only", None)
    if only is None and isinstance(open_lessons, dict):
        only = open_lessons.get("only")
    if only is not None:
        chosen = set(only)
        return [pos in chosen for pos in range(1, n + 1)]
    raise ValueError(f"unknown open_lessons: {open_lessons!r}")


def _duration(template: Any) -> tuple[int, str] | None:
    d = getattr(template, "duration", None)
    if d is None:
        return None
    if isinstance(d, dict):
        return int(d["length"]), d["unit"]
    return int(d.length), d.unit


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _first_day_at_or_after(moment: datetime, tz: tzinfo) -> int:
    """The ordinal of the first local day whose start is at or after `moment`."""
    local = moment.astimezone(tz)
    day = local.date()
    exact = moment.astimezone(UTC) == _utc_day(day, tz)
    return day.toordinal() if exact else day.toordinal() + 1


_MAX_ORDINAL = date.max.toordinal() - 1


def lesson_states(lessons: Sequence[Any], template: Any, start: datetime, *,
                  at: datetime, pauses: Iterable[Pause | tuple] = (),
                  accepted: Iterable[int] = (), tz: str | tzinfo | None = None) -> LessonPreview:
    """Every lesson's state at `at` and the access end (SPEC §4.1 rules 1–5, in that order).

    `lessons`: in order (position = index + 1), each with `delay_days`, `open_on`, `checkpoint`
    (LessonSpec). `template`: AccessTemplate (open_lessons, release, checkpoints, duration).
    `start` (S) and `at`: aware datetimes. `pauses`: Pause or (P, Q | None) in any order.
    `accepted`: positions of lessons whose practice is accepted. `tz`: the account zone.
    Datetimes returned are aware, in `tz`. Raises ValueError for a naive datetime, a pause that
    does not end after it starts, or an unknown release; LessonRangeError past year 9999.

    How it stays fast (the order editor recomputes per keystroke): every opening moment is
    either S (and all of those move alike, so S is moved once) or the start of a local day,
    held as a day number; a pause from P moves the days d ≥ first day starting at or after P,
    an integer comparison, and a day becomes a datetime only once, at the end (cached).
    """
    zone = as_zone(tz)
    if start.tzinfo is None or at.tzinfo is None:
        raise ValueError("start and at must be aware datetimes")
    # Instants are compared in UTC: Python compares two datetimes sharing one tzinfo by wall
    # time, which is wrong in the repeated hour of an autumn DST switch.
    s_utc = start.astimezone(UTC)
    at_utc = at.astimezone(UTC)
    s_local = start.astimezone(zone)
    s_day = s_local.date().toordinal()
    s_is_day = s_utc == _utc_day(s_local.date(), zone)
    n = len(lessons)
    tariff = in_tariff(_attr(template, "open_lessons", "all"), n)
    release = _attr(template, "release", "none")
    checkpoints = bool(_attr(template, "checkpoints", False))
    accepted_set = set(accepted)

    # Rule 4: the opening moment of every lesson in the tariff: a day number (its start), or
    # -1 for "at S" (S not being the start of a day); None outside the tariff.
    S_ENTRY = -1
    at_s = S_ENTRY if not s_is_day else s_day
    days: list[int | None] = [None] * n
    for i, lesson in enumerate(lessons):
        if not tariff[i]:
            continue
        if release == "none":
            days[i] = at_s
        elif release == "delays":
            d = int(_attr(lesson, "delay_days", 0) or 0)
            if d < 0:
                raise ValueError("a delay cannot be negative")
            days[i] = at_s if d == 0 else s_day + d
        elif release == "dates":
            on = _attr(lesson, "open_on")
            if isinstance(on, datetime):
                on = on.date()
            days[i] = on.toordinal() if on is not None and on.toordinal() > s_day else at_s
        else:
            raise ValueError(f"unknown release: {release!r}")
        if days[i] > _MAX_ORDINAL:
            raise LessonRangeError("delay_days", "a lesson would open after the year 9999")

    # Rule 2: the end, before pauses.
    end: datetime | None = None
    dur = _duration(template)
    if dur is not None:
        length, unit = dur
        try:
            end = (_later(s_utc, zone, days=length) if unit == "days"
                   else _later(s_utc, zone, months=length))
        except OverflowError:
            raise LessonRangeError("duration", "the access would end after the year 9999") from None

    # Rule 5: pauses in order of their start, each on the previous result.
    held = [False] * n
    s_moved: datetime | None = s_utc  # where the "at S" lessons open; None: held
    end_held = False
    ordered = sorted((p if isinstance(p, Pause) else Pause(*p) for p in pauses),
                     key=lambda p: p.start.astimezone(UTC))
    try:
        for pause in ordered:
            if pause.start.tzinfo is None or (pause.end is not None
                                              and pause.end.tzinfo is None):
                raise ValueError("pauses must be aware datetimes")
            p = pause.start.astimezone(UTC)
            first_day = _first_day_at_or_after(p, zone)
            if pause.end is None:
                for i, d in enumerate(days):
                    if d is not None and d >= first_day:
                        held[i] = True
                if s_moved is not None and s_moved >= p:
                    s_moved = None
                if end is not None and end >= p:
                    end_held = True
                continue
            span = pause.end.astimezone(UTC) - p
            if span <= timedelta(0):
                raise ValueError("a pause must end after it starts")
            k = math.ceil(span / _DAY)
            for i, d in enumerate(days):
                if d is not None and d >= first_day and not held[i]:
                    days[i] = d + k
                    if d + k > _MAX_ORDINAL:
                        raise OverflowError
            if s_moved is not None and s_moved >= p:
                s_moved = _later(s_moved, zone, days=k)
            if end is not None and not end_held and end >= p:
                end = _later(end, zone, days=k)
    except OverflowError:
        raise LessonRangeError("pauses", "the pauses move a moment after the year 9999") from None

    # Rules 1–5 in order, per lesson.
    ended = end is not None and not end_held and at_utc >= end
    at_day = at_utc.astimezone(zone).date().toordinal()  # start of day d ≤ at ⇔ d ≤ at_day
    s_out = s_moved.astimezone(zone) if s_moved is not None else None
    blocking = False  # a checkpoint lesson of the tariff before this one is not accepted
    out: list[LessonState] = []
    for i in range(n):
        pos = i + 1
        d = days[i]
        if d is None:
            out.append(LessonState(pos, "not_in_tariff", None))
            continue
        blocked_here = checkpoints and blocking
        if checkpoints and pos not in accepted_set and bool(
                _attr(lessons[i], "checkpoint", False)):
            blocking = True
        if ended:
            out.append(LessonState(pos, "ended", None))
        elif blocked_here:
            out.append(LessonState(pos, "blocked", None))
        elif d == S_ENTRY:
            if s_out is None:
                out.append(LessonState(pos, "scheduled", None))
            else:
                out.append(LessonState(pos, "open" if at_utc >= s_moved else "scheduled",
                                       s_out))
        elif held[i]:
            out.append(LessonState(pos, "scheduled", None))
        else:
            out.append(LessonState(pos, "open" if d <= at_day else "scheduled",
                                   start_of_day(date.fromordinal(d), zone)))
    return LessonPreview(start=s_local,
                         end=None if end_held or end is None else end.astimezone(zone),
                         end_held=end_held, at=at_utc.astimezone(zone), lessons=tuple(out))


def open_count(lessons: Sequence[Any], template: Any, start: datetime, *, at: datetime,
               pauses: Iterable[Pause | tuple] = (), accepted: Iterable[int] = (),
               tz: str | tzinfo | None = None) -> tuple[int, int]:
    """(open, in tariff) at `at`: the Products tab's "open lessons today: 7 of 12"."""
    return lesson_states(lessons, template, start, at=at, pauses=pauses, accepted=accepted,
                         tz=tz).count()
