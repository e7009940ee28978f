"""Plan input/output with Reepay's field names; field-level and cross-field validation.

`validate_plan(data)` returns (PlanInput, PlanTerms) or raises ValidationFailed with one
message per field. The billing engine's PlanTerms is built last, so every plan the services
accept is one the engine can bill.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.billing.terms import FIXED_DAY_TYPES, MINOR_UNITS, PlanTerms, PlanTermsError
from core.errors import ValidationFailed
from core.i18n import _
from core.limits import INT32_MAX
from core.schemas.common import SafeLine, SafeName, SafeText, field_errors

HANDLE_RE = re.compile(r"^[a-zA-Z0-9_.\-@]{1,255}$")
ScheduleType = Literal["manual", "daily", "weekly_fixedday", "month_startdate", "month_fixedday",
                       "month_lastday"]
PartialPeriodHandling = Literal["bill_prorated", "bill_full", "bill_zero_amount", "no_bill"]
SetupFeeHandling = Literal["first", "separate", "separate_conditional"]
MonthsOrDays = Literal["months", "days"]
ContractUnit = Literal["days", "weeks", "months"]
SubscriptionDuration = Literal["renew", "fixed_count", "contract_end"]
PlanState = Literal["active", "superseded", "deleted"]

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

    handle: SafeLine = Field(max_length=255)
    name: SafeName = Field(max_length=255)
    description: SafeText = Field(default="", max_length=10_000)
    # Reepay's API holds amounts, quantities and counts as int32.
    amount: int = Field(ge=0, le=INT32_MAX)
    currency: SafeLine = Field(default="EUR", max_length=3)
    vat: Decimal = Decimal(0)
    amount_incl_vat: bool = True
    include_zero_amount: bool = False
    quantity: int = Field(default=1, ge=1, le=INT32_MAX)
    renewal_reminder_email_days: int | None = Field(default=None, ge=1, le=INT32_MAX)
    trial_reminder_email_days: int | None = Field(default=None, ge=1, le=INT32_MAX)
    dunning_plan: SafeLine | None = Field(default=None, max_length=255)
    schedule_type: ScheduleType
    interval_length: int = Field(default=1, ge=1, le=12000)
    schedule_fixed_day: int | None = Field(default=None, ge=1, le=28)
    base_month: int | None = Field(default=None, ge=1, le=12)
    partial_period_handling: PartialPeriodHandling = "bill_prorated"
    partial_proration_days: bool = True
    minimum_prorated_amount: int = Field(default=0, ge=0, le=INT32_MAX)
    setup_fee: int | None = Field(default=None, ge=0, le=INT32_MAX)
    setup_fee_text: SafeLine | None = Field(default=None, max_length=255)
    setup_fee_handling: SetupFeeHandling = "first"
    fixed_count: int | None = Field(default=None, ge=1, le=INT32_MAX)
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
    entitlements: list[SafeLine] = Field(default_factory=list, max_length=1000)
    # Reepay fields without a Kontor default: None = not given (Reepay's default applies).
    prepaid: bool | None = None
    fixed_trial_days: bool | None = None
    tax_policy: SafeLine | None = Field(default=None, max_length=255)
    schedule_fixed_hour: int | None = Field(default=None, ge=0, le=23)
    account_funding: bool | None = None


PLAN_INPUT_FIELDS = tuple(PlanInput.model_fields)


@dataclass(frozen=True)
class PlanField:
    """Where a plan field comes from and how it may change on an existing plan.

    origin: "reepay" (a field of Reepay's plan object) or "kontor" (Kontor's contract terms,
    exported under the `kontor` key). change: "in_place" (saved on the current version, seed
    004 "Plan bearbeiten"), "new_version" ("Neue Version erstellen") or "fixed" (never
    changes: the handle names every version).
    """

    origin: Literal["reepay", "kontor"]
    change: Literal["in_place", "new_version", "fixed"]


_R, _K = "reepay", "kontor"
_IN, _NEW = "in_place", "new_version"
# THE table: the service (edit_plan / create_plan_version), the plan form and the export
# all ask it. Seed 004: only name, description, VAT, dunning plan and the setup fee (amount,
# text, handling) change in place; everything else needs a new version.
PLAN_FIELDS: dict[str, PlanField] = {
    "handle": PlanField(_R, "fixed"),
    "name": PlanField(_R, _IN),
    "description": PlanField(_R, _IN),
    "amount": PlanField(_R, _NEW),
    "currency": PlanField(_R, _NEW),  # a new version keeps it too (the service refuses)
    "vat": PlanField(_R, _IN),
    "amount_incl_vat": PlanField(_R, _NEW),
    "include_zero_amount": PlanField(_R, _NEW),
    "quantity": PlanField(_R, _NEW),
    "renewal_reminder_email_days": PlanField(_R, _NEW),
    "trial_reminder_email_days": PlanField(_R, _NEW),
    "dunning_plan": PlanField(_R, _IN),
    "schedule_type": PlanField(_R, _NEW),
    "interval_length": PlanField(_R, _NEW),
    "schedule_fixed_day": PlanField(_R, _NEW),
    "base_month": PlanField(_R, _NEW),
    "partial_period_handling": PlanField(_R, _NEW),
    "partial_proration_days": PlanField(_R, _NEW),
    "minimum_prorated_amount": PlanField(_R, _NEW),
    "setup_fee": PlanField(_R, _IN),
    "setup_fee_text": PlanField(_R, _IN),
    "setup_fee_handling": PlanField(_R, _IN),
    "fixed_count": PlanField(_R, _NEW),
    "fixed_life_time_length": PlanField(_R, _NEW),
    "fixed_life_time_unit": PlanField(_R, _NEW),
    "trial_interval_length": PlanField(_R, _NEW),
    "trial_interval_unit": PlanField(_R, _NEW),
    "notice_periods": PlanField(_R, _NEW),
    "notice_periods_after_current": PlanField(_R, _NEW),
    "fixation_periods": PlanField(_R, _NEW),
    "fixation_periods_full": PlanField(_R, _NEW),
    "contract_period_length": PlanField(_K, _NEW),
    "contract_period_unit": PlanField(_K, _NEW),
    "renewal_contract_period_length": PlanField(_K, _NEW),
    "renewal_contract_period_unit": PlanField(_K, _NEW),
    "minimum_contract_period_length": PlanField(_K, _NEW),
    "minimum_contract_period_unit": PlanField(_K, _NEW),
    "notice_period_length": PlanField(_K, _NEW),
    "notice_period_unit": PlanField(_K, _NEW),
    "subscription_duration": PlanField(_K, _NEW),
    "entitlements": PlanField(_R, _NEW),
    "prepaid": PlanField(_R, _NEW),
    "fixed_trial_days": PlanField(_R, _NEW),
    "tax_policy": PlanField(_R, _NEW),
    "schedule_fixed_hour": PlanField(_R, _NEW),
    "account_funding": PlanField(_R, _NEW),
}
assert tuple(PLAN_FIELDS) == PLAN_INPUT_FIELDS, "PLAN_FIELDS must list every PlanInput field"

EDITABLE_IN_PLACE = tuple(k for k, f in PLAN_FIELDS.items() if f.change == _IN)
KONTOR_FIELDS = tuple(k for k, f in PLAN_FIELDS.items() if f.origin == _K)
REEPAY_FIELDS = tuple(k for k, f in PLAN_FIELDS.items() if f.origin == _R)
KONTOR_KEY = "kontor"  # the export's object holding KONTOR_FIELDS


def needs_new_version(changes: dict[str, Any] | set[str] | tuple[str, ...]) -> bool:
    """True when any changed field cannot change in place (PLAN_FIELDS)."""
    return any(PLAN_FIELDS.get(k, PlanField(_R, _NEW)).change != _IN for k in changes)
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
    # The plan transition table's answer for this version (core/rules/plans.py): action ->
    # None (allowed) or the translated reason why not; screens look it up.
    allowed_actions: dict[str, str | None] = {}

    def to_reepay(self) -> dict[str, Any]:
        """As Reepay's API returns a plan (see `reepay_export`)."""
        return reepay_export(self.__dict__)

    @property
    def billing_frequency(self) -> str:
        """Plain text for the plan list: "every 3 months on day 1", "manual"."""
        from core.plan_text import billing_frequency_text

        return billing_frequency_text(self.schedule_type, self.interval_length,
                                      self.schedule_fixed_day)


EXPORT_ORDER = ("handle", "version", "state", "created", "deleted", *REEPAY_FIELDS)


def reepay_timestamp(moment: datetime) -> str:
    """Reepay's form of a moment: UTC with milliseconds, 2026-01-05T10:00:00.000+00:00."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def reepay_export(values: Any) -> dict[str, Any]:
    """A stored plan version as Reepay's API returns a plan object.

    `values` maps (or has as attributes) the stored fields. Reepay's fields in one order,
    None fields left out, `vat` a float, `created`/`deleted` in Reepay's millisecond form;
    Kontor's own contract terms (KONTOR_FIELDS) under one `kontor` object, present only when
    one of them is set. `plans import` reads exactly this back.
    """
    get = values.get if isinstance(values, dict) else (lambda k: getattr(values, k))
    out: dict[str, Any] = {}
    for k in EXPORT_ORDER:
        v = get(k)
        if v is None:
            continue
        if k == "vat":
            v = float(Decimal(v))
        elif k in ("created", "deleted"):
            v = reepay_timestamp(v)
        elif k == "entitlements":
            v = list(v)
        out[k] = v
    out.setdefault("description", "")
    own = {k: get(k) for k in KONTOR_FIELDS if get(k) is not None}
    if own:
        out[KONTOR_KEY] = own
    return out


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
    # Kontor rules Reepay does not have, stripped control characters, defaults taken.
    warnings: list[str] = Field(default_factory=list)


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
    if err["type"] == "string_type":
        return _("Must be text.")
    if err["type"] == "list_type":
        return _("Must be a list.")
    if err["type"] == "too_long":
        return _("Too many entries (at most {n}).").format(n=ctx.get("max_length"))
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


def plan_rules(p: PlanInput) -> tuple[dict[str, str], dict[str, str]]:
    """Rules between fields: (Reepay's rules, Kontor's own rules).

    The first are Reepay's documented constraints (and what the engine needs to bill); a
    plan breaking one is refused everywhere. The second are Kontor's stricter habits that
    Reepay does not have (a trial on a manual plan, a fixed day or base month on a type that
    ignores it, a unit without a length): the form refuses them while an admin types, an
    import reports them as warnings and keeps the plan as given, and an edit refuses only a
    new one (an imported plan stays editable).
    """
    e: dict[str, str] = {}
    k: dict[str, str] = {}
    if not HANDLE_RE.match(p.handle):
        e["handle"] = _("A handle is 1–255 letters, digits or _ . - @ (no spaces).")
    if not p.name:
        e["name"] = _("Enter a name.")
    if p.currency.upper() not in MINOR_UNITS:
        e["currency"] = _("Unknown ISO 4217 currency code {code}.").format(code=p.currency)
    if p.vat < 0 or p.vat >= 1:
        e["vat"] = _("VAT is a fraction between 0 and 1, e.g. 0.19 for 19 %.")
    elif len(format(p.vat, "f")) > 16:
        e["vat"] = _("VAT has at most 14 decimal places.")
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
        k["schedule_fixed_day"] = _("Only weekly_fixedday and month_fixedday bill on a fixed "
                                    "day; leave it empty for {type}.").format(
            type=p.schedule_type)
    if p.base_month is not None and p.schedule_type not in ("month_fixedday", "month_lastday"):
        k["base_month"] = _("A base month applies only to month_fixedday and month_lastday.")
    if p.schedule_fixed_hour is not None and p.schedule_type not in FIXED_DAY_TYPES:
        k["schedule_fixed_hour"] = _("A fixed hour applies only to the fixed-day types "
                                     "(weekly_fixedday, month_fixedday, month_lastday).")
    for length, unit in LENGTH_PAIRS:
        if getattr(p, length) is not None and getattr(p, unit) is None:
            e[unit] = _("Choose a unit for {field}.").format(field=length)
        if getattr(p, length) is None and getattr(p, unit) is not None:
            k[length] = _("Enter a length for this unit, or clear the unit.")
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
        k["trial_interval_length"] = _("A manual plan has no automatic billing, hence no "
                                       "trial.")
    if p.fixed_trial_days and not p.partial_proration_days:
        # Reepay: "May be true only if partial_proration_days is true" (error 1).
        e["fixed_trial_days"] = _("Trial days need proration by full days.")
    if any(not isinstance(x, str) or not HANDLE_RE.match(x) for x in p.entitlements):
        e["entitlements"] = _("Entitlements are handles (letters, digits, _ . - @).")
    for name in ("dunning_plan", "tax_policy"):
        value = getattr(p, name)
        if value and not HANDLE_RE.match(value):
            e[name] = _("A handle is 1–255 letters, digits or _ . - @ (no spaces).")
    return e, k


def cross_field_errors(p: PlanInput) -> dict[str, str]:
    """Every rule between fields, Reepay's and Kontor's own (what the form refuses)."""
    reepay, own = plan_rules(p)
    return {**own, **reepay}


def validate_plan(data: dict[str, Any], *, tolerate: frozenset[str] | set[str] = frozenset()
                  ) -> tuple[PlanInput, PlanTerms]:
    """Validate a whole plan; raises ValidationFailed with one message per field.

    `tolerate`: Kontor-only rules (see `plan_rules`) not to refuse, because the stored
    version already breaks them (an imported plan stays editable).
    """
    inp, terms, _own = _validate(data, strict=False, tolerate_all=False,
                                 tolerate=frozenset(tolerate))
    return inp, terms


def kontor_rule_fields(p: PlanInput) -> frozenset[str]:
    """The fields of the Kontor-only rules `p` breaks (for `validate_plan(tolerate=…)`)."""
    return frozenset(plan_rules(p)[1])


def _validate(data: dict[str, Any], *, strict: bool, tolerate_all: bool,
              tolerate: frozenset[str]) -> tuple[PlanInput, PlanTerms, dict[str, str]]:
    errors: dict[str, str] = {}
    for name in _INT_FIELDS:  # pydantic's lax mode would take True for 1
        if isinstance(data.get(name), bool):
            errors[name] = _("Must be a whole number.")
    try:
        inp = PlanInput.model_validate(data, strict=strict)
    except ValidationError as exc:
        first = {**input_errors(exc), **errors}
        raise ValidationFailed({**_cross_errors_of_the_rest(data, first), **first}) from None
    reepay, own = plan_rules(inp)
    errors.update(reepay)
    if not tolerate_all:
        errors.update({k: v for k, v in own.items() if k not in tolerate})
    if errors:
        raise ValidationFailed(errors)
    inp = inp.model_copy(update={"currency": inp.currency.upper()})
    try:
        terms = to_terms(inp)
    except PlanTermsError as exc:  # the engine's own rules, should the above miss one
        raise ValidationFailed({exc.field: exc.message}) from None
    return inp, terms, own


# -- Reepay import: strict, as Reepay's API ------------------------------------------------

IMPORT_META_FIELDS = ("version", "state", "created", "deleted")
_MULTILINE_FIELDS = frozenset({"description"})


class ParsedPlan(BaseModel):
    """One plan object of an import, validated: what is stored and what the report says."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    input: PlanInput
    terms: Any  # PlanTerms
    version: int
    state: PlanState
    created: datetime
    deleted: datetime | None
    ignored_fields: list[str]
    warnings: list[str]


def _clean_text(name: str, value: str, warnings: list[str]) -> str:
    """NUL refused; other control characters stripped with a warning (issue 8 item 1)."""
    from core.limits import strip_controls, text_problem

    if "\x00" in value:
        raise ValidationFailed({name: _("Must not contain a NUL character.")})
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValidationFailed({name: _("Not valid Unicode (a lone surrogate).")})
    if text_problem(value, multiline=name in _MULTILINE_FIELDS) is None:
        return value
    warnings.append(_("{field}: control characters were removed.").format(field=name))
    return strip_controls(value, keep_multiline=name in _MULTILINE_FIELDS)


def _clean_value(name: str, value: Any, warnings: list[str]) -> Any:
    if isinstance(value, str):
        return _clean_text(name, value, warnings)
    if isinstance(value, list):
        return [_clean_text(name, v, warnings) if isinstance(v, str) else v for v in value]
    return value


def _timestamp(name: str, value: Any) -> datetime:
    from core.limits import date_in_range, date_range_message

    if not isinstance(value, str):
        raise ValidationFailed({name: _("Must be an ISO-8601 date and time with a zone, "
                                        "as text.")})
    try:
        moment = datetime.fromisoformat(value)  # Python 3.11 reads "Z" too
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationFailed({name: _("Not an ISO-8601 date and time with a zone.")})
    try:
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationFailed({name: date_range_message()}) from None
    if not date_in_range(moment):
        raise ValidationFailed({name: date_range_message()})
    # Reepay holds milliseconds; so does the export (documented normalisation).
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def parse_reepay_plan(item: Any, *, now: datetime, default_currency: str = "EUR",
                      default_vat: Decimal = Decimal(0)) -> ParsedPlan:
    """Validate one plan object as Reepay's API returns it (and as `reepay_export` writes it).

    Strict JSON types as Reepay's API: "100" is not an amount, "yes" not a boolean, 100.0 not
    an integer; `vat` is a JSON number. Reepay's ranges and enums are errors, Kontor's own
    rules warnings (`plan_rules`). A missing `vat`/`currency` takes the account default.
    Null fields count as not given; fields Kontor does not know are listed back. Kontor's
    contract terms are read from the `kontor` object (or, from older exports, the top level).
    Raises ValidationFailed naming the field.
    """
    from core.limits import INT32_MAX as _MAX

    if not isinstance(item, dict):
        raise ValidationFailed({"_": _("Not a plan object.")})
    warnings: list[str] = []
    known = set(PLAN_INPUT_FIELDS) | set(IMPORT_META_FIELDS) | {KONTOR_KEY}
    from core.limits import strip_controls

    # Reported back, so printable: no control characters, at most 100 characters.
    ignored = sorted({strip_controls(str(k))[:100] for k in item if k not in known})
    data: dict[str, Any] = {}
    for k, v in item.items():
        if k in PLAN_INPUT_FIELDS and v is not None:
            data[k] = _clean_value(k, v, warnings)
    own = item.get(KONTOR_KEY)
    if own is not None:
        if not isinstance(own, dict):
            raise ValidationFailed({KONTOR_KEY: _("Must be an object.")})
        for k, v in own.items():
            if k not in KONTOR_FIELDS:
                raise ValidationFailed({f"{KONTOR_KEY}.{k}": _("Unknown field.")})
            if v is not None:
                data[k] = _clean_value(k, v, warnings)
    vat = data.get("vat")
    if vat is None:
        data["vat"] = default_vat
    elif isinstance(vat, bool) or not isinstance(vat, int | float):
        raise ValidationFailed({"vat": _("Must be a number, e.g. 0.19.")})
    else:
        try:
            data["vat"] = Decimal(str(vat))
        except ArithmeticError:
            raise ValidationFailed({"vat": _("Must be a number, e.g. 0.19.")}) from None
        if not data["vat"].is_finite():
            raise ValidationFailed({"vat": _("Must be a number, e.g. 0.19.")})
    if "currency" not in data:
        data["currency"] = default_currency
    if data.get("dunning_plan") == "":
        data["dunning_plan"] = None  # Reepay: no dunning plan given → the default one
    if data.get("tax_policy") == "":
        data["tax_policy"] = None
    inp, terms, own_rules = _validate(data, strict=True, tolerate_all=True,
                                      tolerate=frozenset())
    warnings.extend(f"{k}: {v}" for k, v in own_rules.items())
    version = item.get("version")
    if version is None:
        version = 1
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= _MAX:
        raise ValidationFailed({"version": _("Must be a whole number from 1 to {n}.").format(
            n=_MAX)})
    state = item.get("state")
    if state is None:
        state = "active"
    if state not in ("active", "superseded", "deleted"):
        raise ValidationFailed({"state": _("Must be active, superseded or deleted.")})
    created = _timestamp("created", item["created"]) if item.get("created") is not None \
        else now
    deleted = _timestamp("deleted", item["deleted"]) if item.get("deleted") is not None \
        else None
    if state == "active" and deleted is not None:
        raise ValidationFailed({"deleted": _("An active plan has no deleted date; give state "
                                             "deleted or leave deleted out.")})
    if state == "deleted" and deleted is None:
        deleted = now
    return ParsedPlan(input=inp, terms=terms, version=version, state=state, created=created,
                      deleted=deleted, ignored_fields=ignored, warnings=warnings)


def from_reepay(item: dict[str, Any]) -> tuple[PlanInput, PlanTerms]:
    """A plan object as Reepay's API returns it, validated as the import does (for
    `kontor simulate`, which has no database: defaults EUR and 0 % VAT)."""
    parsed = parse_reepay_plan(item, now=datetime.now(UTC))
    return parsed.input, parsed.terms


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
