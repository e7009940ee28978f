"""Invoices: list, show, and record a payment or a failed payment by hand."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.i18n import _
from core.models import Invoice, utcnow
from core.rules import invoices as rules
from core.schemas.common import Window
from core.schemas.invoices import Invoice as InvoiceOut
from core.services import _uow
from core.services.context import READ, ServiceContext, require

WRITE = "subscriptions.write"


def invoice_out(inv: Invoice) -> InvoiceOut:
    return InvoiceOut(
        id=inv.id, number=inv.number, subscription_id=inv.subscription_id,
        contact_id=inv.contact_id, plan_id=inv.plan_id, kind=inv.kind,
        period_start=inv.period_start, period_end=inv.period_end, issued=inv.issued,
        currency=inv.currency, lines=inv.lines, net=inv.net, vat_amount=inv.vat_amount,
        amount=inv.amount, state=inv.state, paid_at=inv.paid_at, failed_at=inv.failed_at,
        row_version=inv.row_version, allowed_actions=rules.allowed_actions(inv.state))


def list_invoices(ctx: ServiceContext, *, subscription_id: int | None = None,
                  contact_id: int | None = None, window: Window | None = None
                  ) -> list[InvoiceOut]:
    """Oldest first within a subscription or contact; keyset on (issued, id)."""
    window = window or Window(limit=500)
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = select(Invoice)
        if subscription_id is not None:
            q = q.where(Invoice.subscription_id == subscription_id)
        if contact_id is not None:
            q = q.where(Invoice.contact_id == contact_id)
        if window.after is not None:
            issued, iid = window.after
            q = q.where((Invoice.issued > issued) | ((Invoice.issued == issued)
                                                     & (Invoice.id > iid)))
        q = q.order_by(Invoice.issued, Invoice.id).limit(window.limit)
        return [invoice_out(i) for i in session.scalars(q)]


def _by_number(session: Session, number: str) -> Invoice:
    inv = session.scalar(select(Invoice).where(Invoice.number == number))
    if inv is None:
        raise NotFound(_("No invoice {number}.").format(number=number))
    return inv


def get_invoice(ctx: ServiceContext, number: str) -> InvoiceOut:
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        return invoice_out(_by_number(session, number))


def _not_found(number: str) -> str:
    return _("No invoice {number}.").format(number=number)


def _by_number_locked(session: Session, number: str, lock: bool) -> Invoice | None:
    q = select(Invoice).where(Invoice.number == number)
    if lock:
        q = q.with_for_update()
    return session.scalar(q.execution_options(populate_existing=True))


KIND = _uow.Kind(
    model=Invoice, entity="invoice", not_found=_not_found, lookup=_by_number_locked,
    changed=lambda by, at: _("This invoice was changed by {by} — reload.").format(by=by),
    meanwhile=lambda: _("This invoice was changed by someone else meanwhile — reload."))


def _set_state(ctx: ServiceContext, number: str, action: str, *, at: datetime | None,
               expected_row_version: int | None) -> InvoiceOut:
    """A state action of core.rules.invoices, under the row lock."""
    at = at or utcnow()
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        inv = _uow.load_for_write(session, KIND, number, expected_row_version, lock=True,
                                  required=False)
        rules.check(action, inv.state)
        state = rules.target_state(action)
        before = {"state": inv.state}
        inv.state = state
        if state == "paid":
            inv.paid_at = at
        elif state == "failed":
            inv.failed_at = at
        _uow.save(session, ctx, KIND, inv, state, before, {"state": state},
                  extra={"at": at.isoformat()}, key=inv.number)
        # The accesses behind the subscription become overdue (or not) at once.
        from core.services.access_status import refresh_for_subscription

        refresh_for_subscription(session, ctx, inv.subscription_id, at)
        return invoice_out(inv)


def mark_paid_in(session: Session, ctx: ServiceContext, invoice_id: int, at: datetime
                 ) -> Invoice:
    """Record the payment of an invoice inside the caller's transaction (an order pays the
    invoices due at its start), under the invoice table's rule; audited."""
    inv = session.get(Invoice, invoice_id, populate_existing=True)
    rules.check("record_payment", inv.state)
    before = {"state": inv.state}
    inv.state, inv.paid_at = "paid", at
    _uow.save(session, ctx, KIND, inv, "paid", before, {"state": "paid"},
              extra={"at": at.isoformat()}, key=inv.number, now=at)
    return inv


def record_payment(ctx: ServiceContext, number: str, *, at: datetime | None = None,
                   expected_row_version: int | None = None) -> InvoiceOut:
    return _set_state(ctx, number, "record_payment", at=at, expected_row_version=expected_row_version)


def record_failed_payment(ctx: ServiceContext, number: str, *, at: datetime | None = None,
                          expected_row_version: int | None = None) -> InvoiceOut:
    return _set_state(ctx, number, "record_failed_payment", at=at, expected_row_version=expected_row_version)


def credit_invoice(ctx: ServiceContext, number: str, *,
                   expected_row_version: int | None = None) -> InvoiceOut:
    return _set_state(ctx, number, "credit", at=None,
                      expected_row_version=expected_row_version)
