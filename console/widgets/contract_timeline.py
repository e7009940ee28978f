"""The contract timeline: the engine's `ContractPreview` placed on a two-year ruler, as
text lines, and a widget that shows them."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from textual.widgets import Static

from core.billing.contract_preview import ContractPreview
from core.billing.periods import DEFAULT_TZ
from core.i18n import _, format_short_date, format_short_datetime, ngettext

# -- the contract timeline --------------------------------------------------------------------

RULER_MONTHS = 24
CELLS = 2  # characters per month: 48 columns for two years
TIMELINE_LABEL = 10


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


class ContractTimeline(Static):
    """The timeline of a plan's contract terms; `show(preview)` draws it, `wait(text)` says
    why there is none yet."""

    DEFAULT_CSS = "ContractTimeline { height: auto; margin-top: 1; }"

    def __init__(self, *, id: str | None = None):
        super().__init__("", id=id, markup=False)

    def show(self, preview: ContractPreview) -> None:
        self.update("\n".join(timeline_lines(preview)))

    def wait(self, text: str) -> None:
        self.update(text)
