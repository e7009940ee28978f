"""The Products tab's dialogs: switch tariff (offer picker of the same product, the preview,
then a confirmation), delete access (No focused), extend, pause; resume needs no dialog."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.timer import Timer
from textual.widgets import Static

from console.calls import run_service
from console.forms import FieldSpec, FormScreen
from console.widgets.confirm import ConfirmDialog
from core.i18n import _, format_money, format_short_date, ngettext
from core.services import accesses as access_service

PREVIEW_DELAY = 0.15  # seconds of quiet typing before the preview is recomputed


def _date_or_none(text: Any) -> date | None:
    value = str(text or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(_("Enter a date such as 2026-12-01.")) from None


def parse_moment(text: Any) -> datetime | None:
    """"2026-04-01" or "2026-04-01 10:00" (local time) → a naive datetime; "" → None."""
    value = str(text or "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(_("Enter a date and time such as 2026-04-01 10:00.")) from None
    from core.limits import date_in_range, date_range_message

    if not date_in_range(moment):
        raise ValueError(date_range_message())
    return moment


def _end(value) -> str:
    return format_short_date(value) if value else _("unlimited")


# -- switch tariff ---------------------------------------------------------------------------


def open_switch_dialog(node, ctx, row) -> None:
    """Load the other offers of the access's product, then open the dialog."""

    def show(offers) -> None:
        if not offers:
            node.app.notify(_("{product} has no other offer to switch to.").format(
                product=row.product), severity="warning")
            return
        node.app.push_screen(SwitchDialog(ctx, row, offers))

    run_service(node, access_service.switch_offers, ctx, row.id, on_done=show)


def offer_label(o) -> str:
    price = format_money(o.price, o.currency) if o.price is not None else o.plan_handle or ""
    return f"{o.name} · {price}"


def billing_text(p) -> str:
    """What the switch bills, in words."""
    if p.billing == "none":
        return _("Billing: nothing changes (one-time offers).")
    if p.billing == "cancel":
        c = p.cancellation
        text = _("Billing: the subscription is cancelled; it ends {date}.").format(
            date=format_short_date(c.expires) if c else "—")
        if c and c.invoices:
            text += " " + _("Still to come: {amounts}.").format(amounts=", ".join(
                format_money(i.amount, i.currency) for i in c.invoices[:3]))
        return text
    amounts = ", ".join(format_money(i.amount, i.currency) for i in p.invoices) or \
        format_money(0, p.currency or "EUR")
    if p.billing == "change":
        return _("Billing: the subscription moves to the new plan now; invoice: {amounts}.") \
            .format(amounts=amounts)
    return _("Billing: a new subscription starts; due now: {amounts}.").format(amounts=amounts)


def switch_preview_text(p) -> str:
    lines = [
        _("{old} → {new}: lessons open today {b0} of {b1} → {a0} of {a1}").format(
            old=escape(p.offer), new=escape(p.new_offer), b0=p.lessons_before[0],
            b1=p.lessons_before[1], a0=p.lessons_after[0], a1=p.lessons_after[1]),
        _("Start {start}, end {end}").format(start=format_short_date(p.starts_at),
                                             end=_end(p.ends_at)),
        billing_text(p),
    ]
    for c in p.changes[:3]:
        before, after = state_label(c.before), state_label(c.after)
        if c.before == c.after:  # the same state, another day
            before += " " + (format_short_date(c.opens_before) if c.opens_before else "")
            after += " " + (format_short_date(c.opens_after) if c.opens_after else "")
        lines.append("  " + _("{title}: {before} → {after}").format(
            title=escape(c.title or c.key), before=before, after=after))
    if len(p.changes) > 3:
        n = len(p.changes) - 3
        lines.append("  " + ngettext("… and {n} more lesson changes",
                                     "… and {n} more lessons change", n).format(n=n))
    return "\n".join(lines)


def state_label(state: str) -> str:
    return {"not_in_tariff": _("not in tariff"), "ended": _("ended"), "blocked": _("blocked"),
            "open": _("open"), "scheduled": _("scheduled")}.get(state, state)


class SwitchDialog(FormScreen):
    """Switch tariff: another offer of the same product; the preview updates as you choose;
    ctrl+s asks for confirmation (No focused), then switches in one step."""

    DEFAULT_CSS = "SwitchDialog #switch-preview { height: auto; margin-top: 1; }"

    def __init__(self, ctx, row, offers):
        super().__init__(ctx)
        self.access, self.offers = row, offers
        self._timer: Timer | None = None

    def title_text(self) -> str:
        return _("Switch tariff: {product} ({offer})").format(
            product=escape(self.access.product), offer=escape(self.access.offer))

    def save_label(self) -> str:
        return _("Switch")

    def fields(self) -> list[FieldSpec]:
        return [
            FieldSpec("offer", _("New offer"), kind="select",
                      choices=[(offer_label(o), o.handle) for o in self.offers]),
            FieldSpec("start", _("New start"), kind="text", placeholder=_("keep"),
                      parse=_date_or_none,
                      help=_("empty: keep the start and the progress")),
        ]

    def extra(self) -> ComposeResult:
        yield Static(_("Computing the preview…"), id="switch-preview")

    def on_mount(self) -> None:
        super().on_mount()
        self._preview()

    def changed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(PREVIEW_DELAY, self._preview)

    def _preview(self) -> None:
        self._timer = None
        data, errors = self.data()
        if errors or not data.get("offer"):
            return
        run_service(self, access_service.preview_switch, self.ctx, self.access.id,
                    data["offer"], starts_at=data.get("start"), on_done=self._show,
                    on_error=self._preview_failed, group="switch-preview", exclusive=True)

    def _show(self, preview) -> None:
        self.query_one("#switch-preview", Static).update(switch_preview_text(preview))

    def _preview_failed(self, exc: Exception) -> None:
        from core.errors import ValidationFailed

        text = "; ".join(exc.fields.values()) if isinstance(exc, ValidationFailed) else str(exc)
        self.query_one("#switch-preview", Static).update("⚠ " + escape(text))

    def action_save(self) -> None:
        data, errors = self.data()
        if errors or self.saving:
            super().action_save()
            return
        offer = next((o for o in self.offers if o.handle == data.get("offer")), None)
        name = offer.name if offer else data.get("offer")
        self.app.push_screen(ConfirmDialog(
            _("Switch {product} to {offer}?").format(product=self.access.product, offer=name),
            _("The new access replaces the old one in one step."), yes=_("Switch")),
            callback=lambda yes: yes and FormScreen.action_save(self))

    def submit(self, data: dict[str, Any]):
        return (access_service.switch_tariff, (self.ctx, self.access.id, data["offer"]),
                {"starts_at": data.get("start"), "expected_version": self.access.version})

    def saved(self, result) -> None:
        self.notify(_("Switched to {offer}.").format(offer=result.new.offer))
        self.dismiss(result)


# -- delete ----------------------------------------------------------------------------------


def confirm_delete_access(node, ctx, row) -> None:
    """Delete after a confirmation with "No" focused."""

    def answered(yes: bool | None) -> None:
        if yes:
            run_service(node, access_service.delete_access, ctx, row.id,
                        expected_version=row.version,
                        on_done=lambda _r: node.app.notify(_("Access deleted.")))

    detail = _("It stays in the history.")
    if row.subscription_id:
        detail += " " + _("Its subscription is cancelled.")
    node.app.push_screen(ConfirmDialog(
        _("Delete the access to {product} ({offer})?").format(product=row.product,
                                                               offer=row.offer),
        detail, yes=_("Delete")), callback=answered)


# -- extend, pause, resume -------------------------------------------------------------------


def parse_extension(text: Any) -> tuple[str, Any]:
    """"14d", "2m" → ("by", (14, "days")); "2026-06-30" → ("to", date)."""
    value = str(text or "").strip()
    if not value:
        raise ValueError(_("Give a number of days or months, such as 14d or 2m, or a date."))
    if len(value) == 10 and value[4:5] == "-":
        day = _date_or_none(value)
        return "to", day
    return "by", access_service.parse_span(value)


class ExtendDialog(FormScreen):
    FIRST = "span"

    def __init__(self, ctx, row):
        super().__init__(ctx)
        self.access = row

    def title_text(self) -> str:
        return _("Extend {product} (ends {end})").format(product=escape(self.access.product),
                                                         end=_end(self.access.ends_at))

    def save_label(self) -> str:
        return _("Extend")

    def fields(self) -> list[FieldSpec]:
        return [FieldSpec("span", _("By or to"), placeholder="14d, 2m, 2026-06-30",
                          parse=parse_extension,
                          help=_("days (d) or months (m) from the current end, or a date"))]

    def error_field(self, key: str) -> str:
        return "span" if key in ("by", "to") else key

    def submit(self, data: dict[str, Any]):
        kind, value = data["span"]
        return (access_service.extend_access, (self.ctx, self.access.id),
                {kind: value, "expected_version": self.access.version})

    def saved(self, result) -> None:
        self.notify(_("The access now ends {end}.").format(end=_end(result.ends_at)))
        self.dismiss(result)


class PauseDialog(FormScreen):
    FIRST = "start"

    def __init__(self, ctx, row):
        super().__init__(ctx)
        self.access = row

    def title_text(self) -> str:
        return _("Pause {product}").format(product=escape(self.access.product))

    def save_label(self) -> str:
        return _("Pause")

    def intro(self) -> ComposeResult:
        yield Static(_("A pause changes no invoice. Lessons not yet open and the end move "
                       "later by the whole days paused."), classes="field-help")

    def fields(self) -> list[FieldSpec]:
        return [
            FieldSpec("start", _("From"), placeholder=_("now"), parse=parse_moment),
            FieldSpec("end", _("Until"), placeholder=_("until resumed"), parse=parse_moment),
        ]

    def error_field(self, key: str) -> str:
        return {"from": "start", "to": "end"}.get(key, key)

    def submit(self, data: dict[str, Any]):
        return (access_service.pause_access, (self.ctx, self.access.id),
                {"start": data.get("start"), "end": data.get("end"),
                 "expected_version": self.access.version})

    def saved(self, result) -> None:
        self.notify(_("Access paused."))
        self.dismiss(result)


def resume(node, ctx, row) -> None:
    run_service(node, access_service.resume_access, ctx, row.id, expected_version=row.version,
                on_done=lambda r: node.app.notify(_("Access resumed; it ends {end}.").format(
                    end=_end(r.ends_at))))
