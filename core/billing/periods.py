"""Billing periods in the account time zone: schedules, first period, proration (§7.1 rules 1–2).

Every boundary is computed on local wall time and then localized, so DST never shifts a
fixed-day boundary off local midnight and a `daily`/`month_startdate` anchor keeps its clock time.
Instants are held as UTC datetimes: Python compares and subtracts two datetimes sharing one
ZoneInfo by wall time, which is wrong across DST (a 167-hour week would look like 168 hours).

Decisions (§7.1 leaves these open):
- A wall time skipped by a DST gap moves forward by the gap (02:30 → 03:30); an ambiguous wall
  time takes its first occurrence.
- `month_lastday` boundaries are local midnight at the start of the month's last day
  (Jan 31 00:00, Feb 28 00:00 …): the invoice is issued on the last day.
- `schedule_fixed_hour` (0–23, fixed-day types only) moves every fixed-day boundary from
  local midnight to that local hour (SPEC §7.1): the first fixed day's boundary is that day at
  the hour, so a start on a fixed day before the hour has a first partial period of hours.
- `base_month` (fixed month types only) selects the months eligible to start the *first*
  period: months m with (m − base_month) ≡ 0 (mod interval_length). This equals Reepay's
  "base_month + k·n up to 12" whenever base_month ≤ n, and makes every later period start in an
  eligible month whenever n divides 12. Later periods follow every n months from the first.
- A billing start whose local date is a fixed day is "on a fixed day": no partial period; the
  first period runs from the start to the next fixed day and is billed in full.
- Whole-day proration: a partial interval counts every started local day as a full day (so the
  start day of a first partial period, and the expiry day of a last one, count in full); the full
  period counts its calendar days. By-minute proration uses real elapsed seconds, so a DST
  change makes the period an hour shorter or longer. The fraction is capped at 1.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from .terms import PlanTerms

DEFAULT_TZ = "Europe/Berlin"
_AVERAGE_DAYS = {"daily": 1.0, "weekly_fixedday": 7.0}
_DAYS_PER_MONTH = 30.436875


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name (cached)."""
    return ZoneInfo(name)


def localize(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a naive local wall time in `tz`; a time inside a DST gap moves forward."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def instant(moment: datetime, tz: ZoneInfo) -> datetime:
    """A moment as a UTC instant; a naive one is read as local wall time in `tz`."""
    if moment.tzinfo is None:
        return localize(moment, tz)
    return moment.astimezone(UTC)


def wall(moment: datetime, tz: ZoneInfo) -> datetime:
    """The naive local wall time of an aware moment."""
    return moment.astimezone(tz).replace(tzinfo=None)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """00:00 local time of a calendar day."""
    return localize(datetime.combine(day, time()), tz)


def end_of_local_day(day: date, tz: ZoneInfo) -> datetime:
    """The local midnight that ends `day` (exclusive bound of that day)."""
    return local_midnight(day + timedelta(days=1), tz)


def length_delta(length: int, unit: str) -> relativedelta:
    """A calendar length (days, weeks or months) as a relativedelta."""
    return relativedelta(**{unit: length})


def add_length(moment: datetime, length: int, unit: str, tz: ZoneInfo) -> datetime:
    """moment + length·unit on local wall time (month ends clamp: Jan 31 + 1 month = Feb 28/29)."""
    return localize(wall(moment, tz) + length_delta(length, unit), tz)


@dataclass(frozen=True)
class Schedule:
    """Regular period boundaries: boundary(k) for every integer k, boundary(0) = anchor."""

    schedule_type: str
    interval_length: int
    anchor: datetime
    tz: ZoneInfo

    def boundary(self, k: int) -> datetime:
        """The k-th boundary, computed from the anchor each time so month ends never drift."""
        if k == 0:
            # Exact even for an anchor in the repeated DST hour, which wall time cannot express.
            return self.anchor.astimezone(UTC)
        return _boundary(self.schedule_type, self.interval_length, self.anchor, self.tz, k)

    def period_delta(self, periods: int) -> relativedelta:
        """The calendar length of `periods` billing periods (for notice running from a moment)."""
        n = periods * self.interval_length
        if self.schedule_type == "daily":
            return relativedelta(days=n)
        if self.schedule_type == "weekly_fixedday":
            return relativedelta(weeks=n)
        return relativedelta(months=n)

    def _estimate(self, moment: datetime) -> int:
        elapsed = (wall(moment, self.tz) - _wall_anchor(self.anchor, self.tz)).total_seconds()
        per_period = _AVERAGE_DAYS.get(self.schedule_type, _DAYS_PER_MONTH) * self.interval_length
        return math.floor(elapsed / 86400 / per_period)

    def locate(self, moment: datetime) -> tuple[int, datetime, datetime]:
        """(k, boundary(k), boundary(k + 1)) with boundary(k) ≤ moment < boundary(k + 1)."""
        k = self._estimate(moment)
        # The estimate is off by at most one or two; walk to the exact index.
        lo = self.boundary(k)
        while lo > moment:
            k -= 1
            lo = self.boundary(k)
        hi = self.boundary(k + 1)
        while hi <= moment:
            k, lo = k + 1, hi
            hi = self.boundary(k + 1)
        return k, lo, hi

    def index(self, moment: datetime) -> int:
        """k such that boundary(k) ≤ moment < boundary(k + 1)."""
        return self.locate(moment)[0]

    def period_containing(self, moment: datetime) -> tuple[datetime, datetime]:
        """The regular period [start, end) that contains `moment`."""
        _, start, end = self.locate(moment)
        return start, end

    def next_boundary_after(self, moment: datetime) -> datetime:
        """The first boundary strictly after `moment`."""
        return self.locate(moment)[2]

    def boundary_at_or_after(self, moment: datetime) -> datetime:
        """The first boundary at or after `moment`."""
        _, start, end = self.locate(moment)
        return start if start == moment else end

    def is_boundary(self, moment: datetime) -> bool:
        return self.locate(moment)[1] == moment


@lru_cache(maxsize=4096)
def _wall_anchor(anchor: datetime, tz: ZoneInfo) -> datetime:
    return wall(anchor, tz)


# The billing run asks for the same boundaries of many subscriptions (every fixed-day plan
# shares its anchors); caching them is what keeps a run at tens of thousands of periods/s.
@lru_cache(maxsize=65536)
def _boundary(schedule_type: str, interval_length: int, anchor: datetime, tz: ZoneInfo,
              k: int) -> datetime:
    base, n = _wall_anchor(anchor, tz), k * interval_length
    if schedule_type == "daily":
        moment = base + timedelta(days=n)
    elif schedule_type == "weekly_fixedday":
        moment = base + timedelta(weeks=n)
    else:
        # Month arithmetic by hand (relativedelta is several times slower): month ends clamp,
        # month_lastday always lands on the last day, fixed days ≤ 28 never clamp.
        years, month0 = divmod(base.month - 1 + n, 12)
        year, month = base.year + years, month0 + 1
        last = calendar.monthrange(year, month)[1]
        day = last if schedule_type == "month_lastday" else min(base.day, last)
        moment = base.replace(year=year, month=month, day=day)
    return localize(moment, tz)


def schedule_for(terms: PlanTerms, anchor: datetime, tz: ZoneInfo) -> Schedule | None:
    """The plan's schedule anchored at `anchor`; None for manual plans."""
    if terms.schedule_type == "manual":
        return None
    return Schedule(terms.schedule_type, terms.interval_length, anchor, tz)


@dataclass(frozen=True)
class FirstPeriod:
    """Where regular periods begin, and whether a partial period precedes them."""

    anchor: datetime
    partial: bool


def place_first_period(
    terms: PlanTerms, billing_start: datetime, tz: ZoneInfo
) -> FirstPeriod | None:
    """Anchor of the regular schedule for periods billed from `billing_start` (None for manual)."""
    if terms.schedule_type == "manual":
        return None
    if not terms.is_fixed_day:
        return FirstPeriod(anchor=billing_start, partial=False)
    first_day = _first_fixed_day(terms, wall(billing_start, tz).date())
    anchor = day_start(first_day, terms.day_start_hour, tz)
    return FirstPeriod(anchor=anchor, partial=billing_start < anchor)


def day_start(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """The start of a fixed-day boundary day: local midnight, or `hour`:00 local."""
    return localize(datetime.combine(day, time(hour)), tz)


def start_of_day_at_or_before(moment: datetime, hour: int, tz: ZoneInfo) -> datetime:
    """The latest local `hour`:00 at or before `moment` (hour 0: the local midnight)."""
    local = wall(moment, tz)
    candidate = day_start(local.date(), hour, tz)
    if candidate > moment:
        candidate = day_start(local.date() - timedelta(days=1), hour, tz)
    return candidate


def _first_fixed_day(terms: PlanTerms, day: date) -> date:
    """The first fixed day on or after `day` (in an eligible month when base_month is set)."""
    if terms.schedule_type == "weekly_fixedday":
        return day + timedelta(days=(terms.schedule_fixed_day - day.isoweekday()) % 7)
    month = date(day.year, day.month, 1)
    for _ in range(13):  # an eligible month is at most 12 months away
        if terms.schedule_type == "month_lastday":
            candidate = month + relativedelta(day=31)
        else:
            candidate = month.replace(day=terms.schedule_fixed_day)
        if candidate >= day and _eligible_month(terms, candidate.month):
            return candidate
        month += relativedelta(months=1)
    raise AssertionError("no eligible month within a year")  # unreachable: m ≡ base (mod n) exists


def _eligible_month(terms: PlanTerms, month: int) -> bool:
    if terms.base_month is None:
        return True
    return (month - terms.base_month) % terms.interval_length == 0


def proration_fraction(
    start: datetime,
    end: datetime,
    full_start: datetime,
    full_end: datetime,
    *,
    by_days: bool,
    tz: ZoneInfo,
) -> Fraction:
    """Share of the full period [full_start, full_end) billed for [start, end), at most 1."""
    if by_days:
        partial = wall(end, tz) - wall(start, tz)
        # Every started local day counts as a full day.
        numerator = partial.days + (1 if partial.seconds or partial.microseconds else 0)
        denominator = round((wall(full_end, tz) - wall(full_start, tz)) / timedelta(days=1))
    else:
        numerator = (end - start) // timedelta(microseconds=1)
        denominator = (full_end - full_start) // timedelta(microseconds=1)
    return min(Fraction(numerator, max(denominator, 1)), Fraction(1))
