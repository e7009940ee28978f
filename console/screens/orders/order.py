"""The order screen: details, lines, payments and status; pay / cancel / refund, each with
its preview and a confirmation ("No" focused); `a` opens the editor of the access the order
created. Which actions are possible is the order's `allowed_actions` (core/rules/orders.py)."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from console.calls import run_service, show_error
from console.messages import EntityChanged
from console.screens.orders.labels import payment_kind_label, payment_type_label, status_label
from console.screens.orders.preview import end_preview_lines, order_preview_lines
from console.widgets.clipboard import copy_to_clipboard
from console.widgets.confirm import ConfirmDialog
from console.widgets.footer import KontorFooter
from console.widgets.lists import KeyTable
from core.i18n import _, format_money, format_short_date, format_short_datetime
from core.services import orders as order_service
from core.services.context import ServiceContext

# The access editor (the order editor with its lesson preview) as "module:Class", constructed
# with (ctx, access_id). Set by the module that provides it; None: not available yet.

# The screen's keys → the actions of the order transition table.
STATE_ACTIONS = {"pay": "pay", "cancel_order": "cancel", "refund": "refund",
                 "edit_access": "edit_access"}


class OrderScreen(Screen):
    DEFAULT_CSS = """
    OrderScreen #order-details { height: auto; padding: 0 1; }
    OrderScreen .order-caption { height: 1; padding: 0 1; text-style: bold; }
    OrderScreen #order-lines { height: auto; max-height: 4; }
    OrderScreen #order-payments { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape,q", "back", _("Back")),
        Binding("p", "pay", _("Pay"), tooltip=_("Mark the order paid (preview first)")),
        Binding("c", "cancel_order", _("Cancel order"),
                tooltip=_("Cancel the order; the access it created ends (preview first)")),
        Binding("r", "refund", _("Refund"),
                tooltip=_("Refund the order; the access it created ends (preview first)")),
        Binding("a", "edit_access", _("Edit access"),
                tooltip=_("Open the editor of the access this order created")),
        Binding("y", "copy_number", _("Copy number"), show=False,
                tooltip=_("Copy the order number to the clipboard")),
        Binding("ctrl+r,f5", "reload", _("Refresh"), show=False),
    ]
    HELP_TITLE = "Order"

    def __init__(self, ctx: ServiceContext, number: int):
        super().__init__()
        self.ctx, self.number = ctx, number
        self.order = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="order-title")
        yield Static("", id="order-details")
        yield Static(_("Lines"), classes="order-caption")
        yield KeyTable(id="order-lines", cursor_type="row", show_cursor=False)
        yield Static(_("Payments"), classes="order-caption")
        yield KeyTable(id="order-payments", cursor_type="row")
        yield KontorFooter()

    def on_mount(self) -> None:
        self.title = _("Order {number}").format(number=self.number)
        lines = self.query_one("#order-lines", DataTable)
        lines.add_column(_("Product"), key="product", width=22)
        lines.add_column(_("Offer"), key="offer", width=22)
        lines.add_column(_("Qty"), key="qty", width=3)
        lines.add_column(_("VAT"), key="vat", width=10)
        lines.add_column(_("Total"), key="total", width=11)
        pays = self.query_one("#order-payments", DataTable)
        pays.add_column(_("Kind"), key="kind", width=14)
        pays.add_column(_("Due"), key="due", width=12)
        pays.add_column(_("Amount"), key="amount", width=11)
        pays.add_column(_("Paid"), key="paid", width=17)
        pays.add_column(_("Invoice"), key="invoice", width=12)
        self.load()

    def load(self) -> None:
        run_service(self, order_service.get_order, self.ctx, self.number, on_done=self.show,
                    on_error=self._gone, group="order", exclusive=True)

    def _gone(self, exc: Exception) -> None:
        show_error(self, exc)
        self.dismiss(None)

    def show(self, order) -> None:
        self.order = order
        money = lambda v: format_money(v, order.currency)  # noqa: E731
        self.query_one("#order-title", Static).update(
            f"[b]{escape(_('Order {number}').format(number=order.number))}[/b] · "
            f"{escape(status_label(order.status))} · {escape(order.contact_name)} "
            f"<{escape(order.contact_email)}>")
        details = [
            _("Ordered {at} · start {start} · {payment}").format(
                at=format_short_datetime(order.ordered_at),
                start=format_short_datetime(order.starts_at) if order.starts_at else "—",
                payment=payment_type_label(order.payment)
                + (" · " + _("external sale") if order.external else "")),
            _("Total {total} (VAT {vat})").format(total=money(order.total),
                                                 vat=money(order.vat_amount)),
        ]
        when = [(order.paid_at, _("paid {at}")), (order.cancelled_at, _("cancelled {at}")),
                (order.refunded_at, _("refunded {at}"))]
        done = [text.format(at=format_short_datetime(at)) for at, text in when if at]
        if done:
            details.append(" · ".join(done))
        if order.accesses or order.subscriptions:
            details.append(_("Created: access {accesses}; subscription {subs}").format(
                accesses=", ".join(f"#{a}" for a in order.accesses) or "—",
                subs=", ".join(f"#{s}" for s in order.subscriptions) or "—"))
        if order.comment:
            details.append(order.comment.splitlines()[0])
        self.query_one("#order-details", Static).update(escape("\n".join(details)))
        lines = self.query_one("#order-lines", DataTable)
        lines.clear()
        for line in order.lines:
            lines.add_row(line.product_name, line.offer_name, str(line.quantity),
                          money(line.vat_amount), money(line.total), key=str(line.position))
        pays = self.query_one("#order-payments", DataTable)
        pays.clear()
        for p in order.payments:
            pays.add_row(payment_kind_label(p.kind), format_short_date(p.due_at),
                         money(p.amount),
                         format_short_date(p.paid_at) if p.paid and p.paid_at
                         else (_("yes") if p.paid else _("open")),
                         p.invoice_number or "—", key=str(p.id))
        self.refresh_bindings()

    def check_action(self, action: str, parameters) -> bool | None:
        table_action = STATE_ACTIONS.get(action)
        if table_action is None:
            return True
        if self.order is None:
            return None
        if table_action != "edit_access" and not self.ctx.can("orders.write"):
            return None
        return True if self.order.allowed_actions.get(table_action) is None else None

    def on_entity_changed(self, event: EntityChanged) -> None:
        if event.kind in ("order", "access", "subscription", "invoice", "contact"):
            self.load()

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_copy_number(self) -> None:
        copy_to_clipboard(self, str(self.number))

    # -- pay, cancel, refund: preview, confirm, act -------------------------------------

    def action_pay(self) -> None:
        run_service(self, order_service.preview_pay, self.ctx, self.number,
                    on_done=self._confirm_pay, group="order-preview", exclusive=True)

    def _confirm_pay(self, preview) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                run_service(self, order_service.pay_order, self.ctx, self.number,
                            changed=("order", self.number), on_done=self._paid)

        self.app.push_screen(ConfirmDialog(
            _("Mark order {number} paid?").format(number=self.number),
            escape("\n".join(order_preview_lines(preview))), yes=_("Mark paid")),
            callback=answered)

    def _paid(self, made) -> None:
        self.notify(_("Order {number} is paid.").format(number=made.order.number))
        self.show(made.order)

    def action_cancel_order(self) -> None:
        self._end("cancel")

    def action_refund(self) -> None:
        self._end("refund")

    def _end(self, action: str) -> None:
        run_service(self, order_service.preview_end, self.ctx, self.number, action,
                    on_done=lambda p: self._confirm_end(action, p), group="order-preview",
                    exclusive=True)

    def _confirm_end(self, action: str, preview) -> None:
        question = (_("Cancel order {number}?") if action == "cancel"
                    else _("Refund order {number}?")).format(number=self.number)
        fn = order_service.cancel_order if action == "cancel" else order_service.refund_order

        def answered(yes: bool | None) -> None:
            if yes:
                run_service(self, fn, self.ctx, self.number, changed=("order", self.number),
                            on_done=self._ended)

        self.app.push_screen(ConfirmDialog(
            question, escape("\n".join(end_preview_lines(preview))),
            yes=_("Cancel order") if action == "cancel" else _("Refund")), callback=answered)

    def _ended(self, order) -> None:
        self.notify(_("Order {number} is {status}.").format(
            number=order.number, status=status_label(order.status)))
        self.show(order)

    # -- the access editor (provided by the access screens) ----------------------------

    def action_edit_access(self) -> None:
        if self.order is not None and self.order.accesses:
            self.open_access_editor(self.order.accesses[0])

    def open_access_editor(self, access_id: int) -> None:
        """The order editor of the order's access (console/screens/accesses/editor.py)."""
        from console.screens.accesses.editor import open_access_editor

        open_access_editor(self, self.ctx, access_id)
