"""One subscription: what it costs, what comes next, and the actions that change it.

Every date and amount shown here comes from the billing engine through a service: the
timeline, the cancellation preview and the plan-change preview are the engine's own answers.
"""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Header,
    Input,
    RadioSet,
    Static,
    TabbedContent,
    TabPane,
)

from console.calls import run_service
from console.forms import FieldSpec, FormScreen
from console.screens.plan.picker_source import PlanSource
from console.widgets.confirm import ConfirmDialog
from console.widgets.footer import KontorFooter
from console.widgets.lists import KeyTable
from core.errors import ValidationFailed
from core.i18n import N_, _, format_datetime, format_money, format_short_date
from core.services import invoices as invoice_service
from core.services import subscriptions as subscription_service
from core.services.context import ServiceContext
from core.services.subscription_timeline import subscription_timeline

STATE_LABELS = {
    "trial": N_("trial"), "active": N_("active"),
    "pending_cancellation": N_("pending cancellation"), "cancelled": N_("cancelled"),
    "expired": N_("expired"), "on_hold": N_("on hold"), "pending": N_("not started"),
}
EVENT_LABELS = {
    "start": N_("subscription starts"), "trial_start": N_("trial starts"),
    "trial_end": N_("trial ends, billing starts"), "first_period": N_("first full period"),
    "minimum_end": N_("minimum contract period ends"),
    "contract_end": N_("contract term ends"), "cancelled": N_("cancellation requested"),
    "notice_deadline": N_("notice deadline — cancel by then to end on {date}"),
    "invoice": N_("invoice {amount}"), "expires": N_("ends — access lost"),
    "plan_change": N_("moves to {plan} v{version}: {amount} {period}"),
}
INVOICE_STATES = {"open": N_("open"), "paid": N_("paid"), "failed": N_("failed"),
                  "credited": N_("credited")}


def state_label(state: str) -> str:
    return _(STATE_LABELS.get(state, state))


def timeline_text(tl, period_text: str = "") -> str:
    """The timeline drawn as text: one dated line per event, with a marker for today; after
    a scheduled plan move its invoices name the version that bills them."""
    lines = [_("Timeline ({tz}); ▶ marks today").format(tz=tl.timezone)]
    today_drawn = False
    moved_to = None
    for e in tl.events:
        if not today_drawn and e.at > tl.at:
            lines.append(f"  {format_short_date(tl.at):>10}  ▶ " + _("today"))
            today_drawn = True
        label = _(EVENT_LABELS.get(e.kind, e.kind))
        if e.kind == "invoice":
            label = label.format(amount=format_money(e.amount, e.currency or ""))
            if moved_to is not None and (e.plan_name, e.plan_version) == (
                    moved_to.plan_name, moved_to.plan_version):
                label += " " + _("({plan} v{version})").format(plan=e.plan_name,
                                                              version=e.plan_version)
        elif e.kind == "plan_change":
            moved_to = e
            label = label.format(plan=e.plan_name, version=e.plan_version,
                                 amount=format_money(e.period_amount, e.currency or ""),
                                 period=period_text or _("per period"))
        elif e.kind == "notice_deadline" and tl.cancel_now_expires is not None:
            label = label.format(date=format_short_date(tl.cancel_now_expires))
        mark = "│" if e.at <= tl.at else "•"
        lines.append(f"  {format_short_date(e.at):>10}  {mark} {escape(label)}")
    if not today_drawn:
        lines.append(f"  {format_short_date(tl.at):>10}  ▶ " + _("today"))
    if tl.cancel_now_expires is not None:
        lines.append("")
        lines.append(_("If cancelled now, it would end on {date}.").format(
            date=format_datetime(tl.cancel_now_expires)))
    return "\n".join(lines)


class SubscriptionScreen(Screen):
    BINDINGS = [
        Binding("escape,q", "back", _("Back")),
        Binding("c", "cancel_subscription", _("Cancel…"),
                tooltip=_("Cancel the subscription (shows the effective date first)")),
        Binding("u", "uncancel", _("Uncancel"), tooltip=_("Withdraw the pending cancellation")),
        Binding("p", "change_plan", _("Change plan…"),
                tooltip=_("Change the plan at renewal or now (with a preview)")),
        Binding("h", "hold", _("Hold"), tooltip=_("Put the subscription on hold")),
        Binding("r", "reactivate", _("Reactivate"), tooltip=_("Reactivate a held subscription")),
        Binding("x", "expire", _("Expire now"), show=False,
                tooltip=_("End the subscription now, without compensation")),
        Binding("m", "mark_paid", _("Paid"), show=False,
                tooltip=_("Record a payment for the selected invoice")),
        Binding("f", "mark_failed", _("Failed"), show=False,
                tooltip=_("Record a failed payment for the selected invoice")),
        Binding("t", "show_tab('timeline')", _("Timeline"), show=False),
        Binding("i", "show_tab('invoices')", _("Invoices"), show=False),
        Binding("ctrl+r,f5", "reload", _("Refresh"), show=False),
    ]

    def __init__(self, ctx: ServiceContext, subscription_id: int):
        super().__init__()
        self.ctx, self.subscription_id = ctx, subscription_id
        self.sub = None
        self.timeline = None
        self.invoices = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="sub-summary")
        with TabbedContent(id="sub-tabs", initial="timeline"):
            with TabPane(_("Timeline") + " \\[t]", id="timeline"), VerticalScroll():
                yield Static("", id="sub-timeline")
            with TabPane(_("Invoices") + " \\[i]", id="invoices"):
                yield KeyTable(id="sub-invoices", cursor_type="row")
        yield KontorFooter()

    def on_mount(self) -> None:
        self.title = _("Subscription #{id}").format(id=self.subscription_id)
        table = self.query_one("#sub-invoices", DataTable)
        table.add_column(_("Number"), key="number", width=12)
        table.add_column(_("Issued"), key="issued", width=10)
        table.add_column(_("Period"), key="period", width=23)
        table.add_column(_("Amount"), key="amount", width=12)
        table.add_column(_("State"), key="state", width=9)
        self.action_reload()

    # -- loading ----------------------------------------------------------------------------

    def action_reload(self) -> None:
        run_service(self, subscription_service.get_subscription, self.ctx,
                    self.subscription_id, on_done=self._show, group="sub", exclusive=True)
        run_service(self, subscription_timeline, self.ctx, self.subscription_id,
                    on_done=self._show_timeline, group="sub-timeline", exclusive=True)
        run_service(self, invoice_service.list_invoices, self.ctx,
                    subscription_id=self.subscription_id, on_done=self._show_invoices,
                    group="sub-invoices", exclusive=True)

    def on_entity_changed(self, event) -> None:
        if (event.kind == "subscription" and event.id == self.subscription_id) or \
                event.kind in ("invoice", "plan"):
            self.action_reload()

    def _show(self, sub) -> None:
        self.sub = sub
        period = ""
        if sub.current_period_start and sub.current_period_end:
            period = f"{format_short_date(sub.current_period_start)} – " \
                     f"{format_short_date(sub.current_period_end)}"
        rows = [
            f"[b]{escape(sub.plan_name)}[/b] ({escape(sub.plan_handle)} v{sub.plan_version})"
            f"  ·  [b]{escape(state_label(sub.state))}[/b]  ·  "
            + _("quantity {n}").format(n=sub.quantity),
            _("Started {start}  ·  period {period}  ·  {price}").format(
                start=format_short_date(sub.start), period=period or "—",
                price=_("{amount} {period}").format(
                    amount=format_money(sub.period_amount, sub.currency),
                    period=sub.period_text or _("per period"))),
            (_("Next invoice {next}  ·  ends {ends}") if sub.expires else
             _("Next invoice {next}  ·  runs until cancelled")).format(
                next=(format_short_date(sub.next_invoice_at) + (
                    f": {format_money(sub.next_invoice_amount, sub.currency)}"
                    if sub.next_invoice_amount is not None else ""))
                if sub.next_invoice_at else "—",
                ends=format_short_date(sub.expires) if sub.expires else ""),
        ]
        if sub.pending_plan_id is not None and sub.pending_change_at is not None:
            rows.append(_("Plan change scheduled for {date}: {plan} v{version}, {amount} "
                          "{period}.").format(
                date=format_short_date(sub.pending_change_at), plan=sub.pending_plan_name,
                version=sub.pending_plan_version,
                amount=format_money(sub.pending_period_amount, sub.currency),
                period=sub.pending_period_text or _("per period")))
        self.query_one("#sub-summary", Static).update("\n".join(rows))
        self._draw_timeline()
        self.refresh_bindings()

    def _show_timeline(self, tl) -> None:
        self.timeline = tl
        self._draw_timeline()

    def _draw_timeline(self) -> None:
        if self.timeline is not None:
            period = self.sub.pending_period_text if self.sub is not None else ""
            self.query_one("#sub-timeline", Static).update(timeline_text(self.timeline, period))

    def _show_invoices(self, invoices) -> None:
        self.invoices = invoices
        table = self.query_one("#sub-invoices", DataTable)
        table.clear()
        for inv in invoices:
            period = ""
            if inv.period_start and inv.period_end:
                period = f"{format_short_date(inv.period_start)}–" \
                         f"{format_short_date(inv.period_end)}"
            table.add_row(inv.number, format_short_date(inv.issued), period,
                          format_money(inv.amount, inv.currency),
                          _(INVOICE_STATES.get(inv.state, inv.state)), key=inv.number)

    # -- what is possible now ---------------------------------------------------------------

    # The screen's actions -> the transition table's (core.rules.subscriptions); the service
    # ships its verdict on `allowed_actions`, the screen only looks it up.
    STATE_ACTIONS: ClassVar[dict[str, str]] = {"cancel_subscription": "cancel", "uncancel": "uncancel",
                     "change_plan": "change_plan", "hold": "hold",
                     "reactivate": "reactivate", "expire": "expire"}

    def check_action(self, action: str, parameters) -> bool | None:
        writes = {*self.STATE_ACTIONS, "mark_paid", "mark_failed"}
        if action not in writes:
            return True
        if not self.ctx.can("subscriptions.write") or self.sub is None:
            return None
        if action in self.STATE_ACTIONS:
            # Hidden when the state rules it out; greyed out (above) when the role does.
            return self.sub.allowed_actions.get(self.STATE_ACTIONS[action], "") is None
        return bool(self.invoices)

    # -- actions ----------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "invoices":
            self.query_one("#sub-invoices", DataTable).focus()

    def _write(self, fn, *args, done_message: str, **kwargs) -> None:
        def done(_result) -> None:
            self.notify(done_message)
            self.action_reload()

        run_service(self, fn, self.ctx, *args, on_done=done, **kwargs)

    def action_cancel_subscription(self) -> None:
        if self.sub is None:
            return
        sub = self.sub

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(subscription_service.cancel_subscription, sub.id,
                            expected_row_version=sub.row_version,
                            done_message=_("Cancellation recorded."))

        def previewed(preview) -> None:
            self.app.push_screen(CancelPreviewDialog(sub, preview), callback=answered)

        run_service(self, subscription_service.preview_cancellation, self.ctx, sub.id,
                    on_done=previewed)

    def action_uncancel(self) -> None:
        sub = self.sub

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(subscription_service.uncancel_subscription, sub.id,
                            expected_row_version=sub.row_version,
                            done_message=_("The subscription continues."))

        self.app.push_screen(ConfirmDialog(
            _("Withdraw the cancellation of #{id}?").format(id=sub.id),
            _("Billing continues as before; nothing is charged now."),
            yes=_("Uncancel")), callback=answered)

    def action_expire(self) -> None:
        sub = self.sub

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(subscription_service.expire_subscription, sub.id,
                            expected_row_version=sub.row_version,
                            done_message=_("The subscription has ended."))

        self.app.push_screen(ConfirmDialog(
            _("End #{id} now?").format(id=sub.id),
            _("Access ends now; nothing is refunded or billed."), yes=_("Expire now")),
            callback=answered)

    def action_hold(self) -> None:
        sub = self.sub

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(subscription_service.put_on_hold, sub.id,
                            expected_row_version=sub.row_version,
                            done_message=_("On hold: no more invoices until reactivated."))

        self.app.push_screen(ConfirmDialog(
            _("Put #{id} on hold?").format(id=sub.id),
            _("No invoices are issued while it is on hold."), yes=_("Hold")),
            callback=answered)

    def action_reactivate(self) -> None:
        self._write(subscription_service.reactivate_subscription, self.sub.id,
                    expected_row_version=self.sub.row_version,
                    done_message=_("Reactivated."))

    def action_change_plan(self) -> None:
        if self.sub is not None:
            self.app.push_screen(ChangePlanForm(self.ctx, self.sub),
                                 callback=lambda r: r and self.action_reload())

    def _selected_invoice(self):
        table = self.query_one("#sub-invoices", DataTable)
        if not self.invoices or table.cursor_row >= len(self.invoices):
            return None
        return self.invoices[table.cursor_row]

    def _confirm_invoice(self, question: str, fn, done_message: str) -> None:
        inv = self._selected_invoice()
        if inv is None:
            return
        # The invoice table's answer (core/rules/invoices.py), shipped on the invoice: a paid
        # or credited invoice says why instead of asking a question the service would refuse.
        reason = inv.allowed_actions.get(fn.__name__)
        if reason is not None:
            self.notify(reason, severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._write(fn, inv.number, expected_row_version=inv.row_version,
                            done_message=done_message.format(n=inv.number))

        self.app.push_screen(ConfirmDialog(
            question.format(n=inv.number),
            f"{format_money(inv.amount, inv.currency)} · {format_short_date(inv.issued)}"),
            callback=answered)

    def action_mark_paid(self) -> None:
        self._confirm_invoice(_("Record a payment for invoice {n}?"),
                              invoice_service.record_payment, _("Invoice {n} paid."))

    def action_mark_failed(self) -> None:
        self._confirm_invoice(_("Record a failed payment for invoice {n}?"),
                              invoice_service.record_failed_payment,
                              _("Invoice {n}: payment failed."))


def preview_lines(sub, preview) -> list[str]:
    lines = [_("Effective: {date} — access ends then.").format(
        date=format_datetime(preview.expires))]
    if preview.last_period_start and preview.last_period_end:
        lines.append(_("Last period: {start} – {end}{prorated}").format(
            start=format_short_date(preview.last_period_start),
            end=format_short_date(preview.last_period_end),
            prorated=" " + _("(billed prorated)") if preview.last_period_prorated else ""))
    if preview.invoices:
        lines.append(_("Invoices still to come:"))
        for inv in preview.invoices:
            line = f"  {format_short_date(inv.issued)}  {format_money(inv.amount, inv.currency)}"
            if inv.plan_version is not None and (inv.plan_name, inv.plan_version) != (
                    sub.plan_name, sub.plan_version):
                line += "  " + _("({plan} v{version})").format(plan=inv.plan_name,
                                                              version=inv.plan_version)
            lines.append(line)
    else:
        lines.append(_("No further invoices."))
    return lines


class CancelPreviewDialog(ConfirmDialog):
    """The effective date, the last period and what is still billed, then Yes/No."""

    def __init__(self, sub, preview):
        super().__init__(
            _("Cancel #{id} ({plan})?").format(id=sub.id, plan=sub.plan_name),
            "\n".join(escape(line) for line in preview_lines(sub, preview)),
            yes=_("Cancel subscription"))


def change_preview_lines(result) -> list[str]:
    """The plan-change preview in words: when, the invoice now with the credit itemised
    (the old plan's unused share, then the new plan's line, then the total), the new price
    per period in words ("per year", "every 3 months")."""
    period = result.period_text or _("per period")
    version = f" v{result.new_plan_version}" if result.new_plan_version is not None else ""
    lines = [_("Preview — {plan}").format(plan=result.new_plan_name + version)]
    per_period = format_money(result.new_period_amount, result.currency)
    if result.change_at is not None:
        lines.append(_("Moves to the new plan on {date}; from then {amount} {period}.")
                     .format(date=format_datetime(result.change_at), amount=per_period,
                             period=period))
    if result.invoice is not None:
        inv = result.invoice
        lines.append(_("Invoice now, {start} – {end}:").format(
            start=format_short_date(inv.period_start), end=format_short_date(inv.period_end)))
        # The credit first (its own period and amount), then the new plan's line(s).
        ordered = [li for li in inv.lines if li.kind == "credit"] + [
            li for li in inv.lines if li.kind != "credit"]
        for line in ordered:
            lines.append(f"{format_money(line.gross, inv.currency):>11} {line.text}")
        lines.append(f"{format_money(inv.amount, inv.currency):>11} " + _("total"))
        lines.append(_("From the next period: {amount} {period}.").format(
            amount=per_period, period=period))
    lines.append(_("Press ctrl+s again to confirm, esc to cancel."))
    return lines


class ChangePlanForm(FormScreen):
    """Pick the plan and the timing; the preview follows the values on screen (When and
    Credit recompute it, typing a plan clears it); ctrl+s previews, ctrl+s again confirms."""

    DEFAULT_CSS = """
    ChangePlanForm #change-preview { height: auto; margin-top: 1; }
    ChangePlanForm #change-preview.-empty { display: none; }
    """

    BINDINGS = [Binding("ctrl+s", "save", _("Preview / confirm"), priority=True)]

    def __init__(self, ctx: ServiceContext, sub):
        super().__init__(ctx)
        self.sub = sub
        self.previewed: tuple | None = None
        self.computing: tuple | None = None

    def title_text(self) -> str:
        return escape(_("Change the plan of #{id} ({plan})").format(
            id=self.sub.id, plan=self.sub.plan_name))

    def save_label(self) -> str:
        return _("Preview / confirm")

    def fields(self) -> list[FieldSpec]:
        return [
            FieldSpec("plan", _("New plan"), "picker", placeholder=_("plan name or handle"),
                      source=PlanSource(self.ctx)),
            FieldSpec("timing", _("When"), "select", radio=True, choices=[
                (_("at the next renewal"), "renewal"), (_("now"), "immediate")]),
            FieldSpec("compensation", _("Credit"), "select", radio=True, choices=[
                (_("none"), "none"),
                (_("prorated credit for the unused period"), "prorated_credit")]),
        ]

    def extra(self):
        yield Static("", id="change-preview", classes="-empty")

    def _choice(self) -> tuple[str, str, str]:
        raw = self.raw()
        return (str(raw["plan"] or "").strip(), raw["timing"] or "renewal",
                raw["compensation"] or "none")

    def _preview_text(self, text: str) -> None:
        preview = self.query_one("#change-preview", Static)
        preview.update(escape(text))
        preview.set_class(not text, "-empty")

    def _clear_preview(self) -> None:
        self.previewed = None
        self._preview_text("")

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        """When or Credit changed: the preview on screen is recomputed for the new values."""
        event.stop()
        self._clear_preview()
        if self._choice()[0]:
            self._request_preview()

    def on_input_changed(self, event: Input.Changed) -> None:
        # A preview for another plan must not stay on screen under the typed one.
        self._clear_preview()
        self.banner(None)

    def action_save(self) -> None:
        plan, timing, compensation = choice = self._choice()
        if not plan:
            self.row("plan").set_error(_("Enter the handle of the new plan."))
            return
        self.row("plan").set_error(None)
        if self.previewed == choice:
            self.saving = True
            run_service(self, subscription_service.change_plan, self.ctx, self.sub.id,
                        plan=plan, timing=timing, compensation=compensation,
                        expected_row_version=self.sub.row_version,
                        on_done=self._saved, on_error=self._failed)
            return
        self._request_preview()

    def _request_preview(self) -> None:
        plan, timing, compensation = choice = self._choice()
        self.computing = choice
        run_service(self, subscription_service.preview_plan_change, self.ctx, self.sub.id,
                    plan=plan, timing=timing, compensation=compensation,
                    on_done=lambda r: self._show_preview(choice, r),
                    on_error=lambda exc: self._preview_failed(choice, exc),
                    group="change-preview")

    def _show_preview(self, choice, result) -> None:
        if choice != self._choice():
            return  # the values changed while it was computing: a newer preview follows
        self.previewed = choice
        self.banner(None)
        self._preview_text("\n".join(change_preview_lines(result)))

    def _preview_failed(self, choice, exc: Exception) -> None:
        if choice == self._choice():
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        self._clear_preview()
        super()._failed(exc)

    def saved(self, _result) -> None:
        self.notify(_("Plan change saved."))
        self.dismiss(True)


def new_subscription_preview_lines(p) -> list[str]:
    """The new-subscription preview: plan, trial end, first period, the invoices stored on
    saving and the next ones (every date and amount from the engine via the service)."""
    lines = [_("Preview — {plan} v{version}").format(plan=p.plan_name, version=p.plan_version)]
    if p.trial_end is not None:
        lines.append(_("Trial until {date}.").format(date=format_datetime(p.trial_end)))
    if p.first_period_start is not None:
        first = format_short_date(p.first_period_start)
        if p.first_period_end is not None:
            first += " – " + format_short_date(p.first_period_end)
        lines.append(_("First period: {period}.").format(period=first))
    for inv in p.due_now:
        what = ", ".join(_(INVOICE_LINE_KINDS.get(li.kind, li.kind)) for li in inv.lines)
        lines.append(_("On saving: {date} {amount} ({what})").format(
            date=format_short_date(inv.issued), amount=format_money(inv.amount, inv.currency),
            what=what))
    if not p.due_now:
        lines.append(_("Nothing is invoiced on saving."))
    if p.upcoming:
        lines.append(_("Next: {invoices}").format(invoices=" · ".join(
            f"{format_short_date(i.issued)} {format_money(i.amount, i.currency)}"
            for i in p.upcoming)))
    lines.append(_("Press ctrl+s again to create it, esc to cancel."))
    return lines


INVOICE_LINE_KINDS = {"plan": N_("period"), "prorated_plan": N_("period, prorated"),
                      "setup_fee": N_("setup fee"), "credit": N_("credit")}


class NewSubscriptionForm(FormScreen):
    """Subscribe the contact to a plan: plan (picked by typing part of its name), start,
    quantity, no trial/setup fee. ctrl+s shows the preview (first invoices, trial end, first
    period); ctrl+s again, with the same values, creates it."""

    DEFAULT_CSS = """
    NewSubscriptionForm #new-preview { height: auto; }
    NewSubscriptionForm #new-preview.-empty { display: none; }
    """

    BINDINGS = [Binding("ctrl+s", "save", _("Preview / save"), priority=True)]

    def __init__(self, ctx: ServiceContext, contact_id: int):
        super().__init__(ctx)
        self.contact_id = contact_id
        self.previewed: dict | None = None

    def title_text(self) -> str:
        return escape(_("New subscription"))

    def save_label(self) -> str:
        return _("Preview / save")

    def fields(self) -> list[FieldSpec]:
        return [
            FieldSpec("plan", _("Plan"), "picker", placeholder=_("plan name or handle"),
                      source=PlanSource(self.ctx)),
            FieldSpec("start", _("Start"),
                      placeholder=_("now, or 2026-12-01 / 2026-12-01T09:00")),
            FieldSpec("quantity", _("Quantity"), placeholder="1"),
            FieldSpec("no_trial", _("No trial"), "switch"),
            FieldSpec("no_setup_fee", _("No setup fee"), "switch"),
        ]

    def extra(self):
        yield Static("", id="new-preview", classes="-empty")

    def _data(self) -> dict:
        fields, _errors = self.data()
        data: dict = {"contact_id": self.contact_id, "plan": fields["plan"] or None,
                      "no_trial": fields["no_trial"], "no_setup_fee": fields["no_setup_fee"]}
        if fields["start"]:
            data["start"] = fields["start"]
        if fields["quantity"]:
            data["quantity"] = fields["quantity"]
        return data

    def _show(self, text: str) -> None:
        preview = self.query_one("#new-preview", Static)
        preview.update(escape(text))
        preview.set_class(not text, "-empty")

    def changed(self) -> None:
        self.previewed = None  # a preview of other values must not stay on screen
        self._show("")

    def action_save(self) -> None:
        if self.saving:
            return
        data = self._data()
        if self.previewed is not None and self.previewed == data:
            self.saving = True
            run_service(self, subscription_service.create_subscription, self.ctx, data,
                        on_done=self._saved, on_error=self._failed)
            return
        run_service(self, subscription_service.preview_subscription, self.ctx, data,
                    on_done=lambda p: self._previewed(data, p), on_error=self._failed,
                    group="new-preview")

    def _previewed(self, data: dict, preview) -> None:
        if data != self._data():
            return  # the values changed meanwhile: this preview is not for them
        self.show_errors({})
        self.previewed = data
        self._show("\n".join(new_subscription_preview_lines(preview)))

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, ValidationFailed):
            self.previewed = None
            self._show("")
        super()._failed(exc)
