"""Reusable dialogs for the access status actions (issue 11): cancel with preview, set the end
date, undo a cancellation — for one access or a list of ids (a bulk action: one preview, one
confirmation, one transaction).

Entry points, for any screen that shows accesses (the Products tab, the follow-up lists):

    open_cancel(node, ctx, ids, on_done=None, version=None)
    open_set_end(node, ctx, ids, on_done=None, version=None)
    open_undo(node, ctx, ids, on_done=None, version=None)

`node` is the calling widget or screen (its app pushes the dialogs); `on_done()` runs after a
successful write (the list reloads). `version`: the row version the screen showed (one id).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from console.calls import run_service
from console.widgets.confirm import ConfirmDialog
from console.widgets.date_input import DateInput
from core.i18n import _, format_money, format_number, format_short_datetime, ngettext
from core.services import access_status as service
from core.services.context import ServiceContext

Done = Callable[[], None] | None


def _when(moment) -> str:
    return format_short_datetime(moment) if moment is not None else "—"


def cancel_preview_lines(p) -> list[str]:
    """A single cancellation's preview in words."""
    if p.immediate:
        lines = [_("Ends now: no subscription payment was made.")]
    else:
        lines = [_("Pending cancellation until {date}.").format(date=_when(p.effective_at))]
    lost = ", ".join(x.name for x in p.products_lost) or "—"
    lines.append(ngettext("Lost then: {products} ({n} lesson).",
                          "Lost then: {products} ({n} lessons).", p.lessons_lost)
                 .format(products=lost, n=p.lessons_lost))
    if p.products_kept:
        lines.append(_("Kept (another access grants them): {products}.").format(
            products=", ".join(x.name for x in p.products_kept)))
    if p.last_invoice is not None:
        lines.append(_("Last invoice: {date}, {amount}.").format(
            date=_when(p.last_invoice.issued),
            amount=format_money(p.last_invoice.amount, p.last_invoice.currency)))
    for c in p.credited:
        lines.append(_("Credited now: invoice {number}, {amount}.").format(
            number=c.number, amount=format_money(c.amount, c.currency)))
    for s in p.subscriptions:
        lines.append(_("Subscription #{id}: ends {date}.").format(id=s.id, date=_when(s.ends_at)))
    return lines


def bulk_preview_lines(p) -> list[str]:
    """A bulk action's one preview: counts, earliest and latest dates, invoices to come."""
    lines = [ngettext("{n} access.", "{n} accesses.", p.allowed).format(
        n=format_number(p.allowed))]
    if p.action == "cancel":
        lines.append(_("{now} end now, {later} pending cancellation.").format(
            now=format_number(p.immediate), later=format_number(p.pending)))
    if p.earliest is not None and p.action != "undo_cancel":
        lines.append(_("Earliest {earliest}, latest {latest}.").format(
            earliest=_when(p.earliest), latest=_when(p.latest)))
    amounts = ", ".join(format_money(v, cur) for cur, v in sorted(p.amount_to_come.items()))
    lines.append(ngettext("{n} invoice still to come", "{n} invoices still to come",
                          p.invoices_to_come).format(n=format_number(p.invoices_to_come))
                 + (f" ({amounts})." if amounts else "."))
    return lines


class RefusedDialog(ModalScreen[None]):
    """Nothing was (or would be) changed: every refused access with its reason."""

    DEFAULT_CSS = "RefusedDialog { align: center middle; }"
    BINDINGS = [Binding("escape,enter,o", "close", _("Close"))]

    def __init__(self, title: str, refused: Sequence):
        super().__init__()
        self.title_text, self.refused = title, list(refused)

    def compose(self) -> ComposeResult:
        shown = self.refused[:12]
        lines = [f"#{r.id}: {escape(r.reason)}" for r in shown]
        more = len(self.refused) - len(shown)
        if more > 0:
            lines.append(ngettext("(and {n} more)", "(and {n} more)", more).format(n=more))
        with Vertical(id="confirm"):
            yield Static(self.title_text, id="confirm-question")
            yield Static("\n".join(lines), id="confirm-detail")
            with Horizontal(id="confirm-buttons"):
                yield Button(_("Close") + " \\[o]", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


def _refused(node, p, action_text: str) -> None:
    node.app.push_screen(RefusedDialog(ngettext(
        "{n} of {total} refuses to {action}; nothing would be changed:",
        "{n} of {total} refuse to {action}; nothing would be changed:",
        len(p.refused)).format(n=len(p.refused), total=p.total, action=action_text),
        p.refused))


def _finish(node, message: str, on_done: Done) -> Callable:
    def done(_result) -> None:
        node.notify(message)
        if on_done is not None:
            on_done()
    return done


def _bulk(node, ctx: ServiceContext, action: str, ids: list[int], *, question: str,
          yes: str, action_text: str, on_done: Done, end=None) -> None:
    """One preview, one confirmation, one transaction."""
    def answered(ok: bool | None) -> None:
        if ok:
            run_service(node, service.bulk, ctx, action, ids, end=end,
                        changed=("access", ids[0]),
                        on_done=_finish(node, ngettext(
                            "{n} access changed.", "{n} accesses changed.", len(ids)).format(
                                n=format_number(len(ids))), on_done))

    def previewed(p) -> None:
        if p.refused:
            _refused(node, p, action_text)
            return
        node.app.push_screen(ConfirmDialog(question, "\n".join(
            escape(line) for line in bulk_preview_lines(p)), yes=yes), callback=answered)

    run_service(node, service.preview_bulk, ctx, action, ids, end=end, on_done=previewed)


# -- cancel ----------------------------------------------------------------------------------


def open_cancel(node, ctx: ServiceContext, ids: Sequence[int], on_done: Done = None,
                version: int | None = None) -> None:
    """Cancel one access (its preview first) or many (one bulk preview)."""
    ids = list(ids)
    if not ids:
        return
    if len(ids) > 1:
        _bulk(node, ctx, "cancel", ids, question=ngettext(
            "Cancel {n} access?", "Cancel {n} accesses?", len(ids)).format(n=len(ids)),
            yes=_("Cancel them"), action_text=_("be cancelled"), on_done=on_done)
        return
    access_id = ids[0]

    def answered(ok: bool | None) -> None:
        if ok:
            run_service(node, service.cancel, ctx, access_id, expected_row_version=version,
                        changed=("access", access_id), on_done=_done_single(node, on_done))

    def previewed(p) -> None:
        node.app.push_screen(ConfirmDialog(
            _("Cancel access #{id} ({product})?").format(id=access_id,
                                                         product=escape(p.product_name)),
            "\n".join(escape(line) for line in cancel_preview_lines(p)),
            yes=_("Cancel access")), callback=answered)

    run_service(node, service.preview_cancel, ctx, access_id, on_done=previewed)


def status_text(out) -> str:
    """"Access #12: pending cancellation until …" — what a finished action says."""
    from core.rules.accesses import status_label

    if out.status == "pending_cancellation":
        return _("Access #{id}: pending cancellation until {date}.").format(
            id=out.id, date=_when(out.pending_cancellation_at))
    if out.status in ("active", "overdue", "paused") and out.ends_at is not None:
        return _("Access #{id}: {status} until {date}.").format(
            id=out.id, status=status_label(out.status), date=_when(out.ends_at))
    return _("Access #{id}: {status}.").format(id=out.id, status=status_label(out.status))


def _done_single(node, on_done: Done) -> Callable:
    def done(out) -> None:
        node.notify(status_text(out))
        if on_done is not None:
            on_done()
    return done


# -- set the end date ------------------------------------------------------------------------


class SetEndDialog(ModalScreen[date | None]):
    """A date input with its calendar: enter (in the text or on the calendar) confirms."""

    DEFAULT_CSS = """
    SetEndDialog { align: center middle; }
    SetEndDialog #confirm { border: thick $primary; }
    SetEndDialog #date-hint { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "close", _("Cancel")),
                Binding("ctrl+s", "save", _("Save"), tooltip=_("Save this end date"))]

    def __init__(self, title: str, today: date, detail: str = ""):
        super().__init__()
        self.title_text, self.today, self.detail = title, today, detail

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm", classes="date-dialog"):
            yield Static(self.title_text, id="confirm-question")
            if self.detail:
                yield Static(self.detail, id="confirm-detail")
            yield DateInput(today=self.today, id="end-date")
            yield Static(_("enter saves · tab: calendar (arrows, pgup/pgdn) · esc cancels"),
                         id="date-hint")

    def on_mount(self) -> None:
        self.query_one(DateInput).focus_text()

    @on(DateInput.Picked)
    def _picked(self, event: DateInput.Picked) -> None:
        self.dismiss(event.value)

    def action_save(self) -> None:
        value = self.query_one(DateInput).value
        if value is not None:
            self.dismiss(value)
        else:
            self.notify(self.query_one(DateInput).error or _("Type a date."), severity="error")

    def action_close(self) -> None:
        self.dismiss(None)


def open_set_end(node, ctx: ServiceContext, ids: Sequence[int], on_done: Done = None,
                 version: int | None = None) -> None:
    """Edit the end (expiry or cancellation) date of one access or many."""
    ids = list(ids)
    if not ids:
        return

    def chosen(day: date | None) -> None:
        if day is None:
            return
        run_service(node, service.end_of_day, ctx, day, on_done=apply)

    def apply(end) -> None:
        if len(ids) > 1:
            _bulk(node, ctx, "set_end", ids, end=end, question=ngettext(
                "Set the end date of {n} access to {date}?",
                "Set the end date of {n} accesses to {date}?", len(ids)).format(
                    n=len(ids), date=_when(end)),
                yes=_("Set end date"), action_text=_("take this end date"), on_done=on_done)
            return
        run_service(node, service.set_end, ctx, ids[0], end, expected_row_version=version,
                    changed=("access", ids[0]), on_done=_done_single(node, on_done))

    def opened(today: date) -> None:
        title = (_("End date of access #{id}").format(id=ids[0]) if len(ids) == 1 else
                 ngettext("End date of {n} access", "End date of {n} accesses",
                          len(ids)).format(n=len(ids)))
        node.app.push_screen(SetEndDialog(
            title, today, _("A date alone means the end of that day. A past date ends it "
                            "now.")), callback=chosen)

    run_service(node, service.local_today, ctx, on_done=opened)


# -- undo ------------------------------------------------------------------------------------


def open_undo(node, ctx: ServiceContext, ids: Sequence[int], on_done: Done = None,
              version: int | None = None) -> None:
    """Withdraw the pending cancellation of one access or many."""
    ids = list(ids)
    if not ids:
        return
    if len(ids) > 1:
        _bulk(node, ctx, "undo_cancel", ids, question=ngettext(
            "Withdraw the cancellation of {n} access?",
            "Withdraw the cancellation of {n} accesses?", len(ids)).format(n=len(ids)),
            yes=_("Undo cancellations"), action_text=_("be restored"), on_done=on_done)
        return
    access_id = ids[0]

    def answered(ok: bool | None) -> None:
        if ok:
            run_service(node, service.undo_cancel, ctx, access_id,
                        expected_row_version=version, changed=("access", access_id),
                        on_done=_done_single(node, on_done))

    def loaded(out) -> None:
        reason = out.allowed_actions.get("undo_cancel")
        if reason:
            node.notify(reason, severity="error")
            return
        node.app.push_screen(ConfirmDialog(
            _("Withdraw the cancellation of access #{id} ({product})?").format(
                id=access_id, product=escape(out.product_name)),
            _("Pending until {date}; the access and its subscriptions become active again.")
            .format(date=_when(out.pending_cancellation_at)), yes=_("Undo cancellation")),
            callback=answered)

    run_service(node, service.get_status, ctx, access_id, on_done=loaded)


__all__ = ["RefusedDialog", "SetEndDialog", "bulk_preview_lines", "cancel_preview_lines",
           "open_cancel", "open_set_end", "open_undo", "status_text"]
