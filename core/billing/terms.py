"""Plan terms with Reepay/Frisbii field names, their validation and the Reepay JSON import.

Decisions (SPEC §6 leaves these open):
- `vat` is a Decimal fraction (0.19); a Reepay float is read through `str()` so 0.19 stays exact.
  A missing VAT takes `default_vat` (the account default, 0 unless the caller says otherwise).
- `subscription_duration=None` means "fixed_count" when `fixed_count` is set, else "renew";
  an explicit "renew" together with `fixed_count` is rejected as contradictory.
- "contract_end" needs `contract_period_length`; a renewal contract period without a contract
  period is rejected; the renewal period defaults to the contract period.
- `base_month` is kept for every type but only the fixed month types (month_fixedday,
  month_lastday) use it.
- Unknown currencies are rejected: the minor-unit table below is the list of accepted codes.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

# ISO 4217 minor-unit exponents: the table lives in core.money (re-exported here).
from core.money import MINOR_UNITS
from core.money import to_major_str as _to_major_str

SCHEDULE_TYPES = (
    "manual",
    "daily",
    "weekly_fixedday",
    "month_startdate",
    "month_fixedday",
    "month_lastday",
)
FIXED_DAY_TYPES = frozenset({"weekly_fixedday", "month_fixedday", "month_lastday"})
PARTIAL_PERIOD_HANDLINGS = ("bill_prorated", "bill_full", "bill_zero_amount", "no_bill")
SETUP_FEE_HANDLINGS = ("first", "separate", "separate_conditional")
LIFE_TIME_UNITS = ("months", "days")
TRIAL_UNITS = ("months", "days")
CONTRACT_UNITS = ("days", "weeks", "months")
SUBSCRIPTION_DURATIONS = ("renew", "fixed_count", "contract_end")

class PlanTermsError(ValueError):
    """A plan field has an invalid value; `field` names it for the form."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def minor_units(currency: str) -> int:
    """ISO 4217 exponent of a currency (EUR → 2, JPY → 0, KWD → 3)."""
    try:
        return MINOR_UNITS[currency.upper()]
    except KeyError:
        raise PlanTermsError("currency", f"unknown ISO 4217 currency {currency!r}") from None


def format_amount(amount: int, currency: str) -> str:
    """Minor units as a plain decimal string with the code: 5806, EUR → '58.06 EUR'."""
    minor_units(currency)
    return f"{_to_major_str(amount, currency)} {currency.upper()}"


@dataclass(frozen=True, kw_only=True)
class PlanTerms:
    """The billing-relevant part of one plan version, named as in Reepay's plan object."""

    handle: str
    name: str
    amount: int
    schedule_type: str
    currency: str = "EUR"
    vat: Decimal = Decimal(0)
    amount_incl_vat: bool = True
    quantity: int = 1
    interval_length: int = 1
    schedule_fixed_day: int | None = None
    base_month: int | None = None
    partial_period_handling: str = "bill_prorated"
    partial_proration_days: bool = True
    minimum_prorated_amount: int = 0
    setup_fee: int | None = None
    setup_fee_text: str | None = None
    setup_fee_handling: str = "first"
    fixed_count: int | None = None
    fixed_life_time_length: int | None = None
    fixed_life_time_unit: str | None = None
    trial_interval_length: int | None = None
    trial_interval_unit: str | None = None
    notice_periods: int = 0
    notice_periods_after_current: bool = True
    fixation_periods: int = 0
    fixation_periods_full: bool = False
    contract_period_length: int | None = None
    contract_period_unit: str | None = None
    renewal_contract_period_length: int | None = None
    renewal_contract_period_unit: str | None = None
    minimum_contract_period_length: int | None = None
    minimum_contract_period_unit: str | None = None
    notice_period_length: int | None = None
    notice_period_unit: str | None = None
    subscription_duration: str | None = None
    # Reepay fields with an engine meaning (None: not given).
    include_zero_amount: bool = False
    fixed_trial_days: bool | None = None
    schedule_fixed_hour: int | None = None

    def __post_init__(self) -> None:
        # Accept floats/strings for VAT but always hold an exact Decimal.
        if not isinstance(self.vat, Decimal):
            try:
                object.__setattr__(self, "vat", Decimal(str(self.vat)))
            except InvalidOperation:
                raise PlanTermsError("vat", "must be a decimal fraction such as 0.19") from None
        object.__setattr__(self, "currency", str(self.currency).upper())
        self._validate()

    # -- derived views ---------------------------------------------------------------------

    @property
    def duration(self) -> str:
        """Effective subscription duration: renew, fixed_count or contract_end."""
        if self.subscription_duration is not None:
            return self.subscription_duration
        return "fixed_count" if self.fixed_count else "renew"

    @property
    def is_fixed_day(self) -> bool:
        """True for the schedule types whose periods run from fixed day to fixed day."""
        return self.schedule_type in FIXED_DAY_TYPES

    @property
    def day_start_hour(self) -> int:
        """The local hour fixed-day boundaries fall on: `schedule_fixed_hour`, else 0 (SPEC §7.1)."""
        if self.is_fixed_day and self.schedule_fixed_hour is not None:
            return self.schedule_fixed_hour
        return 0

    @property
    def trial_in_days(self) -> bool:
        """Reepay's `fixed_trial_days` for fixed-day schedules: the trial ends at the start of
        a day (see engine docstring). Not given → False (the trial runs to the minute)."""
        return bool(self.fixed_trial_days) and self.is_fixed_day

    @property
    def has_trial(self) -> bool:
        return bool(self.trial_interval_length)

    @property
    def has_setup_fee(self) -> bool:
        return bool(self.setup_fee)

    @property
    def has_contract(self) -> bool:
        return bool(self.contract_period_length)

    def same_schedule(self, other: PlanTerms) -> bool:
        """True when both versions produce the same period boundaries."""
        keys = ("schedule_type", "interval_length", "schedule_fixed_day", "base_month",
                "day_start_hour")
        return all(getattr(self, k) == getattr(other, k) for k in keys)

    # -- Reepay JSON -----------------------------------------------------------------------

    @classmethod
    def from_reepay(
        cls,
        data: dict[str, Any],
        *,
        default_currency: str = "EUR",
        default_vat: Decimal = Decimal(0),
    ) -> ReepayImport:
        """Build terms from a Reepay plan JSON object; keys we do not model are listed back."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known and v is not None}
        ignored = tuple(sorted(k for k in data if k not in known))
        values.setdefault("currency", default_currency)
        values.setdefault("vat", default_vat)
        for key in ("handle", "name", "amount", "schedule_type"):
            if key not in values:
                raise PlanTermsError(key, "is required")
        return ReepayImport(cls(**values), ignored)

    def to_reepay(self) -> dict[str, Any]:
        """The terms as a Reepay-style JSON object (None fields left out, VAT as a float)."""
        out = {k: v for k, v in asdict(self).items() if v is not None}
        out["vat"] = float(self.vat)
        return out

    # -- validation ------------------------------------------------------------------------

    def _validate(self) -> None:
        _require(
            bool(self.handle) and len(self.handle) <= 255, "handle", "must be 1–255 characters"
        )
        _require(
            re.fullmatch(r"[a-zA-Z0-9_.\-@]+", self.handle) is not None,
            "handle",
            "may contain only letters, digits and _ . - @",
        )
        _require(bool(self.name), "name", "must not be empty")
        _int(self.amount, "amount", minimum=0)
        minor_units(self.currency)
        _require(self.vat >= 0, "vat", "must not be negative")
        _int(self.quantity, "quantity", minimum=1)
        _choice(self.schedule_type, "schedule_type", SCHEDULE_TYPES)
        _int(self.interval_length, "interval_length", minimum=1, maximum=12000)
        if self.schedule_type == "weekly_fixedday":
            _int(self.schedule_fixed_day, "schedule_fixed_day", minimum=1, maximum=7)
        elif self.schedule_type == "month_fixedday":
            _int(self.schedule_fixed_day, "schedule_fixed_day", minimum=1, maximum=28)
        if self.base_month is not None:
            _int(self.base_month, "base_month", minimum=1, maximum=12)
        _choice(self.partial_period_handling, "partial_period_handling", PARTIAL_PERIOD_HANDLINGS)
        _int(self.minimum_prorated_amount, "minimum_prorated_amount", minimum=0)
        if self.setup_fee is not None:
            _int(self.setup_fee, "setup_fee", minimum=0)
        _choice(self.setup_fee_handling, "setup_fee_handling", SETUP_FEE_HANDLINGS)
        if self.fixed_count is not None:
            _int(self.fixed_count, "fixed_count", minimum=1)
        _length(self, "fixed_life_time_length", "fixed_life_time_unit", LIFE_TIME_UNITS)
        _length(self, "trial_interval_length", "trial_interval_unit", TRIAL_UNITS)
        _int(self.notice_periods, "notice_periods", minimum=0, maximum=12000)
        _int(self.fixation_periods, "fixation_periods", minimum=0, maximum=12000)
        if self.schedule_fixed_hour is not None:
            _int(self.schedule_fixed_hour, "schedule_fixed_hour", minimum=0, maximum=23)
        for prefix in (
            "contract_period",
            "renewal_contract_period",
            "minimum_contract_period",
            "notice_period",
        ):
            _length(self, f"{prefix}_length", f"{prefix}_unit", CONTRACT_UNITS)
        _require(
            not self.renewal_contract_period_length or self.has_contract,
            "renewal_contract_period_length",
            "needs a contract period",
        )
        if self.subscription_duration is not None:
            _choice(self.subscription_duration, "subscription_duration", SUBSCRIPTION_DURATIONS)
        _require(
            not (self.subscription_duration == "renew" and self.fixed_count),
            "fixed_count",
            "contradicts subscription_duration 'renew'",
        )
        _require(
            self.duration != "fixed_count" or bool(self.fixed_count),
            "fixed_count",
            "is required for subscription_duration 'fixed_count'",
        )
        _require(
            self.duration != "contract_end" or self.has_contract,
            "contract_period_length",
            "is required for subscription_duration 'contract_end'",
        )


class ReepayImport(NamedTuple):
    """Result of `PlanTerms.from_reepay`: the terms and the keys that were not used."""

    terms: PlanTerms
    ignored_keys: tuple[str, ...]


def _require(ok: bool, field: str, message: str) -> None:
    if not ok:
        raise PlanTermsError(field, message)


def _int(value: Any, field: str, *, minimum: int | None = None, maximum: int | None = None) -> None:
    # bool is an int subclass; a True amount is a data error, not 1.
    _require(isinstance(value, int) and not isinstance(value, bool), field, "must be an integer")
    _require(minimum is None or value >= minimum, field, f"must be at least {minimum}")
    _require(maximum is None or value <= maximum, field, f"must be at most {maximum}")


def _choice(value: Any, field: str, choices: tuple[str, ...]) -> None:
    _require(value in choices, field, f"must be one of {', '.join(choices)}")


def _length(terms: PlanTerms, length_field: str, unit_field: str, units: tuple[str, ...]) -> None:
    length, unit = getattr(terms, length_field), getattr(terms, unit_field)
    if length is None:
        return
    _int(length, length_field, minimum=1, maximum=12000)
    _choice(unit, unit_field, units)
