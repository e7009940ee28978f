"""The plan form's declared fields (`SPECS`), which of them apply, and the conversions
between what the admin types and Reepay's values; pure of widgets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from textual.widgets import (
    Select,
)

from console.widgets.contract_timeline import (
    RULER_MONTHS,
)
from core.billing.contract_preview import ContractPreview, contract_preview
from core.billing.terms import FIXED_DAY_TYPES, MINOR_UNITS
from core.errors import ValidationFailed
from core.i18n import N_, _, decimal_mark, format_money
from core.money import format_minor, parse_major
from core.schemas.plans import (
    PLAN_INPUT_FIELDS,
    PlanInput,
    validate_plan,
)
from core.schemas.plans import Plan as PlanOut

WRITE = "plans.write"

# -- what the form shows ----------------------------------------------------------------------

SECTIONS = (  # (key, title, jump key)
    ("info", N_("Information"), "f2"),
    ("pricing", N_("Pricing"), "f3"),
    ("billing", N_("Billing"), "f4"),
    ("duration", N_("Subscription duration"), "f5"),
    ("contract", N_("Contract terms"), "f6"),
    ("trial", N_("Trial"), "f7"),
    ("setup", N_("Setup fee"), "f8"),
    ("entitlements", N_("Entitlements"), "f9"),
)
SHORT_SECTION = {"info": N_("Info"), "pricing": N_("Price"), "billing": N_("Billing"),
                 "duration": N_("Duration"), "contract": N_("Terms"), "trial": N_("Trial"),
                 "setup": N_("Setup"), "entitlements": N_("Ent.")}

SCHEDULE_TYPES = (
    ("manual", N_("manual — on request")),
    ("daily", N_("daily — every n days")),
    ("weekly_fixedday", N_("weekly — on a fixed weekday")),
    ("month_startdate", N_("monthly — on the start date")),
    ("month_fixedday", N_("monthly — on a fixed day")),
    ("month_lastday", N_("monthly — on the last day")),
)
PARTIAL_PERIOD = (
    ("bill_prorated", N_("bill prorated (default)")),
    ("bill_full", N_("bill the full period")),
    ("bill_zero_amount", N_("bill a zero amount")),
    ("no_bill", N_("no bill: not a billing period")),
)
PRORATION = (("days", N_("full days")), ("minute", N_("by the minute")))
DURATIONS = (
    ("renew", N_("renew until cancelled")),
    ("fixed_count", N_("fixed number of billing cycles")),
    ("contract_end", N_("end at contract end")),
)
SETUP_FEE_HANDLING = (
    ("first", N_("a line on the first invoice")),
    ("separate", N_("a separate invoice")),
    ("separate_conditional", N_("separate if no invoice at the start")),
)
MONTHS_DAYS = (("months", N_("months")), ("days", N_("days")))
CONTRACT_UNITS = (("months", N_("months")), ("weeks", N_("weeks")), ("days", N_("days")))
INTERVAL_UNIT = {"daily": N_("days"), "weekly_fixedday": N_("weeks")}
STATE_LABELS = {"active": N_("active"), "superseded": N_("superseded"),
                "deleted": N_("deleted")}


def state_label(state: str) -> str:
    return _(STATE_LABELS.get(state, state))


@dataclass(frozen=True)
class Spec:
    """One row of the form, named by its Reepay field."""

    name: str
    label: str  # N_ constant
    kind: str  # text, multiline, int, money, percent, list, select, check, length
    section: str
    placeholder: str = ""
    options: tuple[tuple[str, str], ...] = ()
    blank: bool = False  # a select that may be empty (None)
    default: Any = None  # sent when the input is empty or does not apply
    unit: str | None = None  # kind "length": the unit field beside the length
    create_only: bool = False


SPECS: tuple[Spec, ...] = (
    Spec("name", N_("Name"), "text", "info", N_("shown to customers"), default=""),
    Spec("handle", N_("Handle"), "text", "info", N_("API name, e.g. gold-monthly"),
         default="", create_only=True),
    Spec("description", N_("Description"), "multiline", "info", default=""),
    Spec("renewal_reminder_email_days", N_("Renewal reminder"), "int", "info",
         N_("days before renewal; empty: none")),
    Spec("quantity", N_("Default quantity"), "int", "info", "1", default=1),
    Spec("dunning_plan", N_("Dunning plan"), "select", "info", blank=True),
    Spec("amount", N_("Amount per period"), "money", "pricing", N_("e.g. 29.00")),
    Spec("currency", N_("Currency"), "text", "pricing", "EUR", default="EUR"),
    Spec("vat", N_("VAT %"), "percent", "pricing", N_("e.g. 19"), default=Decimal(0)),
    Spec("amount_incl_vat", N_("Amount incl. VAT"), "check", "pricing", default=True),
    Spec("include_zero_amount", N_("Zero-amount lines"), "check", "pricing", default=False),
    Spec("schedule_type", N_("Bill"), "select", "billing", options=SCHEDULE_TYPES,
         default="month_startdate"),
    Spec("interval_length", N_("Every n months"), "int", "billing", "1", default=1),
    Spec("schedule_fixed_day", N_("Fixed day"), "int", "billing", N_("1–28")),
    Spec("base_month", N_("Base month"), "int", "billing", N_("1–12, optional")),
    Spec("schedule_fixed_hour", N_("Fixed hour"), "int", "billing",
         N_("0–23; empty: midnight")),
    Spec("partial_period_handling", N_("Partial period"), "select", "billing",
         options=PARTIAL_PERIOD, default="bill_prorated"),
    Spec("partial_proration_days", N_("Proration"), "select", "billing", options=PRORATION,
         default=True),
    Spec("minimum_prorated_amount", N_("Minimum prorated"), "money", "billing", N_("0.00"),
         default=0),
    Spec("subscription_duration", N_("Duration"), "select", "duration", options=DURATIONS,
         default="renew"),
    Spec("fixed_count", N_("Billing cycles"), "int", "duration", N_("e.g. 6")),
    Spec("fixed_life_time_length", N_("Fixed life time"), "length", "duration",
         N_("empty: none"), options=MONTHS_DAYS, unit="fixed_life_time_unit"),
    Spec("contract_period_length", N_("Contract period"), "length", "contract",
         N_("empty: none"), options=CONTRACT_UNITS, unit="contract_period_unit"),
    Spec("renewal_contract_period_length", N_("Renewal period"), "length", "contract",
         N_("empty: as the contract period"), options=CONTRACT_UNITS,
         unit="renewal_contract_period_unit"),
    Spec("minimum_contract_period_length", N_("Minimum period"), "length", "contract",
         N_("empty: none"), options=CONTRACT_UNITS, unit="minimum_contract_period_unit"),
    Spec("notice_period_length", N_("Notice period"), "length", "contract",
         N_("empty: none"), options=CONTRACT_UNITS, unit="notice_period_unit"),
    Spec("notice_periods", N_("Notice (periods)"), "int", "contract", "0", default=0),
    Spec("notice_periods_after_current", N_("Notice after period"), "check", "contract",
         default=True),
    Spec("fixation_periods", N_("Minimum (periods)"), "int", "contract", "0", default=0),
    Spec("fixation_periods_full", N_("Full periods only"), "check", "contract",
         default=False),
    Spec("trial_interval_length", N_("Trial"), "length", "trial", N_("empty: no trial"),
         options=MONTHS_DAYS, unit="trial_interval_unit"),
    Spec("trial_reminder_email_days", N_("Trial reminder"), "int", "trial",
         N_("days before the trial ends; empty: none")),
    # default None: unchecked means "not given" (to the minute) unless stored as false.
    Spec("fixed_trial_days", N_("Trial ends at midnight"), "check", "trial"),
    Spec("setup_fee", N_("Setup fee"), "money", "setup", N_("e.g. 49.00; empty: none")),
    Spec("setup_fee_text", N_("Text on invoice"), "text", "setup"),
    Spec("setup_fee_handling", N_("Invoice it as"), "select", "setup",
         options=SETUP_FEE_HANDLING, default="first"),
    Spec("entitlements", N_("Entitlements"), "list", "entitlements",
         N_("comma-separated handles"), default=()),
)
SPEC = {s.name: s for s in SPECS}
ROW_OF = {s.name: s.name for s in SPECS} | {s.unit: s.name for s in SPECS if s.unit}
MONEY_FIELDS = ("amount", "minimum_prorated_amount", "setup_fee")
TIMELINE_FIELDS = (
    "schedule_type", "interval_length", "schedule_fixed_day", "base_month",
    "schedule_fixed_hour", "fixed_trial_days", "partial_period_handling", "fixed_count", "fixed_life_time_length", "fixed_life_time_unit",
    "trial_interval_length", "trial_interval_unit", "notice_periods",
    "notice_periods_after_current", "fixation_periods", "fixation_periods_full",
    "contract_period_length", "contract_period_unit", "renewal_contract_period_length",
    "renewal_contract_period_unit", "minimum_contract_period_length",
    "minimum_contract_period_unit", "notice_period_length", "notice_period_unit",
    "subscription_duration",
)


def applies(name: str, raw: dict[str, Any]) -> bool:
    """Whether the input of `name` applies, given the raw values of the controls."""
    kind = raw.get("schedule_type") or "month_startdate"
    fixed = kind in FIXED_DAY_TYPES
    prorated = fixed and raw.get("partial_period_handling") == "bill_prorated"
    duration = raw.get("subscription_duration") or "renew"
    fixation = str(raw.get("fixation_periods") or "").strip() not in ("", "0")
    rules = {
        "interval_length": kind != "manual",
        "schedule_fixed_day": kind in ("weekly_fixedday", "month_fixedday"),
        "base_month": kind in ("month_fixedday", "month_lastday"),
        "schedule_fixed_hour": fixed,
        "fixed_trial_days": fixed and bool(str(raw.get("trial_interval_length") or "").strip()),
        "partial_period_handling": fixed,
        "partial_proration_days": prorated,
        "minimum_prorated_amount": prorated,
        "fixed_count": duration == "fixed_count",
        "contract_period_length": duration != "fixed_count",
        "renewal_contract_period_length": duration == "renew",
        "fixation_periods_full": fixed and fixation,
        "trial_interval_length": kind != "manual",
        "trial_reminder_email_days": kind != "manual"
        and bool(str(raw.get("trial_interval_length") or "").strip()),
        "setup_fee_text": bool(str(raw.get("setup_fee") or "").strip()),
        "setup_fee_handling": bool(str(raw.get("setup_fee") or "").strip()),
    }
    return rules.get(name, True)


# -- conversions between typed text and Reepay values -------------------------------------------


def minor_to_major(amount: int | None, currency: str) -> str:
    """2900, EUR → "29.00" / "29,00" in the operator's language (what the admin types back:
    `major_to_minor` reads it in every language)."""
    if amount is None:
        return ""
    return format_minor(amount, _known(currency), with_symbol=False)


def major_to_minor(text: str, currency: str) -> int:
    """ "29.00" or "29,00" → 2900 for EUR; ValueError with a message for the form."""
    return parse_major(text, _known(currency))


def _known(currency: str) -> str:
    code = (currency or "EUR").upper()
    return code if code in MINOR_UNITS else "EUR"


def fraction_to_percent(vat: Decimal | None) -> str:
    if vat is None:
        return ""
    text = format((Decimal(vat) * 100).normalize(), "f")
    return text.replace(".", decimal_mark())


def percent_to_fraction(text: str) -> Decimal:
    s = text.strip().rstrip("%").strip().replace(",", ".")
    try:
        value = Decimal(s)
    except InvalidOperation:
        raise ValueError(_("Enter VAT as a percentage, e.g. 19 or 7.5.")) from None
    if not value.is_finite():
        raise ValueError(_("Enter VAT as a percentage, e.g. 19 or 7.5."))
    return value / 100


def raw_values(plan: PlanOut | None) -> dict[str, Any]:
    """The controls' values for a stored plan (or a new one)."""
    raw: dict[str, Any] = {}
    currency = plan.currency if plan else "EUR"
    for spec in SPECS:
        value = getattr(plan, spec.name) if plan else None
        if spec.kind == "check":
            raw[spec.name] = bool(spec.default if value is None else value)
        elif spec.kind == "select":
            if spec.name == "partial_proration_days":
                flag = spec.default if value is None else value
                raw[spec.name] = "days" if flag else "minute"
            elif spec.name == "subscription_duration":
                raw[spec.name] = value or (
                    "fixed_count" if plan is not None and plan.fixed_count else "renew")
            else:
                raw[spec.name] = value if value is not None else (
                    None if spec.blank else spec.default)
        elif spec.kind == "money":
            raw[spec.name] = minor_to_major(value, currency) if value is not None else (
                "" if plan is None or spec.default is None else minor_to_major(spec.default,
                                                                                currency))
        elif spec.kind == "percent":
            raw[spec.name] = fraction_to_percent(value) if plan else ""
        elif spec.kind == "list":
            raw[spec.name] = ", ".join(value or [])
        elif spec.kind == "length":
            raw[spec.name] = "" if value is None else str(value)
            unit = getattr(plan, spec.unit) if plan else None
            raw[spec.unit] = unit or spec.options[0][0]
        elif spec.name == "currency":
            raw[spec.name] = currency
        else:
            raw[spec.name] = "" if value is None else str(value)
    if plan is None:
        raw["schedule_type"] = "month_startdate"
    return raw


def parse_values(raw: dict[str, Any], plan: PlanOut | None
                 ) -> tuple[dict[str, Any], dict[str, str]]:
    """Reepay field values from the controls, and the messages for text that is not a value.

    An input that does not apply sends None (or its default when the field has no empty
    value), so a hidden fixed day can never make a plan invalid. A stored value that was
    hidden from the start (an imported plan may hold one) is kept: nobody saw it change.
    """
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    currency = str(raw.get("currency") or "EUR").strip().upper()
    initial = raw_values(plan) if plan is not None else None
    for spec in SPECS:
        if spec.create_only and plan is not None:
            data[spec.name] = plan.handle
            continue
        value = raw.get(spec.name)
        shown = applies(spec.name, raw)
        if not shown and initial is not None and not applies(spec.name, initial):
            data[spec.name] = getattr(plan, spec.name)
            if spec.unit:
                data[spec.unit] = getattr(plan, spec.unit)
            continue
        if spec.kind == "length":
            text = str(value or "").strip()
            if not shown or not text:
                data[spec.name] = data[spec.unit] = None
                continue
            data[spec.unit] = raw.get(spec.unit)
            value = text
            kind = "int"
        else:
            kind = spec.kind
        if kind == "check":
            data[spec.name] = bool(value)
            if spec.default is None and not value and (
                    plan is None or getattr(plan, spec.name) is None):
                data[spec.name] = None  # a Reepay flag not given stays not given
            continue
        if kind == "select":
            if spec.name == "partial_proration_days":
                data[spec.name] = value != "minute"
            elif not shown and spec.default is None:
                data[spec.name] = None
            else:
                data[spec.name] = None if value in (None, Select.NULL) else value
            continue
        text = str(value or "").strip() if kind != "multiline" else str(value or "")
        if kind == "multiline":
            data[spec.name] = text.strip()
            continue
        if not shown and spec.default is None:
            data[spec.name] = None
            continue
        if not text:
            data[spec.name] = list(spec.default) if kind == "list" else spec.default
            if spec.name == "amount":
                errors["amount"] = _("Enter the amount per period, e.g. 29.00.")
            continue
        try:
            if kind == "int":
                try:
                    data[spec.name] = int(text)
                except ValueError:
                    raise ValueError(_("Must be a whole number.")) from None
            elif kind == "money":
                data[spec.name] = major_to_minor(text, currency)
            elif kind == "percent":
                data[spec.name] = percent_to_fraction(text)
            elif kind == "list":
                data[spec.name] = [x.strip() for x in text.split(",") if x.strip()]
            elif spec.name == "currency":
                data[spec.name] = text.upper()
            else:
                data[spec.name] = text
        except ValueError as exc:
            errors[spec.name] = str(exc)
    if data.get("setup_fee_text") == "":
        data["setup_fee_text"] = None
    # Fields the form has no input for (prepaid, tax_policy, fixed_trial_days …) keep the
    # stored value: nobody saw them change.
    if plan is not None:
        for name in PLAN_INPUT_FIELDS:
            if name not in data:
                data[name] = getattr(plan, name)
    # A stored plan without an explicit duration keeps None while the choice means the same.
    if plan is not None and plan.subscription_duration is None:
        derived = "fixed_count" if plan.fixed_count else "renew"
        if data.get("subscription_duration") == derived and (
                derived == "renew" or data.get("fixed_count")):
            data["subscription_duration"] = None
    return data, errors


def _same(a: Any, b: Any) -> bool:
    def norm(v: Any) -> Any:
        if v == "" or v == []:
            return None
        if isinstance(v, tuple):
            return list(v)
        return v

    return norm(a) == norm(b)


def changed_fields(plan: PlanOut, inp: PlanInput) -> dict[str, Any]:
    """The Reepay fields whose validated new value differs from the stored version."""
    before = plan.model_dump(include=set(PLAN_INPUT_FIELDS))
    after = inp.model_dump()
    return {k: after[k] for k in PLAN_INPUT_FIELDS
            if k != "handle" and not _same(before.get(k), after.get(k))}


def field_label(name: str) -> str:
    spec = SPEC.get(ROW_OF.get(name, name))
    if spec is None:
        return name
    if name == spec.unit:
        return _(spec.label) + " " + _("unit")
    return _(spec.label)


def show_value(name: str, value: Any, currency: str) -> str:
    """A stored value as the admin reads it (for change lists)."""
    if value is None or value == "" or value == []:
        return "—"
    if name in MONEY_FIELDS:
        return format_money(int(value), currency)
    if name == "vat":
        return fraction_to_percent(Decimal(str(value))) + " %"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(str(x) for x in value)
    return str(value)


def describe_changes(before: PlanOut, after: dict[str, Any]) -> list[str]:
    """One line per changed field: "Amount per period: €29.00 → €35.00"."""
    cur = before.currency
    return [f"{field_label(name)}: {show_value(name, getattr(before, name, None), cur)} → "
            f"{show_value(name, value, cur)}" for name, value in after.items()]



def timeline_preview(raw: dict[str, Any], plan: PlanOut | None, start: datetime
                     ) -> ContractPreview | dict[str, str]:
    """The engine's contract preview for what the form holds, or the messages in the way.

    Runs in a worker: validation and the engine are pure but not free.
    """
    data, errors = parse_values(raw, plan)
    subset = {k: data[k] for k in TIMELINE_FIELDS if k in data and k not in errors}
    blocking = {k: v for k, v in errors.items() if k in TIMELINE_FIELDS}
    if blocking:
        return blocking
    try:
        _inp, terms = validate_plan({"handle": "preview", "name": "preview", "amount": 0,
                                     **subset})
    except ValidationFailed as exc:
        return exc.fields
    return contract_preview(terms, start, months=RULER_MONTHS)
