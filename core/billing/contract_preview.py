"""The contract terms of a plan drawn over a sample start: what the plan form's timeline shows.

Pure: every date comes from the engine (`start_subscription`, `next_invoice`,
`cancellation_expiry`, `projected_expiry`), so the form illustrates exactly what the billing
run will do with a subscriber who starts on the sample day. No DB, no UI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from . import engine
from .engine import cancellation_expiry, next_invoice, projected_expiry, start_subscription
from .periods import DEFAULT_TZ, add_length, instant, wall, zone
from .terms import PlanTerms

MAX_INVOICES = 400  # a daily plan over two years; more would not fit a ruler anyway
MAX_TERMS = 24  # contract-term ends listed (a one-day renewal term would give hundreds)
MAX_DEADLINES = 3  # notice deadlines worked out (each is a bisection over the engine)


@dataclass(frozen=True)
class Mark:
    """One dated point on the ruler; `month` is its offset from the start in months."""

    at: datetime  # UTC instant
    kind: str  # trial_end, first_period, minimum_end, contract_end, renewal_end,
    #            notice_deadline, earliest_end, fixed_end
    month: float


@dataclass(frozen=True)
class ContractPreview:
    start: datetime
    until: datetime  # start + months (exclusive end of the ruler)
    months: int
    tz: str
    trial_end: datetime | None
    first_period_start: datetime | None
    invoices: tuple[datetime, ...]  # issue moments of plan invoices before `until`
    minimum_end: datetime | None  # end of the minimum contract period (a period end)
    contract_ends: tuple[datetime, ...]  # first term end, then every renewal end < until
    notice_deadlines: tuple[tuple[datetime, datetime], ...]  # (last moment to cancel, end)
    earliest_end: datetime | None  # a cancellation on the start day ends the subscription then
    fixed_end: datetime | None  # fixed_count, fixed life time or contract end, uncancelled
    marks: tuple[Mark, ...]

    def month_of(self, moment: datetime) -> float:
        return month_offset(self.start, moment, self.tz)


def month_offset(start: datetime, moment: datetime, tz: str = DEFAULT_TZ) -> float:
    """Months from `start` to `moment` on local wall time; days count as a share of their month."""
    z = zone(tz)
    a, b = wall(start, z), wall(moment, z)
    whole = (b.year - a.year) * 12 + b.month - a.month
    if a + relativedelta(months=whole) > b:
        whole -= 1
    base = a + relativedelta(months=whole)
    nxt = a + relativedelta(months=whole + 1)
    return whole + (b - base) / (nxt - base)


def last_moment_to_cancel(terms: PlanTerms, state: engine.SubscriptionState, end: datetime
                          ) -> datetime | None:
    """The latest request time (to the minute) whose cancellation takes effect by `end`.

    None when even a cancellation at the start ends later. `cancellation_expiry` never
    decreases with the request time, so bisection finds the edge.
    """
    lo, hi = state.start, end
    if cancellation_expiry(terms, state, lo) > end:
        return None
    if cancellation_expiry(terms, state, hi) <= end:
        return hi
    while hi - lo > timedelta(minutes=1):
        mid = lo + (hi - lo) / 2
        if cancellation_expiry(terms, state, mid) <= end:
            lo = mid
        else:
            hi = mid
    return lo.replace(second=0, microsecond=0)


def contract_preview(terms: PlanTerms, start: datetime, *, months: int = 24,
                     tz: str = DEFAULT_TZ) -> ContractPreview:
    """Contract period, renewals, minimum period, notice deadlines and invoices of a
    subscription starting at `start`, over `months` months."""
    z = zone(tz)
    start = instant(start, z)
    until = add_length(start, months, "months", z)
    state = start_subscription(terms, start, tz=tz)

    invoices: list[datetime] = []
    current = state
    while len(invoices) < MAX_INVOICES:
        step = next_invoice(terms, current, until - timedelta(microseconds=1))
        if step is None:
            break
        current = step.state
        if step.invoice.kind == "plan":
            invoices.append(step.invoice.issued)

    minimum_end = None
    contract_ends: list[datetime] = []
    schedule = engine._schedule(terms, state)
    if schedule is not None and state.first_period_start is not None:
        minimum = engine._minimum_contract_ends(terms, state, schedule)
        minimum_end = max(minimum) if minimum else None
        if terms.has_contract:
            end = engine._contract_term_ends(terms, state, state.first_period_start)
            contract_ends.append(end)
            # With a fixed end the contract is not renewed past it.
            while end < until and terms.duration == "renew" and len(contract_ends) < MAX_TERMS:
                end = engine._contract_term_ends(terms, state, end + timedelta(microseconds=1))
                if end >= until:
                    break
                contract_ends.append(end)

    fixed_end = projected_expiry(terms, state)
    deadlines: list[tuple[datetime, datetime]] = []
    earliest_end = cancellation_expiry(terms, state, start)
    if fixed_end is not None and earliest_end >= fixed_end:
        earliest_end = None  # it ends by itself first: cancelling changes nothing
    # The earliest end a cancellation can reach is itself a contract-term end when there is a
    # contract; the renewals after it are the next chances. Each with its last moment to cancel.
    end, ends = earliest_end, []
    while end is not None and len(ends) < MAX_DEADLINES and (not ends or end < until):
        ends.append(end)
        if not (terms.has_contract and state.first_period_start is not None
                and terms.duration == "renew"):
            break
        end = engine._contract_term_ends(terms, state, end + timedelta(microseconds=1))
    for end in ends:
        moment = last_moment_to_cancel(terms, state, end)
        if moment is not None and (not deadlines or moment > deadlines[-1][0]):
            deadlines.append((moment, end))

    marks: list[Mark] = []

    def mark(at: datetime | None, kind: str) -> None:
        if at is not None and start <= at <= until:
            marks.append(Mark(at, kind, month_offset(start, at, tz)))

    mark(state.trial_end, "trial_end")
    if state.first_period_start not in (None, start, state.trial_end):
        mark(state.first_period_start, "first_period")
    mark(minimum_end, "minimum_end")
    for i, end in enumerate(contract_ends):
        mark(end, "contract_end" if i == 0 else "renewal_end")
    for moment, _end in deadlines:
        mark(moment, "notice_deadline")
    if not contract_ends:
        mark(earliest_end, "earliest_end")
    mark(fixed_end, "fixed_end")
    marks.sort(key=lambda m: m.at)
    return ContractPreview(
        start=start, until=until, months=months, tz=tz, trial_end=state.trial_end,
        first_period_start=state.first_period_start, invoices=tuple(invoices),
        minimum_end=minimum_end, contract_ends=tuple(contract_ends),
        notice_deadlines=tuple(deadlines), earliest_end=earliest_end, fixed_end=fixed_end,
        marks=tuple(marks))

