"""Plan input/output with Reepay's field names; field-level and cross-field validation.

`validate_plan(data)` returns (PlanInput, PlanTerms) or raises ValidationFailed with one
message per field. The billing engine's PlanTerms is built last, so every plan the services
accept is one the engine can bill.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.billing.terms import MINOR_UNITS, PlanTerms, PlanTermsError
from core.errors import ValidationFailed
from core.i18n import _
from core.schemas.common import field_errors

HANDLE_RE = re.compile(r"^[a-zA-Z0-9_.\-@]{1,255}$")
ScheduleType = Literal["manual", "daily", "weekly_fixedday", "month_startdate", "month_fixedday",
                       "month_lastday"]
PartialPeriodHandling = Literal["bill_prorated", "bill_full", "bill_zero_amount", "no_bill"]
SetupFeeHandling = Literal["first", "separate", "separate_conditional"]
MonthsOrDays = Literal["months", "days"]
ContractUnit = Literal["days", "weeks", "months"]
SubscriptionDuration = Literal["renew", "fixed_count", "contract_end"]
PlanState = Literal["active", "superseded", "deleted"]

# Changeable on the current version without a new version (SPEC §6, Reepay's PUT /plan).
EDITABLE_IN_PLACE = (
    "name", "description", "vat", "dunning_plan", "renewal_reminder_email_days",
    "trial_reminder_email_days", "partial_period_handling", "partial_proration_days",
    "minimum_prorated_amount", "setup_fee", "setup_fee_text", "setup_fee_handling",
)
LENGTH_PAIRS = (
    ("fixed_life_time_length", "fixed_life_time_unit"),
    ("trial_interval_length", "trial_interval_unit"),
    ("contract_period_length", "contract_period_unit"),
    ("renewal_contract_period_length", "renewal_contract_period_unit"),
    ("minimum_contract_period_length", "minimum_contract_period_unit"),
    ("notice_period_length", "notice_period_unit"),
)


class PlanInput(BaseModel):
    """The terms of one plan version as an admin (or a Reepay export) gives them."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    handle: str = Field(max_length=255)
    name: str = Field(max_length=255)
    description: str = Field(default="", max_length=10_000)
    amount: int = Field(ge=0)
    currency: str = "EUR"
    vat: Decimal = Decimal(0)
    amount_incl_vat: bool = True
    include_zero_amount: bool = False
    quantity: int = Field(default=1, ge=1)
    renewal_reminder_email_days: int | None = Field(default=None, ge=1)
    trial_reminder_email_days: int | None = Field(default=None, ge=1)
    dunning_plan: str | None = Field(default=None, max_length=255)
    schedule_type: ScheduleType
    interval_length: int = Field(default=1, ge=1, le=12000)
    schedule_fixed_day: int | None = Field(default=None, ge=1, le=28)
    base_month: int | None = Field(default=None, ge=1, le=12)
    partial_period_handling: PartialPeriodHandling = "bill_prorated"
    partial_proration_days: bool = True
    minimum_prorated_amount: int = Field(default=0, ge=0)
    setup_fee: int | None = Field(default=None, ge=0)
    setup_fee_text: str | None = Field(default=None, max_length=255)
    setup_fee_handling: SetupFeeHandling = "first"
    fixed_count: int | None = Field(default=None, ge=1)
    fixed_life_time_length: int | None = Field(default=None, ge=1, le=12000)
    fixed_life_time_unit: MonthsOrDays | None = None
    trial_interval_length: int | None = Field(default=None, ge=1, le=12000)
    trial_interval_unit: MonthsOrDays | None = None
    notice_periods: int = Field(default=0, ge=0, le=12000)
    notice_periods_after_current: bool = True
    fixation_periods: int = Field(default=0, ge=0, le=12000)
    fixation_periods_full: bool = False
    contract_period_length: int | None = Field(default=None, ge=1, le=12000)
    contract_period_unit: ContractUnit | None = None
    renewal_contract_period_length: int | None = Field(default=None, ge=1, le=12000)
    renewal_contract_period_unit: ContractUnit | None = None
    minimum_contract_period_length: int | None = Field(default=None, ge=1, le=12000)
    minimum_contract_period_unit: ContractUnit | None = None
    notice_period_length: int | None = Field(default=None, ge=1, le=12000)
    notice_period_unit: ContractUnit | None = None
    subscription_duration: SubscriptionDuration | None = None
    entitlements: list[str] = Field(default_factory=list)


PLAN_INPUT_FIELDS = tuple(PlanInput.model_fields)
_INT_FIELDS = tuple(name for name, f in PlanInput.model_fields.items()
                    if f.annotation in (int, int | None))


class Plan(PlanInput):
    """A stored plan version."""

    model_config = ConfigDict(extra="ignore")

    id: int
    version: int
    state: PlanState
    created: datetime
    deleted: datetime | None = None
    updated_at: datetime
    updated_by: str
    row_version: int

    def to_reepay(self) -> dict[str, Any]:
        """As Reepay's API returns a plan: None fields left out, VAT a float, ISO datetimes."""
        out = self.model_dump(exclude={"id", "updated_at", "updated_by", "row_version"},
                              exclude_none=True)
        out["vat"] = float(self.vat)
        out["created"] = self.created.isoformat()
        if self.deleted is not None:
            out["deleted"] = self.deleted.isoformat()
        return out

    @property
    def billing_frequency(self) -> str:
        """Plain text for the plan list: "every 3 months on day 1", "manual"."""
        from core.services.plan_catalogue import billing_frequency_text

        return billing_frequency_text(self.schedule_type, self.interval_length,
                                      self.schedule_fixed_day)


class PlanVersionResult(BaseModel):
    plan: Plan
    superseded: list[int]
    subscribers_moving: int


class AffectedSubscribers(BaseModel):
    """Live subscriptions on the versions of a handle (what a new version would move)."""

    total: int
    by_version: dict[int, int]


class ImportedPlan(BaseModel):
    handle: str
    version: int
    state: str
    ignored_fields: list[str]


class ImportReport(BaseModel):
    plans: list[ImportedPlan]
    ignored_fields: list[str]  # union over all plans, sorted
    dunning_plans_created: list[str]


class DunningPlanInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    handle: str = Field(max_length=255)
    name: str = Field(min_length=1, max_length=255)
    steps: list[int] = Field(default_factory=lambda: [3, 7, 14])


class DunningPlan(DunningPlanInput):
    id: int
    version: int


def _range_message(err: dict) -> str | None:
    ctx = err.get("ctx", {})
    if err["type"] == "greater_than_equal":
        return _("Must be at least {n}.").format(n=ctx.get("ge"))
    if err["type"] == "less_than_equal":
        return _("Must be at most {n}.").format(n=ctx.get("le"))
    if err["type"] in ("int_parsing", "int_from_float", "int_type"):
        return _("Must be a whole number.")
    if err["type"] in ("bool_parsing", "bool_type"):
        return _("Must be true or false.")
    if err["type"] == "extra_forbidden":
        return _("Unknown field.")
    return None


def input_errors(exc: ValidationError) -> dict[str, str]:
    """pydantic's errors as one message per field, with readable range messages."""
    fields = dict(field_errors(exc).fields)
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else "_"
        msg = _range_message(err)
        if msg and fields.get(name) == _("Invalid value.") or (msg and name not in fields):
            fields[name] = msg
    return fields


def cross_field_errors(p: PlanInput) -> dict[str, str]:
    """Rules between fields (SPEC §6/§7.1 and Reepay's documented constraints)."""
    e: dict[str, str] = {}
    if not HANDLE_RE.match(p.handle):
        e["handle"] = _("A handle is 1–255 letters, digits or _ . - @ (no spaces).")
    if not p.name:
        e["name"] = _("Enter a name.")
    if p.currency.upper() not in MINOR_UNITS:
        e["currency"] = _("Unknown ISO 4217 currency code {code}.").format(code=p.currency)
    if p.vat < 0 or p.vat >= 1:
        e["vat"] = _("VAT is a fraction between 0 and 1, e.g. 0.19 for 19 %.")
    if p.schedule_type == "weekly_fixedday":
        if p.schedule_fixed_day is None:
            e["schedule_fixed_day"] = _("Choose the weekday: 1 = Monday … 7 = Sunday.")
        elif p.schedule_fixed_day > 7:
            e["schedule_fixed_day"] = _("For weekly billing the day is 1–7 (Monday–Sunday).")
    elif p.schedule_type == "month_fixedday":
        if p.schedule_fixed_day is None:
            e["schedule_fixed_day"] = _("Choose the day of the month (1–28); for the last "
                                        "day use month_lastday.")
    elif p.schedule_fixed_day is not None:
        e["schedule_fixed_day"] = _("Only weekly_fixedday and month_fixedday bill on a fixed "
                                    "day; leave it empty for {type}.").format(
            type=p.schedule_type)
    if p.base_month is not None and p.schedule_type not in ("month_fixedday", "month_lastday"):
        e["base_month"] = _("A base month applies only to month_fixedday and month_lastday.")
    for length, unit in LENGTH_PAIRS:
        if getattr(p, length) is not None and getattr(p, unit) is None:
            e[unit] = _("Choose a unit for {field}.").format(field=length)
        if getattr(p, length) is None and getattr(p, unit) is not None:
            e[length] = _("Enter a length for this unit, or clear the unit.")
    if p.renewal_contract_period_length and not p.contract_period_length:
        e["renewal_contract_period_length"] = _("A renewal contract period needs a contract "
                                                "period.")
    if p.subscription_duration == "renew" and p.fixed_count:
        e["fixed_count"] = _("A fixed number of billing cycles contradicts 'renew until "
                             "cancelled'.")
    if p.subscription_duration == "fixed_count" and not p.fixed_count:
        e["fixed_count"] = _("Enter the number of billing cycles.")
    if p.subscription_duration == "contract_end" and not p.contract_period_length:
        e["contract_period_length"] = _("'End at contract end' needs a contract period.")
    if p.schedule_type == "manual" and p.trial_interval_length:
        e["trial_interval_length"] = _("A manual plan has no automatic billing, hence no "
                                       "trial.")
    if any(not isinstance(x, str) or not HANDLE_RE.match(x) for x in p.entitlements):
        e["entitlements"] = _("Entitlements are handles (letters, digits, _ . - @).")
    return e


def validate_plan(data: dict[str, Any]) -> tuple[PlanInput, PlanTerms]:
    """Validate a whole plan; raises ValidationFailed with one message per field."""
    errors: dict[str, str] = {}
    for name in _INT_FIELDS:  # pydantic's lax mode would take True for 1
        if isinstance(data.get(name), bool):
            errors[name] = _("Must be a whole number.")
    try:
        inp = PlanInput.model_validate(data)
    except ValidationError as exc:
        first = {**input_errors(exc), **errors}
        raise ValidationFailed({**_cross_errors_of_the_rest(data, first), **first}) from None
    errors.update(cross_field_errors(inp))
    if errors:
        raise ValidationFailed(errors)
    inp = inp.model_copy(update={"currency": inp.currency.upper()})
    try:
        terms = to_terms(inp)
    except PlanTermsError as exc:  # the engine's own rules, should the above miss one
        raise ValidationFailed({exc.field: exc.message}) from None
    return inp, terms


def from_reepay(item: dict[str, Any]) -> tuple[PlanInput, PlanTerms]:
    """Validate a plan object as Reepay's API returns it: unknown and null fields are dropped
    (see `ignored_reepay_fields`), the rest is validated like any plan."""
    if not isinstance(item, dict):
        raise ValidationFailed({"_": _("Not a plan object.")})
    data = {k: v for k, v in item.items() if k in PlanInput.model_fields and v is not None}
    return validate_plan(data)


_PLACEHOLDERS = {"handle": "x", "name": "x", "amount": 0, "schedule_type": "daily"}
_SCHEDULE_DEPENDENT = ("schedule_fixed_day", "base_month", "trial_interval_length")


def _cross_errors_of_the_rest(data: dict[str, Any], bad: dict[str, str]) -> dict[str, str]:
    """Cross-field messages for the fields that passed, so a form shows every problem at once."""
    rest = {k: v for k, v in data.items() if k not in bad and k in PlanInput.model_fields}
    substituted = set()
    for key, value in _PLACEHOLDERS.items():
        if key not in rest:
            rest[key] = value
            substituted.add(key)
    try:
        partial = PlanInput.model_validate(rest)
    except ValidationError:
        return {}
    errors = cross_field_errors(partial)
    drop = set(bad) | substituted
    if "schedule_type" in substituted:
        drop.update(_SCHEDULE_DEPENDENT)
    return {k: v for k, v in errors.items() if k not in drop}


def to_terms(p: PlanInput, amount: int | None = None) -> PlanTerms:
    """The engine's PlanTerms of a plan (with a subscription's amount override)."""
    values = {f: getattr(p, f) for f in TERMS_FIELDS}
    if amount is not None:
        values["amount"] = amount
    return PlanTerms(**values)


TERMS_FIELDS = tuple(f for f in PlanTerms.__dataclass_fields__)
