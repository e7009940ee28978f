"""Subscription billing engine: start, invoice, cancel, move versions, simulate (SPEC §7.1).

One incremental step (`next_invoice`) is the single source of truth: the billing run calls it
until nothing is due, and `simulate` / `cancellation_preview` are loops over the same step.
Every datetime the engine returns is a UTC instant; `to_json_dict` renders them in the account
zone with their offset. Naive inputs are read as local wall time in that zone.

Decisions (§7.1 leaves these open):
- Invoices are issued at the start of the period they pay for; a period starting at or after
  the expiry is never billed. A billing run at moment T bills everything issued ≤ T.
- The first period of a fixed-day plan that is partial counts towards `fixed_count` (also
  under bill_full and bill_zero_amount); under `no_bill` there is no such period.
- The trial starts at the subscription start and ends at start + trial length on local wall
  time, to the minute. With `fixed_trial_days` true on a fixed-day plan (Reepay: "when using
  trial for fixed day scheduling … controls if trial expires at midnight or the trial period
  is down to the minute; true: trial until start of day") it ends instead at the start of the
  local day on which that moment falls (local midnight, or `schedule_fixed_hour` when set):
  signed up 14 March 10:00 with 7 days, the trial ends 21 March 00:00 and the 21st is billed
  as a full day. A plan without `fixed_trial_days` (None, e.g. made in Kontor) keeps the
  minute; on other schedule types it has no effect, as in Reepay.
- `include_zero_amount`: a plan line of amount 0 (plan amount 0, bill_zero_amount, or a
  prorated amount below the minimum) is left off an invoice that has other lines (the setup
  fee) unless the flag is true; alone on its invoice it is always kept (Reepay: "If no other
  order lines are present the plan order line will be added").
- `manual` plans produce no automatic invoices at all, not even a setup fee; cancelling one
  expires it at t plus any calendar notice.
- The setup fee is per subscription (quantity 1, the plan's VAT basis). `separate_conditional`
  bills it separately exactly when the first plan invoice is not issued at the start (trial,
  no_bill partial period). A zero or missing setup fee is never billed.
- Origins: the fixed life time counts from the subscription start (rule 6 "start + life
  time"); the contract period, its renewals, `contract_end` and the minimum contract period
  count from the first period start (after the trial, at the first fixed day under no_bill).
- Fixed life time: "the period containing" a moment that is exactly a period boundary is the
  one ending there, so a 12-month life time on a monthly plan gives 12 periods, not 13.
- Cancellation lower bound L: Reepay's `notice_periods` after the current period lands on a
  boundary (from t when `notice_periods_after_current` is false); the contract-terms notice
  (`notice_period_length`) always ends at t + its length, whatever
  `notice_periods_after_current` says; the calendar minimum contract is rounded up to the next
  period end. Both notice kinds apply when both are set (the later end wins).
- `fixation_periods` n counts from the first period start. Without a partial first period
  the minimum ends n periods later (a boundary). After a partial first period it ends at the
  first period start + n whole periods (a partial last period, billed prorated) unless
  `fixation_periods_full`, which rounds it up to the end of the period containing that moment.
- A contract-term end (first period start + C, then every R; R defaults to C) can fall inside
  a period; that last period is then billed prorated like a notice from t.
- The last partial period is always billed prorated (partial_proration_days and
  minimum_prorated_amount apply), whatever the partial_period_handling of the first period.
- Cancelling before the start counts from the start; cancelling in the trial expires at the
  trial end. Uncancel is refused once the final partial period has begun (Reepay error 94).
- States: pending (before start), trial, active, pending_cancellation, cancelled (ended by a
  cancellation), expired (ended by fixed_count, life time or contract end).
- A new plan version applies from the first period start strictly after its publication;
  when the schedule differs, periods are re-anchored at the switch as for a fresh start (rule
  2 applies, no trial, no setup fee); dates fixed at the start (trial, contract, life time) stay.
  A version whose `fixed_count` is already used up ends the subscription at the switch.
- `simulate(until=…)`: a datetime includes invoices issued at it, a date includes its whole
  local day, the default includes those issued before start + 1 year.
- A separate setup-fee invoice has no period; its idempotency key is (start, "setup_fee").
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from .amounts import price, prorate, round_half_up
from .periods import (
    DEFAULT_TZ,
    Schedule,
    add_length,
    end_of_local_day,
    instant,
    localize,
    place_first_period,
    proration_fraction,
    schedule_for,
    start_of_day_at_or_before,
    wall,
    zone,
)
from .terms import PlanTerms

_EPSILON = timedelta(microseconds=1)
_FAR_FUTURE = datetime(9000, 1, 1, tzinfo=UTC)


class BillingError(ValueError):
    """A subscription action that the billing rules do not allow (e.g. cancelling twice)."""


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceLine:
    """One invoice line; `amount` is gross in minor units, `vat_amount` the VAT inside it."""

    kind: str  # "plan" | "setup_fee"
    prorated: bool
    quantity: int
    amount: int
    vat_amount: int
    text: str

    @property
    def net(self) -> int:
        return self.amount - self.vat_amount

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "prorated": self.prorated,
            "quantity": self.quantity,
            "amount": self.amount,
            "vat_amount": self.vat_amount,
            "text": self.text,
        }


@dataclass(frozen=True)
class Invoice:
    """An invoice for [period_start, period_end); a separate setup-fee invoice has no period."""

    issued: datetime
    period_start: datetime | None
    period_end: datetime | None
    lines: tuple[InvoiceLine, ...]
    currency: str

    @property
    def amount(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def vat_amount(self) -> int:
        return sum(line.vat_amount for line in self.lines)

    @property
    def net(self) -> int:
        return self.amount - self.vat_amount

    @property
    def kind(self) -> str:
        """ "plan" when the invoice pays a period (even when its zero plan line is left off,
        see include_zero_amount), else "setup_fee"."""
        return "plan" if self.period_start is not None else "setup_fee"

    @property
    def key(self) -> tuple[datetime, str]:
        """Idempotency key within the subscription: (period start or issue time, kind)."""
        return (self.period_start or self.issued, self.kind)

    def to_json_dict(self, tz: str = DEFAULT_TZ) -> dict[str, Any]:
        return {
            "issued": _iso(self.issued, tz),
            "period_start": _iso(self.period_start, tz),
            "period_end": _iso(self.period_end, tz),
            "lines": [line.to_json_dict() for line in self.lines],
            "amount": self.amount,
            "vat_amount": self.vat_amount,
            "currency": self.currency,
        }


@dataclass(frozen=True)
class SubscriptionState:
    """What the engine needs to continue billing a subscription; the DB service persists it."""

    start: datetime
    tz: str = DEFAULT_TZ
    quantity: int = 1
    trial_start: datetime | None = None
    trial_end: datetime | None = None
    first_period_start: datetime | None = None  # None for manual plans
    anchor: datetime | None = None  # boundary 0 of the regular schedule
    next_period_start: datetime | None = None  # start of the next period to invoice
    current_period_start: datetime | None = None  # last invoiced period
    current_period_end: datetime | None = None
    periods_invoiced: int = 0  # counts towards fixed_count
    setup_fee_billed: bool = False  # also True when no setup fee is owed
    cancelled_at: datetime | None = None
    cancel_expires: datetime | None = None
    fixed_expires: datetime | None = None  # fixed_count, fixed life time or contract end

    @property
    def expires(self) -> datetime | None:
        """The effective expiry: the earlier of the cancellation and the fixed-term end."""
        ends = [e for e in (self.cancel_expires, self.fixed_expires) if e is not None]
        return min(ends) if ends else None

    @property
    def expire_reason(self) -> str | None:
        """ "cancelled" or "fixed" (which end applies), None while renewing."""
        if self.expires is None:
            return None
        return "cancelled" if self.expires == self.cancel_expires else "fixed"

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            out[name] = _iso(value, self.tz) if isinstance(value, datetime) else value
        return out

    def to_storage_dict(self) -> dict[str, Any]:
        """Like `to_json_dict` but every moment in UTC: what the database keeps (several times
        faster to write and read back; `from_json_dict` reads both)."""
        out = dict(self.__dict__)
        for name in _DATETIME_FIELDS:
            value = out[name]
            if value is not None:
                out[name] = value.isoformat()
        return out

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> SubscriptionState:
        values = dict(data)
        parse = datetime.fromisoformat
        for name in _DATETIME_FIELDS:
            value = values.get(name)
            if value is not None:
                moment = parse(value)
                values[name] = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
        return cls(**values)


_DATETIME_FIELDS = (
    "start",
    "trial_start",
    "trial_end",
    "first_period_start",
    "anchor",
    "next_period_start",
    "current_period_start",
    "current_period_end",
    "cancelled_at",
    "cancel_expires",
    "fixed_expires",
)


@dataclass(frozen=True)
class BillingStep:
    """The next due invoice and the subscription state after issuing it."""

    invoice: Invoice
    state: SubscriptionState


@dataclass(frozen=True)
class CancellationPreview:
    """What a cancellation at `requested_at` would do, before it is saved."""

    requested_at: datetime
    expires: datetime
    last_period_start: datetime | None
    last_period_end: datetime | None
    last_period_prorated: bool
    invoices: tuple[Invoice, ...]  # still to be issued before the expiry
    state: SubscriptionState  # the state after cancelling

    @property
    def last_invoice(self) -> Invoice | None:
        """The last invoice still to come; None when everything up to expiry is invoiced."""
        return self.invoices[-1] if self.invoices else None


@dataclass(frozen=True)
class SubscriptionSummary:
    start: datetime
    trial_start: datetime | None
    trial_end: datetime | None
    first_period_start: datetime | None
    cancelled_at: datetime | None
    expires: datetime | None
    state: str


@dataclass(frozen=True)
class Simulation:
    """A subscription's dates and its invoices up to a moment."""

    subscription: SubscriptionSummary
    invoices: tuple[Invoice, ...]
    final_state: SubscriptionState = field(repr=False)

    def to_json_dict(self) -> dict[str, Any]:
        tz, sub = self.final_state.tz, self.subscription
        return {
            "subscription": {
                "start": _iso(sub.start, tz),
                "trial_start": _iso(sub.trial_start, tz),
                "trial_end": _iso(sub.trial_end, tz),
                "first_period_start": _iso(sub.first_period_start, tz),
                "cancelled_at": _iso(sub.cancelled_at, tz),
                "expires": _iso(sub.expires, tz),
                "state": sub.state,
            },
            "invoices": [invoice.to_json_dict(tz) for invoice in self.invoices],
        }


# -- starting --------------------------------------------------------------------------------


def start_subscription(
    terms: PlanTerms,
    start: datetime,
    *,
    tz: str = DEFAULT_TZ,
    quantity: int | None = None,
    no_trial: bool = False,
    no_setup_fee: bool = False,
) -> SubscriptionState:
    """A new subscription's state: trial, first period (rules 1–3), fixed-term end (rule 6)."""
    z = zone(tz)
    start = instant(start, z)
    if quantity is not None and quantity < 1:
        raise BillingError("quantity must be at least 1")
    trial_end = None
    if terms.has_trial and not no_trial:
        trial_end = add_length(start, terms.trial_interval_length, terms.trial_interval_unit, z)
        if terms.trial_in_days:  # Reepay fixed_trial_days: "trial until start of day"
            trial_end = max(start, start_of_day_at_or_before(trial_end, terms.day_start_hour, z))
    billing_start = trial_end or start
    first = place_first_period(terms, billing_start, z)
    first_period_start = None
    if first is not None:
        skip_partial = first.partial and terms.partial_period_handling == "no_bill"
        first_period_start = first.anchor if skip_partial else billing_start
    state = SubscriptionState(
        start=start,
        tz=tz,
        quantity=quantity or terms.quantity,
        trial_start=start if trial_end else None,
        trial_end=trial_end,
        first_period_start=first_period_start,
        anchor=first.anchor if first else None,
        next_period_start=first_period_start,
        setup_fee_billed=no_setup_fee or not terms.has_setup_fee,
    )
    return replace(state, fixed_expires=_fixed_term_end(terms, state))


def _fixed_term_end(terms: PlanTerms, state: SubscriptionState) -> datetime | None:
    z, ends = zone(state.tz), []
    if terms.fixed_life_time_length:
        moment = add_length(
            state.start, terms.fixed_life_time_length, terms.fixed_life_time_unit, z
        )
        ends.append(_period_end_at_or_after(terms, state, moment))
    if terms.duration == "contract_end" and state.first_period_start is not None:
        ends.append(_contract_term_ends(terms, state, state.first_period_start))
    return min(ends) if ends else None


# -- the incremental step --------------------------------------------------------------------


def next_issue_at(terms: PlanTerms, state: SubscriptionState) -> datetime | None:
    """When the next invoice will be issued (however far ahead); None when nothing more is."""
    if terms.schedule_type == "manual" or state.next_period_start is None:
        return None
    expires = state.expires
    if _setup_fee_is_separate(terms, state) and (expires is None or state.start < expires):
        return state.start
    p = state.next_period_start
    if expires is not None and p >= expires:
        return None
    if terms.duration == "fixed_count" and state.periods_invoiced >= terms.fixed_count:
        return None
    return p


def next_invoice(terms: PlanTerms, state: SubscriptionState, upto: datetime) -> BillingStep | None:
    """The next invoice issued at or before `upto` and the state after it; None if none is due."""
    due = next_issue_at(terms, state)
    if due is None or due > instant(upto, zone(state.tz)):
        return None
    if due == state.start and _setup_fee_is_separate(terms, state):
        invoice = Invoice(state.start, None, None, (_setup_fee_line(terms),), terms.currency)
        return BillingStep(invoice, replace(state, setup_fee_billed=True))
    return _bill_period(terms, state, state.next_period_start, state.expires)


def next_due_at(terms: PlanTerms, state: SubscriptionState, after: datetime) -> datetime | None:
    """The next moment a billing run has work for this subscription: the next invoice (even if
    already due), or a status change after `after` (start, trial end, expiry)."""
    moments = [m for m in (state.start, state.trial_end, state.expires)
               if m is not None and m > after]
    issue = next_issue_at(terms, state)
    if issue is not None:
        moments.append(issue)
    return min(moments) if moments else None


def until_moment(until: date | datetime, tz: str = DEFAULT_TZ) -> datetime:
    """The inclusive UTC moment of an `until`: a date includes its whole local day."""
    z = zone(tz)
    if isinstance(until, datetime):
        return instant(until, z)
    return end_of_local_day(until, z) - _EPSILON


def _setup_fee_is_separate(terms: PlanTerms, state: SubscriptionState) -> bool:
    if state.setup_fee_billed or terms.setup_fee_handling == "first":
        return False
    if terms.setup_fee_handling == "separate":
        return True
    # separate_conditional: separate only when no plan invoice is issued at the start.
    return state.first_period_start != state.start


def _bill_period(
    terms: PlanTerms, state: SubscriptionState, p: datetime, expires: datetime | None
) -> BillingStep:
    z = zone(state.tz)
    schedule = _schedule(terms, state)
    first_partial = p < state.anchor
    if first_partial:
        full_start, full_end = schedule.boundary(-1), state.anchor
    else:
        full_start, full_end = schedule.period_containing(p)
    end = full_end if expires is None else min(full_end, expires)
    base = terms.amount * state.quantity
    handling = terms.partial_period_handling if first_partial else None
    if handling == "bill_full":
        amount, prorated = base, False
    elif handling == "bill_zero_amount":
        amount, prorated = 0, False
    elif first_partial or end < full_end:
        # bill_prorated first periods and every last partial period (no_bill never gets here).
        fraction = proration_fraction(
            p, end, full_start, full_end, by_days=terms.partial_proration_days, tz=z
        )
        amount, prorated = prorate(base, fraction, terms.minimum_prorated_amount), True
    else:
        amount, prorated = base, False
    priced = price(amount, terms.vat, terms.amount_incl_vat)
    text = f"{terms.name} {wall(p, z):%Y-%m-%d}–{wall(end, z):%Y-%m-%d}"
    lines = [InvoiceLine("plan", prorated, state.quantity, priced.gross, priced.vat_amount, text)]
    if not state.setup_fee_billed and terms.has_setup_fee:
        lines.append(_setup_fee_line(terms))
        if priced.gross == 0 and not terms.include_zero_amount:
            del lines[0]  # include_zero_amount false: a zero plan line only when it is alone
    periods = state.periods_invoiced + 1
    fixed_expires = state.fixed_expires
    if terms.duration == "fixed_count" and periods >= terms.fixed_count:
        fixed_expires = end if fixed_expires is None else min(fixed_expires, end)
    new_state = replace(
        state,
        next_period_start=end,
        current_period_start=p,
        current_period_end=end,
        periods_invoiced=periods,
        setup_fee_billed=True,
        fixed_expires=fixed_expires,
    )
    return BillingStep(Invoice(p, p, end, tuple(lines), terms.currency), new_state)


def _setup_fee_line(terms: PlanTerms) -> InvoiceLine:
    priced = price(terms.setup_fee, terms.vat, terms.amount_incl_vat)
    text = terms.setup_fee_text or f"{terms.name} setup fee"
    return InvoiceLine("setup_fee", False, 1, priced.gross, priced.vat_amount, text)


def bill_until(
    terms: PlanTerms, state: SubscriptionState, upto: datetime
) -> tuple[list[Invoice], SubscriptionState]:
    """All invoices issued at or before `upto`, in order, and the state after them."""
    invoices = []
    while (step := next_invoice(terms, state, upto)) is not None:
        invoices.append(step.invoice)
        state = step.state
    return invoices, state


# -- the fast path: plain renewals -----------------------------------------------------------


@dataclass(frozen=True, eq=False, slots=True)
class PlainPeriod:
    """One plainly renewed full period: its invoice, bounds and their storage (UTC ISO) text.

    Instances are shared between every subscription renewing the same period (they are
    cached per plan, zone, anchor, period start and quantity) and compare by identity, so a
    caller can key its own derived values (rendered rows) on them."""

    start: datetime
    end: datetime
    start_iso: str
    end_iso: str
    invoice: Invoice


_STORAGE_FIELDS = tuple(SubscriptionState.__dataclass_fields__)


def _storage_moment(value: Any) -> datetime | None:
    """A datetime stored by `to_storage_dict` (UTC ISO text); None unless exactly that form."""
    if type(value) is not str or not value.endswith("+00:00"):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.isoformat() == value else None


class RenewalCache:
    """The fast path's bounded caches (periods, parsed moments), shareable by every
    `PlainRenewals` of a run so that its memory stays bounded however many plans it meets."""

    def __init__(self, limit: int = 100_000):
        self.periods: dict[tuple, PlainPeriod] = {}
        self.moments: dict[str, datetime] = {}
        self.limit = limit
        self._tokens = 0

    def token(self) -> int:
        self._tokens += 1
        return self._tokens


class Renewed:
    """What `PlainRenewals.bill` billed, and what the billing run stores for the state it
    leaves: exactly `state_columns` of that state at `upto` (engine terms: `status_at`,
    `next_due_at`, `expires`, `expire_reason`, `cancelled_at`).

    `switch` is the index in `periods` of the first period billed on the pending move's terms
    (the move was applied before it), None when the move (if any) is still pending."""

    __slots__ = ("cancelled_at", "expire_reason", "expires", "next_due", "periods", "status",
                 "switch")

    def __init__(self, periods: list[PlainPeriod], status: str, next_due: datetime | None,
                 expires: datetime | None, expire_reason: str | None,
                 cancelled_at: datetime | None, switch: int | None) -> None:
        self.periods, self.status, self.next_due = periods, status, next_due
        self.expires, self.expire_reason, self.cancelled_at = expires, expire_reason, cancelled_at
        self.switch = switch


class PlainRenewals:
    """The fast path of `bill_until` for one plan's terms, on the stored state.

    Most invoices of a billing run are the renewal of a full period: no trial, setup fee or
    first partial period involved, and no expiry inside the period. For those the state only
    moves on by whole periods, every subscription sharing an anchor shares the periods, and the
    invoice is a function of (plan, zone, anchor, period start, quantity) — so it is computed
    once and cached, and the state is updated in its storage form
    (`SubscriptionState.to_storage_dict`) without building a `SubscriptionState`.

    That covers renewing plans and also, reading the *stored* `cancel_expires` and
    `fixed_expires` (never recomputing a cancellation or term rule):
    - a `fixed_count` not yet reached (the period reaching it sets `fixed_expires` to its end,
      as `_bill_period` does);
    - a fixed term (contract_end, life time) or a pending cancellation whose expiry is not
      inside a period to bill (at a period end the last full period is billed and the state
      then expires, as in the general path; inside one it declines: prorated last period);
    - a pending plan move (`move`: its moment and the new terms' `PlainRenewals`), applied as
      the billing run applies it — before the first invoice due at or after its moment — when
      `apply_version` leaves the state as it is (same schedule, the new `fixed_count` not used
      up): the periods from then on are billed on the new terms. Otherwise it declines.

    `bill` either does exactly what the billing run's general path does (`next_invoice` loop
    with `apply_version`, then `to_storage_dict` and `state_columns`) or declines and leaves
    the data untouched; `tests/core/billing/test_fast_path.py` checks that on random plans
    and states.
    """

    def __init__(self, terms: PlanTerms, cache: RenewalCache | None = None):
        self.terms = terms
        # Scheduled plans only (manual plans bill nothing automatically).
        self.applies = terms.schedule_type != "manual"
        self.fixed_count = terms.fixed_count if terms.duration == "fixed_count" else None
        self._cache = cache or RenewalCache()
        self._token = self._cache.token()
        self._same: dict[int, bool] = {}

    def _moment(self, value: Any) -> datetime | None:
        """`value` parsed when it is a moment in storage form (cached), else None."""
        moment = _storage_moment(value)
        if moment is not None:
            moments = self._cache.moments
            if len(moments) >= self._cache.limit:
                moments.clear()
            moments[value] = moment
        return moment

    def _keeps_state(self, new: PlainRenewals) -> bool:
        """`apply_version` to `new` leaves the state unchanged (same schedule), bar the
        fixed_count check done per state."""
        same = self._same.get(new._token)
        if same is None:
            same = self._same[new._token] = (
                new.applies and new._cache is self._cache
                and self.terms.same_schedule(new.terms))
        return same

    def bill(self, data: dict[str, Any], upto: datetime,
             move: tuple[datetime, PlainRenewals] | None = None) -> Renewed | None:
        """Bill `data` (a stored state, as `to_storage_dict` wrote it) up to the aware moment
        `upto` when there is at least one invoice due and every one is a full period: update
        `data` in place to the stored form of the state the general path ends with and return
        the periods billed and the state's columns. `move` is a pending plan move (its aware
        moment, the new terms' `PlainRenewals` sharing this one's cache). Otherwise return
        None and leave `data` as it was."""
        if (
            not self.applies
            or tuple(data) != _STORAGE_FIELDS  # every field, in order: exactly the stored form
            or data["setup_fee_billed"] is not True  # no setup fee owed (line or invoice)
        ):
            return None
        tz, quantity, count = data["tz"], data["quantity"], data["periods_invoiced"]
        if type(tz) is not str or type(quantity) is not int or quantity < 1 \
                or type(count) is not int:
            return None
        moments = self._cache.moments
        p_iso, anchor_iso, start, trial_end = (
            data["next_period_start"], data["anchor"], data["start"], data["trial_end"])
        p = moments.get(p_iso) or self._moment(p_iso)
        if p is None or p > upto:
            return None
        # The moments carried over unchanged must already be in storage form, and the
        # subscription has started and left any trial by p (so it is neither pending nor in
        # trial at upto).
        start = moments.get(start) or self._moment(start)
        if start is None or start > p:
            return None
        for value in (data["trial_start"], data["first_period_start"], anchor_iso):
            if value is not None and value not in moments and self._moment(value) is None:
                return None
        if trial_end is not None:
            trial_end = moments.get(trial_end) or self._moment(trial_end)
            if trial_end is None or trial_end > p:
                return None
        cancelled_at, cancel_expires, fixed_expires = (
            data["cancelled_at"], data["cancel_expires"], data["fixed_expires"])
        expires = None
        if cancelled_at is not None:
            cancelled_at = moments.get(cancelled_at) or self._moment(cancelled_at)
            if cancelled_at is None:
                return None
        if cancel_expires is not None:
            cancel_expires = expires = moments.get(cancel_expires) or self._moment(
                cancel_expires)
            if cancel_expires is None:
                return None
        if fixed_expires is not None:
            fixed_expires = moments.get(fixed_expires) or self._moment(fixed_expires)
            if fixed_expires is None:
                return None
            if expires is None or fixed_expires < expires:
                expires = fixed_expires
        renewer, fixed_count, switch = self, self.fixed_count, None
        cache, token, periods = self._cache.periods, self._token, []
        fixed_iso = None
        while True:
            # next_issue_at on the current terms: nothing at or after the expiry, nothing
            # beyond fixed_count, nothing after upto.
            if (expires is not None and p >= expires) or p > upto or (
                    fixed_count is not None and count >= fixed_count):
                break
            if move is not None and switch is None and move[0] <= p:
                # The run applies the move before the first invoice due at or after it.
                new = move[1]
                if not self._keeps_state(new) or (
                        new.fixed_count is not None and count >= new.fixed_count):
                    return None  # re-anchored, or ended by the new version: general path
                renewer, fixed_count, switch = new, new.fixed_count, len(periods)
                cache, token = new._cache.periods, new._token
                continue
            key = (token, tz, anchor_iso, quantity, p_iso)
            period = cache.get(key)
            if period is None:
                period = renewer._period(tz, anchor_iso, quantity, p_iso)
                if period is None:
                    return None
                if len(cache) >= self._cache.limit:
                    cache.clear()
                cache[key] = period
            if expires is not None and period.end > expires:
                return None  # the expiry falls inside: a prorated last period
            periods.append(period)
            count += 1
            p, p_iso = period.end, period.end_iso
            if fixed_count is not None and count >= fixed_count:
                # _bill_period: the period reaching fixed_count ends the term at its end
                # (p ≤ every expiry here, so that is the minimum).
                fixed_expires, fixed_iso = p, p_iso
                expires = p
        if not periods:
            return None
        last = periods[-1]
        data["next_period_start"] = last.end_iso
        data["current_period_start"] = last.start_iso
        data["current_period_end"] = last.end_iso
        data["periods_invoiced"] = count
        if fixed_iso is not None:
            data["fixed_expires"] = fixed_iso
        if expires is None:
            status = "active" if cancelled_at is None or upto < cancelled_at \
                else "pending_cancellation"
            return Renewed(periods, status, p, None, None, cancelled_at, switch)
        # state_columns of the final state at upto: status_at, next_due_at, expiry.
        reason = "cancelled" if expires == cancel_expires else "fixed"
        if upto >= expires:
            status = reason if reason == "cancelled" else "expired"
        elif cancelled_at is not None and upto >= cancelled_at:
            status = "pending_cancellation"
        else:
            status = "active"
        issues = p < expires and (fixed_count is None or count < fixed_count)
        next_due = p if issues else (expires if expires > upto else None)
        return Renewed(periods, status, next_due, expires, reason, cancelled_at, switch)

    def _period(self, tz: str, anchor_iso: str, quantity: int, p_iso: str) -> PlainPeriod | None:
        """`_bill_period` for a full period from p ≥ anchor, without expiry or setup fee."""
        terms, anchor, p = self.terms, self._moment(anchor_iso), self._moment(p_iso)
        if anchor is None or p is None or p < anchor:
            return None  # a first partial period (or a state not in storage form)
        z = zone(tz)
        _, end = schedule_for(terms, anchor, z).period_containing(p)
        priced = price(terms.amount * quantity, terms.vat, terms.amount_incl_vat)
        text = f"{terms.name} {wall(p, z):%Y-%m-%d}–{wall(end, z):%Y-%m-%d}"
        line = InvoiceLine("plan", False, quantity, priced.gross, priced.vat_amount, text)
        return PlainPeriod(p, end, p_iso, end.isoformat(),
                           Invoice(p, p, end, (line,), terms.currency))


def projected_expiry(
    terms: PlanTerms, state: SubscriptionState, move: PendingMove | None = None
) -> datetime | None:
    """The expiry as known today, running a fixed_count plan forward to its last period
    (with a scheduled `move` applied as the billing run applies it)."""
    counted = terms.duration == "fixed_count" or (
        move is not None and move.terms.duration == "fixed_count")
    if state.expires is not None or not counted:
        return state.expires
    final = state
    for step in project(terms, state, _FAR_FUTURE, move):
        final = step.state
    return final.expires


# -- projection with a scheduled plan move (rule 8) ------------------------------------------


@dataclass(frozen=True)
class PendingMove:
    """A scheduled move to other terms (a new version, a change at renewal) at a period start."""

    at: datetime
    terms: PlanTerms


@dataclass(frozen=True)
class ProjectedStep:
    """One invoice of the projection, the terms that bill it and the state after it."""

    invoice: Invoice
    terms: PlanTerms
    moved: bool  # billed on the terms of the scheduled move
    state: SubscriptionState


def project(
    terms: PlanTerms, state: SubscriptionState, upto: datetime, move: PendingMove | None = None
) -> Iterator[ProjectedStep]:
    """The invoices issued up to `upto`, applying `move` (via `apply_version`) before the
    first invoice issued at or after its moment — the billing run's loop
    (core.services.billing_run.advance), so a screen shows what the run will bill."""
    moved = False
    while (step := next_invoice(terms, state, upto)) is not None:
        if move is not None and move.at <= step.invoice.issued:
            state = apply_version(terms, move.terms, state, move.at)
            terms, move, moved = move.terms, None, True
            continue
        state = step.state
        yield ProjectedStep(step.invoice, terms, moved, state)


# -- periods of a subscription ---------------------------------------------------------------


def _schedule(terms: PlanTerms, state: SubscriptionState) -> Schedule | None:
    if state.anchor is None:
        return None
    return schedule_for(terms, state.anchor, zone(state.tz))


def _period_at(
    terms: PlanTerms, state: SubscriptionState, t: datetime
) -> tuple[datetime, datetime] | None:
    """The billing period (or unbilled stretch before the first) containing t; None in a trial."""
    schedule = _schedule(terms, state)
    if schedule is None or (state.trial_end is not None and t < state.trial_end):
        return None
    if t < state.first_period_start:
        return (state.trial_end or state.start, state.first_period_start)
    if t < state.anchor:
        return (state.first_period_start, state.anchor)
    return schedule.period_containing(t)


def _period_end_at_or_after(
    terms: PlanTerms, state: SubscriptionState, moment: datetime
) -> datetime:
    """End of the period containing `moment`; a moment on a boundary ends there."""
    period = _period_at(terms, state, moment)
    if period is None or period[0] == moment:
        return moment
    return period[1]


def _contract_term_ends(
    terms: PlanTerms, state: SubscriptionState, lower_bound: datetime
) -> datetime:
    """The first contract-term end (first period start + C, then every R) ≥ `lower_bound`."""
    z = zone(state.tz)
    first_end = add_length(
        state.first_period_start, terms.contract_period_length, terms.contract_period_unit, z
    )
    renewal = terms.renewal_contract_period_length or terms.contract_period_length
    unit = terms.renewal_contract_period_unit or terms.contract_period_unit
    term_end, i = first_end, 0
    while term_end < lower_bound:
        i += 1
        # From the first end each time, so month-end terms do not drift.
        term_end = add_length(first_end, i * renewal, unit, z)
    return term_end


def status_at(state: SubscriptionState, at: datetime) -> str:
    """pending, trial, active, pending_cancellation, cancelled or expired at a moment."""
    at = instant(at, zone(state.tz))
    if state.expires is not None and at >= state.expires:
        return "cancelled" if state.expire_reason == "cancelled" else "expired"
    if at < state.start:
        return "pending"
    if state.cancelled_at is not None and at >= state.cancelled_at:
        return "pending_cancellation"
    if state.trial_end is not None and at < state.trial_end:
        return "trial"
    return "active"


# -- cancellation (rule 7) -------------------------------------------------------------------


def cancellation_expiry(terms: PlanTerms, state: SubscriptionState, at: datetime) -> datetime:
    """When a cancellation requested at `at` takes effect (before any fixed-term end)."""
    z = zone(state.tz)
    t = max(instant(at, z), state.start)
    if state.trial_end is not None and t < state.trial_end:
        return state.trial_end
    schedule = _schedule(terms, state)
    period = _period_at(terms, state, t)
    period_end = period[1] if period else t
    after_current = terms.notice_periods_after_current
    bounds = [period_end]
    if terms.notice_periods and schedule is not None:
        if after_current:
            bounds.append(schedule.boundary(schedule.index(period_end) + terms.notice_periods))
        else:
            bounds.append(localize(wall(t, z) + schedule.period_delta(terms.notice_periods), z))
    if terms.notice_period_length:
        # The contract-terms notice (the seed's "Kündigungsfrist") always runs from t.
        bounds.append(add_length(t, terms.notice_period_length, terms.notice_period_unit, z))
    if schedule is not None:
        bounds.extend(_minimum_contract_ends(terms, state, schedule))
    lower_bound = max(bounds)
    if terms.has_contract and state.first_period_start is not None:
        return _contract_term_ends(terms, state, lower_bound)
    return lower_bound


def _minimum_contract_ends(
    terms: PlanTerms, state: SubscriptionState, schedule: Schedule
) -> list[datetime]:
    ends = []
    first_start = state.first_period_start
    if terms.fixation_periods:
        if first_start < state.anchor:
            # Partial first period: the minimum is first period start + n whole periods (a
            # partial last period); `fixation_periods_full` rounds it up to that period's end.
            moment = localize(
                wall(first_start, zone(state.tz)) + schedule.period_delta(terms.fixation_periods),
                zone(state.tz))
            ends.append(_period_end_at_or_after(terms, state, moment)
                        if terms.fixation_periods_full else moment)
        else:
            ends.append(schedule.boundary(schedule.index(first_start) + terms.fixation_periods))
    if terms.minimum_contract_period_length:
        moment = add_length(
            first_start,
            terms.minimum_contract_period_length,
            terms.minimum_contract_period_unit,
            zone(state.tz),
        )
        ends.append(_period_end_at_or_after(terms, state, moment))
    return ends


def cancel(terms: PlanTerms, state: SubscriptionState, at: datetime) -> SubscriptionState:
    """Record a cancellation requested at `at`; the subscription pends until its expiry."""
    at = instant(at, zone(state.tz))
    if state.cancelled_at is not None:
        raise BillingError("the subscription is already cancelled")
    if state.expires is not None and at >= state.expires:
        raise BillingError("the subscription has already expired")
    if state.current_period_start is not None and at < state.current_period_start:
        # Periods after `at` are invoiced already: rule 7 counts from the current period, so
        # a cancellation dated before it would end the subscription inside billed time.
        from core.i18n import _, format_datetime

        raise BillingError(_(
            "The subscription is invoiced up to {end}; a cancellation cannot be dated before "
            "the current period, which began {start}.").format(
                end=format_datetime(state.current_period_end),
                start=format_datetime(state.current_period_start)))
    return replace(state, cancelled_at=at, cancel_expires=cancellation_expiry(terms, state, at))


def uncancel(terms: PlanTerms, state: SubscriptionState, at: datetime) -> SubscriptionState:
    """Withdraw a pending cancellation; refused once expired or inside a final partial period."""
    at = instant(at, zone(state.tz))
    if state.cancelled_at is None:
        raise BillingError("the subscription is not cancelled")
    if state.expires is not None and at >= state.expires:
        raise BillingError("the subscription has already expired")
    last = _period_at(terms, state, state.cancel_expires - _EPSILON)
    if last is not None and state.cancel_expires < last[1] and at >= last[0]:
        raise BillingError(
            "the final partial period has begun; the cancellation can no longer be withdrawn"
        )
    return replace(state, cancelled_at=None, cancel_expires=None)


def cancellation_preview(
    terms: PlanTerms, state: SubscriptionState, at: datetime, move: PendingMove | None = None
) -> CancellationPreview:
    """Expiry, remaining invoices and last period of a cancellation at `at`, nothing saved;
    a scheduled `move` applies at its moment as in the billing run (`project`)."""
    cancelled = cancel(terms, state, at)
    steps = list(project(terms, cancelled, _FAR_FUTURE, move))
    invoices = [s.invoice for s in steps]
    final = steps[-1].state if steps else cancelled
    final_terms = steps[-1].terms if steps else terms
    expires = final.expires
    last = _period_at(final_terms, final, expires - _EPSILON)
    if final.current_period_end == expires:
        last_start, last_end = final.current_period_start, final.current_period_end
    else:  # expired in a trial or before any invoice
        last_start = last_end = None
    prorated = last_end is not None and last is not None and expires < last[1]
    return CancellationPreview(
        requested_at=cancelled.cancelled_at,
        expires=expires,
        last_period_start=last_start,
        last_period_end=last_end,
        last_period_prorated=prorated,
        invoices=tuple(invoices),
        state=cancelled,
    )


# -- plan versions (rule 8) ------------------------------------------------------------------


def version_switch_at(
    terms: PlanTerms, state: SubscriptionState, published_at: datetime
) -> datetime | None:
    """When a subscriber moves to a version published at `published_at`; None if it ends first."""
    t = max(instant(published_at, zone(state.tz)), state.start)
    if state.anchor is None:
        switch = t
    elif state.trial_end is not None and t < state.trial_end:
        switch = state.first_period_start
    else:
        switch = _period_at(terms, state, t)[1]
    if state.expires is not None and switch >= state.expires:
        return None
    return switch


def apply_version(
    old_terms: PlanTerms, new_terms: PlanTerms, state: SubscriptionState, at: datetime
) -> SubscriptionState:
    """Move to `new_terms` at `at` (a period start); re-anchor when the schedule differs."""
    z = zone(state.tz)
    at = instant(at, z)
    if new_terms.duration == "fixed_count" and state.periods_invoiced >= new_terms.fixed_count:
        # The new version allows no more periods: end where the old one stopped billing.
        return replace(state, fixed_expires=min(filter(None, (state.fixed_expires, at))))
    if old_terms.same_schedule(new_terms):
        return state
    return _reanchor(new_terms, state, at)


# -- expire, hold, reactivate, immediate plan change ------------------------------------------


def expire(state: SubscriptionState, at: datetime) -> SubscriptionState:
    """End the subscription at `at` (Reepay's expire, compensation none); nothing more is billed."""
    at = instant(at, zone(state.tz))
    if state.expires is not None and at >= state.expires:
        raise BillingError("the subscription has already expired")
    return replace(state, fixed_expires=at)


def reactivate(terms: PlanTerms, state: SubscriptionState, at: datetime) -> SubscriptionState:
    """Resume billing at `at` after a hold: inside the paid period billing simply continues;
    after it, periods restart at `at` as for a fresh start (rule 2, no trial, no setup fee)."""
    at = instant(at, zone(state.tz))
    if state.next_period_start is None or at <= state.next_period_start:
        return state
    return _reanchor(terms, state, at)


def _reanchor(terms: PlanTerms, state: SubscriptionState, at: datetime) -> SubscriptionState:
    first = place_first_period(terms, at, zone(state.tz))
    if first is None:
        return replace(state, anchor=None, next_period_start=None)
    skip_partial = first.partial and terms.partial_period_handling == "no_bill"
    next_start = first.anchor if skip_partial else at
    return replace(
        state,
        anchor=first.anchor,
        next_period_start=next_start,
        first_period_start=state.first_period_start or next_start,
    )


def immediate_change(
    old_terms: PlanTerms,
    new_terms: PlanTerms,
    state: SubscriptionState,
    at: datetime,
    *,
    compensation: str = "none",
    billed_amount: int = 0,
    billed_vat: int = 0,
) -> tuple[Invoice | None, SubscriptionState]:
    """Change the plan now. A `prorated_credit` gives back the old period's unused share of
    its billed amount (`billed_amount`/`billed_vat`, gross and VAT). Same schedule: the rest
    of the current period, [at, period end), is billed on the new plan prorated and the new
    plan renews at that period end. Another schedule: the new plan's first period starts at
    `at` and is billed at once. With nothing invoiced for `at` (trial, before the start) the
    new plan simply takes over from the next period."""
    if compensation not in ("none", "prorated_credit"):
        raise BillingError("compensation must be none or prorated_credit")
    z = zone(state.tz)
    at = instant(at, z)
    if state.expires is not None and at >= state.expires:
        raise BillingError("the subscription has already expired")
    start, end = state.current_period_start, state.current_period_end
    if start is None or not (start <= at < end):
        switch = state.next_period_start or at
        return None, apply_version(old_terms, new_terms, state, switch)
    credit_line = None
    if compensation == "prorated_credit" and billed_amount:
        # The unused share of the old period, by the old period's own length.
        unused = proration_fraction(
            at, end, start, end, by_days=old_terms.partial_proration_days, tz=z
        )
        credit_line = InvoiceLine(
            "credit", True, 1, -round_half_up(billed_amount * unused),
            -round_half_up(billed_vat * unused),
            f"{old_terms.name} unused {wall(at, z):%Y-%m-%d}–{wall(end, z):%Y-%m-%d}")
    if not old_terms.same_schedule(new_terms):
        # Another rhythm (monthly -> yearly …): pricing the rest of the old period with the
        # new plan's price per period would bill a year for ten days. The new plan starts
        # its own period now, billed by the ordinary step (so every rule of §7.1 applies).
        restarted = _reanchor(new_terms, replace(
            state, current_period_end=at, next_period_start=None, setup_fee_billed=True,
            trial_end=None if state.trial_end is None or state.trial_end <= at
            else state.trial_end), at)
        step = next_invoice(new_terms, restarted, at)
        if step is None:  # no_bill partial period or a manual plan: only the credit now
            lines = (credit_line,) if credit_line else ()
            invoice = Invoice(at, at, at, lines, new_terms.currency) if lines else None
            return invoice, restarted
        lines = step.invoice.lines + ((credit_line,) if credit_line else ())
        return (Invoice(at, step.invoice.period_start, step.invoice.period_end, lines,
                        new_terms.currency), step.state)
    fraction = proration_fraction(
        at, end, start, end, by_days=new_terms.partial_proration_days, tz=z
    )
    amount = prorate(new_terms.amount * state.quantity, fraction,
                     new_terms.minimum_prorated_amount)
    priced = price(amount, new_terms.vat, new_terms.amount_incl_vat)
    text = f"{new_terms.name} {wall(at, z):%Y-%m-%d}–{wall(end, z):%Y-%m-%d}"
    lines = [InvoiceLine("plan", True, state.quantity, priced.gross, priced.vat_amount, text)]
    if credit_line is not None:
        lines.append(credit_line)
    invoice = Invoice(at, at, end, tuple(lines), new_terms.currency)
    new_state = apply_version(old_terms, new_terms, state, end)
    return invoice, new_state


# -- simulation ------------------------------------------------------------------------------


def simulate(
    terms: PlanTerms,
    start: datetime,
    until: date | datetime | None = None,
    *,
    tz: str = DEFAULT_TZ,
    quantity: int | None = None,
    cancel_at: datetime | None = None,
    no_trial: bool = False,
    versions: Sequence[tuple[datetime, PlanTerms]] = (),
) -> Simulation:
    """Run a new subscription forward: invoices issued up to `until` (a date includes its day;
    default: one year), with an optional cancellation and new versions (published_at, terms)."""
    z = zone(tz)
    start = instant(start, z)
    upto = _upto(start, until, z)
    state = start_subscription(terms, start, tz=tz, quantity=quantity, no_trial=no_trial)
    # Events sorted by time; a cancellation sorts before a publication at the same moment.
    events: list[tuple[datetime, int, PlanTerms | None]] = []
    if cancel_at is not None:
        events.append((instant(cancel_at, z), 0, None))
    events += [(instant(at, z), 1, new) for at, new in versions]
    events.sort(key=lambda e: (e[0], e[1]))
    switches: list[tuple[datetime, PlanTerms]] = []
    current, invoices = terms, []
    while True:
        step = next_invoice(current, state, upto)
        due = step.invoice.issued if step else None
        if switches and due is not None and switches[0][0] <= due:
            at, new = switches.pop(0)
            state, current = apply_version(current, new, state, at), new
            continue
        if events and events[0][0] <= upto and (due is None or events[0][0] < due):
            at, _, new = events.pop(0)
            if new is None:
                state = _cancel_if_alive(current, state, at)
            elif (switch := version_switch_at(current, state, at)) is not None:
                switches.append((switch, new))
                switches.sort(key=lambda s: s[0])
            continue
        if step is None:
            break
        invoices.append(step.invoice)
        state = step.state
    for at, _, new in events:  # a cancellation requested after `until` still sets the expiry
        if new is None:
            state = _cancel_if_alive(current, state, at)
    summary = SubscriptionSummary(
        start=state.start,
        trial_start=state.trial_start,
        trial_end=state.trial_end,
        first_period_start=state.first_period_start,
        cancelled_at=state.cancelled_at,
        expires=projected_expiry(current, state),
        state=status_at(state, upto),
    )
    return Simulation(summary, tuple(invoices), state)


def _cancel_if_alive(terms: PlanTerms, state: SubscriptionState, at: datetime) -> SubscriptionState:
    if state.expires is not None and at >= state.expires:
        return state
    return cancel(terms, state, at)


def _upto(start: datetime, until: date | datetime | None, z: ZoneInfo) -> datetime:
    """The inclusive moment up to which invoices are issued."""
    if until is None:
        return localize(wall(start, z) + relativedelta(years=1), z) - _EPSILON
    return until_moment(until, z.key)


def _iso(moment: datetime | None, tz: str) -> str | None:
    return None if moment is None else moment.astimezone(zone(tz)).isoformat()
