"""Create or edit a plan, sectioned like Reepay's form (seed "Pläne").

Inputs appear only where they apply; ctrl+s saves. On an existing plan a change to fields
editable in place is saved on the version; any other change leads into "Create new version"
(who is affected, how many subscribers, confirm). The contract timeline under the contract
terms is drawn from `core.billing.contract_preview` as the admin types: the console only
places the engine's dates on a ruler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Select,
    Static,
    TextArea,
)

from console.calls import run_service, show_error
from console.widgets.choice import Choice
from console.widgets.confirm import ConfirmDialog
from core.billing.contract_preview import ContractPreview, contract_preview
from core.billing.periods import DEFAULT_TZ
from core.billing.terms import FIXED_DAY_TYPES, MINOR_UNITS
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.i18n import N_, _, format_money, format_short_date, format_short_datetime, ngettext
from core.money import parse_major, to_major_str
from core.schemas.plans import (
    PLAN_INPUT_FIELDS,
    AffectedSubscribers,
    PlanInput,
    PlanVersionResult,
    needs_new_version,
    validate_plan,
)
from core.schemas.plans import Plan as PlanOut
from core.services import plans as plan_service
from core.services import settings as settings_service
from core.services.context import ServiceContext

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
    Spec("minimum_prorated_amount", N_("Minimum prorated"), "money", "billing", "0.00",
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
    """2900, EUR → "29.00" (what the admin types back)."""
    if amount is None:
        return ""
    return to_major_str(amount, _known(currency))


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
    return text


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


# -- the contract timeline --------------------------------------------------------------------

RULER_MONTHS = 24
CELLS = 2  # characters per month: 48 columns for two years
TIMELINE_LABEL = 10


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


def _local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def _deadline_text(moment: datetime, tz: str) -> str:
    local = _local(moment, tz)
    if (local.hour, local.minute) == (23, 59):
        return format_short_date(local)
    return format_short_datetime(moment)


def timeline_lines(p: ContractPreview) -> list[str]:
    """The preview drawn as text: a ruler over the months, bars, markers and dated lines."""
    width = RULER_MONTHS * CELLS + 1

    def col(moment: datetime) -> int:
        return max(0, min(width - 1, round(p.month_of(moment) * CELLS)))

    def row(label: str, cells: list[str]) -> str:
        return f"{label[:TIMELINE_LABEL - 1]:<{TIMELINE_LABEL}}" + "".join(cells).rstrip()

    start_local = _local(p.start, p.tz)
    months_line = [" "] * (width + 8)
    for m in range(0, RULER_MONTHS + 1, 6):
        y, mo = divmod(start_local.month - 1 + m, 12)
        text = f"{start_local.year + y}-{mo + 1:02d}"
        for i, ch in enumerate(text):
            if m * CELLS + i < len(months_line):
                months_line[m * CELLS + i] = ch
    ruler = ["─"] * width
    for m in range(RULER_MONTHS + 1):
        ruler[m * CELLS] = "┼" if m % 6 == 0 else "┬"

    invoices = [" "] * width
    for moment in p.invoices:
        invoices[col(moment)] = "•"

    contract = [" "] * width
    origin = p.first_period_start or p.start
    begin = col(origin)
    for i, end in enumerate(p.contract_ends):
        fill = "=" if i == 0 else "-"
        stop = col(end) if end < p.until else width
        for c in range(begin, min(stop, width)):
            contract[c] = fill
        if end < p.until:
            contract[stop] = "|"
        begin = stop + 1

    minimum = [" "] * width
    if p.minimum_end is not None:
        for c in range(col(origin), col(p.minimum_end)):
            minimum[c] = "#"
        if p.minimum_end < p.until:
            minimum[col(p.minimum_end)] = "|"

    events = [" "] * width
    symbols = {"trial_end": "T", "first_period": "1", "notice_deadline": "!",
               "earliest_end": "E", "fixed_end": "X"}
    for m in p.marks:
        if m.kind in symbols and m.at < p.until:
            events[col(m.at)] = symbols[m.kind]

    lines = [
        _("Contract timeline for a subscriber starting {date} (24 months)").format(
            date=format_short_date(p.start)),
        " " * TIMELINE_LABEL + "".join(months_line).rstrip(),
        row("", ruler),
        row(_("invoices"), invoices),
    ]
    if p.contract_ends:
        lines.append(row(_("contract"), contract))
    if p.minimum_end is not None:
        lines.append(row(_("minimum"), minimum))
    if any(c != " " for c in events):
        lines.append(row(_("events"), events))
    lines.append("")
    if p.invoices:
        lines.append("• " + ngettext("{n} invoice in 24 months, the first on {date}",
                                     "{n} invoices in 24 months, the first on {date}",
                                     len(p.invoices)).format(
            n=len(p.invoices), date=format_short_date(p.invoices[0])))
    else:
        lines.append("• " + _("no automatic invoices"))
    if p.trial_end is not None:
        lines.append("T " + _("trial ends {date}").format(date=format_short_date(p.trial_end)))
    if p.first_period_start is not None and p.first_period_start not in (p.start, p.trial_end):
        lines.append("1 " + _("first billing period starts {date}").format(
            date=format_short_date(p.first_period_start)))
    if p.contract_ends:
        first = p.contract_ends[0]
        text = "= " + _("contract period ends {date}").format(date=format_short_date(first))
        if len(p.contract_ends) > 1:
            renewals = ", ".join(format_short_date(e) for e in p.contract_ends[1:4])
            more = "…" if len(p.contract_ends) > 4 else ""
            text += "; - " + _("renewals end {dates}").format(dates=renewals + more)
        lines.append(text)
    if p.minimum_end is not None:
        lines.append("# " + _("minimum contract period ends {date}").format(
            date=format_short_date(p.minimum_end)))
    for moment, end in p.notice_deadlines:
        lines.append("! " + _("cancel by {deadline} to end on {date}").format(
            deadline=_deadline_text(moment, p.tz), date=format_short_date(end)))
    if p.earliest_end is not None and not p.contract_ends:
        lines.append("E " + _("cancelled on the first day, it ends on {date}").format(
            date=format_short_date(p.earliest_end)))
    if p.fixed_end is not None:
        lines.append("X " + _("ends by itself on {date}").format(
            date=format_short_date(p.fixed_end)))
    return lines


def sample_start(tz: str = DEFAULT_TZ) -> datetime:
    """Today at local midnight: the sample subscriber of the timeline."""
    z = ZoneInfo(tz)
    return datetime.combine(datetime.now(z).date(), time(), tzinfo=z)


# -- widgets ----------------------------------------------------------------------------------


class PlanRow(Vertical):
    """Label, control (and unit), the error line under it. Ids: field-/input-/error-<name>."""

    def __init__(self, spec: Spec, raw: dict[str, Any], *, options=None, disabled=False):
        super().__init__(id=f"field-{spec.name}", classes="plan-row")
        self.spec, self.raw, self.options, self.locked = spec, raw, options, disabled

    def compose(self) -> ComposeResult:
        spec, value = self.spec, self.raw.get(self.spec.name)
        name = spec.name
        with Horizontal(classes="plan-line"):
            yield Label(_(spec.label), classes="plan-label", id=f"label-{name}")
            if spec.kind == "multiline":
                yield TextArea(str(value or ""), id=f"input-{name}", compact=True,
                               disabled=self.locked, placeholder=_("optional"))
            elif spec.kind == "select":
                options = self.options if self.options is not None else [
                    (_(label), v) for v, label in spec.options]
                yield Select(options, value=value if value is not None else Select.NULL,
                             allow_blank=spec.blank, prompt=_("— none —"),
                             id=f"input-{name}", compact=True, disabled=self.locked)
            elif spec.kind == "check":
                yield Checkbox(_("yes") if value else _("no"), bool(value), id=f"input-{name}",
                               compact=True, disabled=self.locked)
            else:
                yield Input(str(value or ""), placeholder=_(spec.placeholder) if spec.placeholder
                            else "", id=f"input-{name}", compact=True, disabled=self.locked,
                            select_on_focus=False)
            if spec.kind == "length":
                yield Select([(_(label), v) for v, label in spec.options],
                             value=self.raw.get(spec.unit) or spec.options[0][0],
                             allow_blank=False, id=f"input-{spec.unit}", compact=True,
                             classes="plan-unit", disabled=self.locked)
        yield Static("", classes="plan-error -empty", id=f"error-{name}")

    def controls(self) -> list[Widget]:
        out = [self.query_one(f"#input-{self.spec.name}")]
        if self.spec.unit:
            out.append(self.query_one(f"#input-{self.spec.unit}"))
        return out

    def set_error(self, message: str | None) -> None:
        err = self.query_one(".plan-error", Static)
        err.update(escape("✗ " + message) if message else "")
        err.set_class(not message, "-empty")

    @property
    def error(self) -> str:
        err = self.query_one(".plan-error", Static)
        return "" if err.has_class("-empty") else str(err.render())


def control_value(w: Widget) -> Any:
    if isinstance(w, TextArea):
        return w.text
    if isinstance(w, Select):
        return None if w.value is Select.NULL else w.value
    return w.value


def set_control_value(w: Widget, value: Any) -> None:
    if isinstance(w, TextArea):
        w.text = str(value or "")
    elif isinstance(w, Select):
        if value is None:
            w.clear()
        else:
            w.value = value
    elif isinstance(w, Checkbox):
        w.value = bool(value)
    else:
        w.value = "" if value is None else str(value)


class PlanForm(Screen[PlanOut | None]):
    """ctrl+s saves, esc cancels (asking when something changed), F2–F9 jump to a section."""

    DEFAULT_CSS = """
    PlanForm { layout: vertical; }
    PlanForm #plan-title { height: 1; padding: 0 1; text-style: bold; }
    PlanForm #plan-nav { height: 1; padding: 0 1; }
    PlanForm #form-banner { height: auto; padding: 0 1; text-style: bold; }
    PlanForm #form-banner.-empty { display: none; }
    PlanForm #plan-body { height: 1fr; padding: 0 1; }
    PlanForm .plan-section { height: auto; margin-bottom: 1; }
    PlanForm .plan-heading { height: 1; text-style: bold; }
    PlanForm PlanRow { height: auto; }
    PlanForm PlanRow.-hidden { display: none; }
    PlanForm .plan-line { height: auto; }
    PlanForm .plan-label { width: 20; }
    PlanForm PlanRow Input { width: 1fr; }
    PlanForm PlanRow Select { width: 1fr; }
    PlanForm PlanRow Select.plan-unit { width: 14; margin-left: 1; }
    PlanForm PlanRow TextArea { width: 1fr; height: 3; }
    PlanForm PlanRow Checkbox { width: auto; }
    PlanForm PlanRow .plan-error { padding-left: 20; height: auto; color: $error; }
    PlanForm PlanRow .plan-error.-empty { display: none; }
    PlanForm #contract-timeline { height: auto; margin-top: 1; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", _("Save"), priority=True),
        Binding("escape", "cancel", _("Cancel")),
        Binding("ctrl+n", "next_section", _("Next section"), priority=True),
        Binding("ctrl+o", "versions", _("Versions")),
        Binding("ctrl+r", "reload", _("Reload"), show=False),
        *[Binding(key, f"section('{section}')", _("Go to: {section}").format(
            section=_(title)), show=False, priority=True)
          for section, title, key in SECTIONS],
    ]

    def __init__(self, ctx: ServiceContext, plan: PlanOut | None, *, read_only: bool = False,
                 show_versions: bool = True, start: datetime | None = None):
        super().__init__()
        self.ctx, self.plan = ctx, plan
        self.show_versions = show_versions
        self.start = start or sample_start()
        self.read_only_reason = self._read_only_reason(read_only)
        self.saving = False
        self._initial: dict[str, Any] = {}
        self._timeline_timer = None
        self._dunning_options: list[tuple[str, str]] = []
        self.conflicted = False
        self.current_section = "info"

    def _read_only_reason(self, requested: bool) -> str | None:
        plan = self.plan
        if requested and plan is not None:
            return _("Version {v} ({state}), read only.").format(v=plan.version,
                                                                 state=state_label(plan.state))
        if not self.ctx.can(WRITE):
            return _("Read only: plans are changed by admins (your role: {role}).").format(
                role=self.ctx.role)
        if plan is not None and plan.state == "superseded":
            return _("Version {v} is superseded: open the current version to change the "
                     "plan.").format(v=plan.version)
        if plan is not None and plan.state == "deleted":
            return _("The plan is deleted: undelete it to change it.")
        return None

    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        raw = raw_values(self.plan)
        yield Static(self._title(), id="plan-title", markup=False)
        yield Static("", id="plan-nav")
        yield Static("", id="form-banner", classes="-empty")
        with VerticalScroll(id="plan-body"):
            for section, title, key in SECTIONS:
                with Vertical(id=f"section-{section}", classes="plan-section"):
                    yield Static(f"── {_(title)} ({key.upper()}) " + "─" * 30,
                                 classes="plan-heading", markup=False)
                    for spec in SPECS:
                        if spec.section != section:
                            continue
                        if spec.create_only and self.plan is not None:
                            continue
                        options = None
                        if spec.name == "dunning_plan":
                            current = raw.get("dunning_plan")
                            options = [(current, current)] if current else []
                        locked = self.read_only or (spec.name == "currency"
                                                    and self.plan is not None)
                        yield PlanRow(spec, raw, options=options, disabled=locked)
                    if section == "contract":
                        yield Static("", id="contract-timeline", markup=False)
        yield Footer()

    def _title(self) -> str:
        p = self.plan
        if p is None:
            return _("New plan")
        return _("Plan {name} ({handle}) · version {v} · {state}").format(
            name=p.name, handle=p.handle, v=p.version, state=state_label(p.state))

    def on_mount(self) -> None:
        self._apply_visibility()
        self._nav("info")
        if self.read_only_reason:
            self._banner(self.read_only_reason)
            self.query_one("#plan-body").focus()
        else:
            self.query_one("#input-name").focus()
        run_service(self, plan_service.list_dunning_plans, self.ctx,
                    on_done=self._dunning_plans, on_error=lambda exc: None, group="dunning")
        if self.plan is None:  # a new plan starts with the account's currency and VAT
            run_service(self, settings_service.list_settings, self.ctx,
                        on_done=self._account_defaults, on_error=lambda exc: None,
                        group="settings")
        self._initial = self.raw()
        self._refresh_timeline()

    def _account_defaults(self, settings) -> None:
        values = {s.key: s.value for s in settings}
        untouched = self.raw() == self._initial
        for name, value in (("currency", values.get("default_currency")),
                            ("vat", fraction_to_percent(values.get("default_vat")) or "")):
            control = self.query_one(f"#input-{name}", Input)
            if value and not control.value.strip() or name == "currency" and untouched:
                control.value = value
        if untouched:
            self._initial = self.raw()

    def _dunning_plans(self, plans) -> None:
        select = self.query_one("#input-dunning_plan", Select)
        current = control_value(select)
        self._dunning_options = [(f"{d.name} ({d.handle})", d.handle) for d in plans]
        self._set_dunning(select, current)

    def _set_dunning(self, select: Select, value: str | None) -> None:
        options = list(self._dunning_options)
        if value and value not in {v for _label, v in options}:
            options.append((value, value))
        select.set_options(options)
        if value:
            select.value = value

    # -- values -----------------------------------------------------------------------------

    def rows(self) -> list[PlanRow]:
        return list(self.query(PlanRow))

    def raw(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for row in self.rows():
            for control in row.controls():
                out[control.id.removeprefix("input-")] = control_value(control)
        if self.plan is not None:
            out["handle"] = self.plan.handle
        return out

    @property
    def dirty(self) -> bool:
        return self.raw() != self._initial

    def fill(self, plan: PlanOut) -> None:
        raw = raw_values(plan)
        for row in self.rows():
            for control in row.controls():
                name = control.id.removeprefix("input-")
                if name == "dunning_plan":
                    self._set_dunning(control, raw.get(name))
                else:
                    set_control_value(control, raw.get(name))
        self._apply_visibility()

    # -- showing and hiding ---------------------------------------------------------------

    def _apply_visibility(self) -> None:
        raw = self.raw()
        for row in self.rows():
            row.set_class(not applies(row.spec.name, raw), "-hidden")
        kind = raw.get("schedule_type") or "month_startdate"
        unit = _(INTERVAL_UNIT.get(kind, N_("months")))
        label = self.query("#label-interval_length")
        if label:
            label.first(Label).update(_("Every n {unit}").format(unit=unit))
        fixed_day = self.query("#input-schedule_fixed_day")
        if fixed_day:
            fixed_day.first(Input).placeholder = (
                _("1 = Monday … 7 = Sunday") if kind == "weekly_fixedday" else _("1–28"))

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(TextArea.Changed)
    def _changed(self, event) -> None:
        if isinstance(event, Checkbox.Changed):
            event.checkbox.label = _("yes") if event.value else _("no")
        if not self.is_mounted:
            return
        self._apply_visibility()
        if self._timeline_timer is not None:
            self._timeline_timer.stop()
        self._timeline_timer = self.set_timer(0.2, self._refresh_timeline)

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def _refresh_timeline(self) -> None:
        self._timeline_timer = None
        run_service(self, timeline_preview, self.raw(), self.plan, self.start,
                    on_done=self._show_timeline, group="timeline", exclusive=True)

    def _show_timeline(self, result) -> None:
        widget = self.query_one("#contract-timeline", Static)
        if isinstance(result, dict):
            problems = "; ".join(f"{field_label(k)}: {v}" for k, v in result.items())
            widget.update(_("The timeline waits for valid billing and contract fields — "
                            "{problems}").format(problems=problems))
        else:
            widget.update("\n".join(timeline_lines(result)))

    # -- sections ---------------------------------------------------------------------------

    def _nav(self, current: str) -> None:
        self.current_section = current
        parts = []
        for section, _title, key in SECTIONS:
            label = f"{key.upper()} {_(SHORT_SECTION[section])}"
            parts.append(f"[reverse]▸{label}[/reverse]" if section == current else label)
        self.query_one("#plan-nav", Static).update(" ".join(parts))

    def on_descendant_focus(self, event) -> None:
        node = event.widget
        while node is not None and node is not self:
            if isinstance(node, Vertical) and node.has_class("plan-section"):
                self._nav(node.id.removeprefix("section-"))
                return
            node = node.parent

    def action_section(self, section: str) -> None:
        target = self.query_one(f"#section-{section}")
        body = self.query_one("#plan-body", VerticalScroll)
        for row in target.query(PlanRow):
            if row.has_class("-hidden"):
                continue
            control = row.controls()[0]
            if control.focusable:
                control.focus(scroll_visible=False)
                break
        self._nav(section)
        body.scroll_to_widget(target, top=True, animate=False)

    def action_next_section(self) -> None:
        keys = [s for s, _t, _k in SECTIONS]
        i = keys.index(self.current_section)
        self.action_section(keys[(i + 1) % len(keys)])

    def action_versions(self) -> None:
        if self.plan is not None and self.show_versions:
            from console.screens.plan_versions import open_versions

            open_versions(self, self.ctx, self.plan.handle)

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "versions":
            return self.plan is not None and self.show_versions
        if action == "save":
            return None if self.read_only else True
        if action == "reload":
            return self.conflicted
        return True

    # -- errors and banner ----------------------------------------------------------------

    def _banner(self, text: str | None) -> None:
        banner = self.query_one("#form-banner", Static)
        banner.update(escape(text or ""))
        banner.set_class(not text, "-empty")

    def show_errors(self, errors: dict[str, str]) -> None:
        by_row: dict[str, list[str]] = {}
        rest = []
        shown_rows = {r.spec.name for r in self.rows() if not r.has_class("-hidden")}
        for key, message in errors.items():
            row = ROW_OF.get(key)
            if row in shown_rows:
                by_row.setdefault(row, []).append(message)
            else:
                rest.append(message if key == "_" else f"{field_label(key)}: {message}")
        first = None
        for row in self.rows():
            messages = by_row.get(row.spec.name)
            row.set_error(" ".join(messages) if messages else None)
            if messages and first is None:
                first = row
        self._banner("\n".join(rest) if rest else None)
        if first is not None:
            bad = next((k for k in errors if ROW_OF.get(k) == first.spec.name), first.spec.name)
            controls = first.controls()
            control = controls[1] if first.spec.unit == bad and len(controls) > 1 else controls[0]
            control.focus()
            self.query_one("#plan-body", VerticalScroll).scroll_to_widget(first, animate=False)

    # -- saving -----------------------------------------------------------------------------

    def collect(self) -> tuple[dict[str, Any], PlanInput | None, dict[str, str]]:
        """What the form would save, the validated input, and every message (form + core)."""
        data, errors = parse_values(self.raw(), self.plan)
        try:
            inp, _terms = validate_plan({k: v for k, v in data.items() if k not in errors})
        except ValidationFailed as exc:
            return data, None, {**exc.fields, **errors}
        return data, (None if errors else inp), errors

    def action_save(self) -> None:
        if self.read_only or self.saving:
            return
        data, inp, errors = self.collect()
        if errors or inp is None:
            self.show_errors(errors)
            return
        self.show_errors({})
        if self.plan is None:
            self.saving = True
            run_service(self, plan_service.create_plan, self.ctx, data,
                        on_done=self._saved, on_error=self._failed)
            return
        changes = changed_fields(self.plan, inp)
        if not changes:
            self.notify(_("Nothing changed."))
            return
        if not needs_new_version(changes):
            self.saving = True
            run_service(self, plan_service.edit_plan, self.ctx, self.plan.handle, changes,
                        expected_row_version=self.plan.row_version,
                        on_done=self._saved, on_error=self._failed)
            return
        self.saving = True
        plan = self.plan

        def counted(affected: AffectedSubscribers) -> None:
            self.saving = False
            self.app.push_screen(NewVersionDialog(plan, changes, affected),
                                 callback=lambda scope: scope and self._new_version(
                                     changes, scope))

        run_service(self, plan_service.count_affected_subscribers, self.ctx, plan.handle,
                    on_done=counted, on_error=self._failed)

    def _new_version(self, changes: dict[str, Any], scope: str) -> None:
        self.saving = True
        run_service(self, plan_service.create_plan_version, self.ctx, self.plan.handle,
                    changes, scope=scope, expected_row_version=self.plan.row_version,
                    on_done=self._versioned, on_error=self._failed)

    def _versioned(self, result: PlanVersionResult) -> None:
        self.saving = False
        old = ", ".join(str(v) for v in result.superseded) or "—"
        message = _("Version {v} is active; superseded: {old}.").format(
            v=result.plan.version, old=old)
        if result.subscribers_moving:
            message += " " + ngettext(
                "{n} subscriber moves at the end of the current period.",
                "{n} subscribers move at the end of their current period.",
                result.subscribers_moving).format(n=result.subscribers_moving)
        self.notify(message, title=_("New version"))
        self.dismiss(result.plan)

    def _saved(self, plan: PlanOut) -> None:
        self.saving = False
        self.notify(_("Saved {name} ({handle}), version {v}.").format(
            name=plan.name, handle=plan.handle, v=plan.version))
        self.dismiss(plan)

    def _failed(self, exc: Exception) -> None:
        self.saving = False
        if isinstance(exc, ValidationFailed):
            self.show_errors(exc.fields)
        elif isinstance(exc, Conflict):
            self.conflicted = True
            self.refresh_bindings()
            self._banner("⚠ " + str(exc) + "\n" + _(
                "ctrl+r loads the saved version (your typing is discarded); esc cancels."))
        elif isinstance(exc, PermissionDenied):
            self._banner("⚠ " + str(exc))
            show_error(self, exc)
        else:
            show_error(self, exc)

    def action_reload(self) -> None:
        if self.plan is None:
            return

        def loaded(plan: PlanOut) -> None:
            self.plan, self.conflicted = plan, False
            self.read_only_reason = self._read_only_reason(False)
            self.fill(plan)
            self.query_one("#plan-title", Static).update(self._title())
            self._initial = self.raw()
            self.show_errors({})
            self._banner(self.read_only_reason)
            self.refresh_bindings()
            self._refresh_timeline()
            self.notify(_("Loaded the saved version {v}.").format(v=plan.version))

        run_service(self, plan_service.get_plan, self.ctx, self.plan.handle, on_done=loaded)

    def action_cancel(self) -> None:
        if self.read_only or not self.dirty:
            self.dismiss(None)
            return
        self.app.push_screen(ConfirmDialog(_("Discard your changes?"),
                                           _("Nothing of them has been saved."),
                                           yes=_("Discard")),
                             callback=lambda yes: yes and self.dismiss(None))


class NewVersionDialog(ModalScreen[str | None]):
    """Create new version: who is affected and how many, then confirm (ctrl+s)."""

    DEFAULT_CSS = """
    NewVersionDialog { align: center middle; }
    NewVersionDialog #version-dialog { width: 76; max-width: 100%; height: auto;
        max-height: 100%; padding: 0 1; background: $panel; border: thick $warning; }
    NewVersionDialog #version-changes { height: auto; max-height: 6; }
    NewVersionDialog RadioSet { width: 100%; height: auto; }
    NewVersionDialog #version-count { height: auto; margin-top: 1; }
    NewVersionDialog #version-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    NewVersionDialog #version-buttons Button { margin-left: 2; width: auto; }
    """

    BINDINGS = [
        Binding("ctrl+s", "confirm", _("Create version"), priority=True),
        Binding("escape", "cancel", _("Cancel")),
        Binding("1", "scope('new_only')", _("Only new subscribers"), show=False),
        Binding("2", "scope('new_and_existing')", _("New and existing"), show=False),
    ]

    def __init__(self, plan: PlanOut, changes: dict[str, Any],
                 affected: AffectedSubscribers):
        super().__init__()
        self.plan, self.changes, self.affected = plan, changes, affected
        self.scope = "new_only"

    def compose(self) -> ComposeResult:
        p = self.plan
        with Vertical(id="version-dialog"):
            yield Static("[b]" + escape(_("Create version {n} of {name} ({handle})").format(
                n=p.version + 1, name=p.name, handle=p.handle)) + "[/b]")
            yield Static(escape(_("These changes need a new version:")))
            with VerticalScroll(id="version-changes"):
                yield Static(escape("\n".join("  " + line for line in describe_changes(
                    p, self.changes))))
            yield Static("[b]" + escape(_("Who is affected?")) + "[/b]")
            with RadioSet(id="version-scope", compact=True):
                yield Choice(_("[1] Only new subscribers — existing ones stay on "
                               "version {v}").format(v=p.version), value=True,
                             id="scope-new_only")
                yield Choice(_("[2] New and existing subscribers (moved at the end of "
                               "their period)"), id="scope-new_and_existing")
            yield Static("", id="version-count")
            with Horizontal(id="version-buttons"):
                yield Button(_("Cancel") + " \\[esc]", id="version-cancel", compact=True)
                yield Button(_("Create version") + " \\[ctrl+s]", id="version-confirm",
                             variant="warning", compact=True)

    def on_mount(self) -> None:
        self._count()
        self.query_one(RadioSet).focus()

    def _count(self) -> None:
        total = self.affected.total
        if self.scope == "new_only":
            text = _("Chosen: only new subscribers.") + " " + ngettext(
                "{n} live subscriber stays on its current version.",
                "{n} live subscribers stay on their current version.", total).format(n=total)
        else:
            text = _("Chosen: new and existing subscribers.") + " " + ngettext(
                "{n} live subscriber moves to version {v} at the end of its current period.",
                "{n} live subscribers move to version {v} at the end of their current period.",
                total).format(n=total, v=self.plan.version + 1)
        by_version = ", ".join(f"v{v}: {n}" for v, n in sorted(self.affected.by_version.items()))
        if by_version:
            text += " (" + by_version + ")"
        self.query_one("#version-count", Static).update(escape(text))

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self.scope = event.pressed.id.removeprefix("scope-")
        self._count()

    def action_scope(self, scope: str) -> None:
        self.query_one(f"#scope-{scope}", RadioButton).value = True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_confirm() if event.button.id == "version-confirm" else self.action_cancel()

    def action_confirm(self) -> None:
        self.dismiss(self.scope)

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- entry points for the plan list -------------------------------------------------------------


def open_plan_form(screen: Screen, ctx: ServiceContext, plan: PlanOut | None,
                   on_saved: Callable[[PlanOut], None] | None = None, *,
                   read_only: bool = False) -> None:
    """Push the form for a new plan (None) or a stored version; `on_saved` gets the result."""

    def done(result: PlanOut | None) -> None:
        if result is not None and on_saved is not None:
            on_saved(result)

    screen.app.push_screen(PlanForm(ctx, plan, read_only=read_only), callback=done)


def _current_and_affected(ctx: ServiceContext, handle: str):
    return (plan_service.get_plan(ctx, handle),
            plan_service.count_affected_subscribers(ctx, handle))


def confirm_delete_plan(screen: Screen, ctx: ServiceContext, plan: PlanOut,
                        on_done: Callable[[PlanOut], None] | None = None) -> None:
    """Ask (No focused), then delete the plan's current version; the service has the last word."""

    def ask(found) -> None:
        current, affected = found
        if affected.total:
            detail = ngettext(
                "New subscriptions to it are refused. Its {n} live subscriber keeps being "
                "billed on its version.",
                "New subscriptions to it are refused. Its {n} live subscribers keep being "
                "billed on their versions.", affected.total).format(n=affected.total)
        else:
            detail = _("New subscriptions to it are refused. Nobody subscribes to it now.")
        detail += "\n" + _("Undelete brings it back.")
        screen.app.push_screen(
            ConfirmDialog(_("Delete plan {name} ({handle}), version {v}?").format(
                name=current.name, handle=current.handle, v=current.version),
                escape(detail), yes=_("Delete")),
            callback=lambda yes: yes and run_service(
                screen, plan_service.delete_plan, ctx, current.handle,
                expected_row_version=current.row_version, on_done=done))

    def done(result: PlanOut) -> None:
        screen.notify(_("Plan {handle} deleted.").format(handle=result.handle))
        if on_done is not None:
            on_done(result)

    run_service(screen, _current_and_affected, ctx, plan.handle, on_done=ask)


def confirm_undelete_plan(screen: Screen, ctx: ServiceContext, plan: PlanOut,
                          on_done: Callable[[PlanOut], None] | None = None) -> None:
    """Ask (No focused), then make the deleted plan active again."""

    def ask(current: PlanOut) -> None:
        screen.app.push_screen(
            ConfirmDialog(_("Undelete plan {name} ({handle})?").format(
                name=current.name, handle=current.handle),
                escape(_("It becomes active again: new subscriptions are accepted.")),
                yes=_("Undelete")),
            callback=lambda yes: yes and run_service(
                screen, plan_service.undelete_plan, ctx, current.handle,
                expected_row_version=current.row_version, on_done=done))

    def done(result: PlanOut) -> None:
        screen.notify(_("Plan {handle} is active again.").format(handle=result.handle))
        if on_done is not None:
            on_done(result)

    run_service(screen, plan_service.get_plan, ctx, plan.handle, on_done=ask)
