"""Invoices: list, show, and record a payment or a failed payment by hand."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import _
from core.models import Invoice, utcnow
from core.schemas.common import Window
from core.schemas.invoices import Invoice as InvoiceOut
from core.services import audit
from core.services.context import READ, ServiceContext, require

WRITE = "subscriptions.write"


def invoice_out(inv: Invoice) -> InvoiceOut:
    return InvoiceOut(
        id=inv.id, number=inv.number, subscription_id=inv.subscription_id,
        contact_id=inv.contact_id, plan_id=inv.plan_id, kind=inv.kind,
        period_start=inv.period_start, period_end=inv.period_end, issued=inv.issued,
        currency=inv.currency, lines=inv.lines, net=inv.net, vat_amount=inv.vat_amount,
        amount=inv.amount, state=inv.state, paid_at=inv.paid_at, failed_at=inv.failed_at,
        row_version=inv.row_version)


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


_ALLOWED = {"paid": ("open", "failed"), "failed": ("open",), "credited": ("open", "failed")}


def _set_state(ctx: ServiceContext, number: str, state: str, *, at: datetime | None,
               expected_row_version: int | None) -> InvoiceOut:
    at = at or utcnow()
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        inv = _by_number(session, number)
        if expected_row_version is not None and inv.row_version != expected_row_version:
            raise Conflict(_("This invoice was changed by {by} — reload.").format(
                by=inv.updated_by), changed_by=inv.updated_by, changed_at=inv.updated_at)
        if inv.state not in _ALLOWED[state]:
            raise ValidationFailed({"state": _("A {current} invoice cannot become {new}.").format(
                current=inv.state, new=state)})
        before = {"state": inv.state}
        inv.state = state
        if state == "paid":
            inv.paid_at = at
        elif state == "failed":
            inv.failed_at = at
        inv.updated_at, inv.updated_by = utcnow(), ctx.operator
        try:
            session.flush()
        except StaleDataError:
            raise Conflict(_("This invoice was changed by someone else meanwhile — reload.")
                           ) from None
        audit.record(session, ctx, "invoice", inv.number, state, before,
                     {"state": state, "at": at.isoformat()})
        return invoice_out(inv)


def record_payment(ctx: ServiceContext, number: str, *, at: datetime | None = None,
                   expected_row_version: int | None = None) -> InvoiceOut:
    return _set_state(ctx, number, "paid", at=at, expected_row_version=expected_row_version)


def record_failed_payment(ctx: ServiceContext, number: str, *, at: datetime | None = None,
                          expected_row_version: int | None = None) -> InvoiceOut:
    return _set_state(ctx, number, "failed", at=at, expected_row_version=expected_row_version)


def credit_invoice(ctx: ServiceContext, number: str, *,
                   expected_row_version: int | None = None) -> InvoiceOut:
    return _set_state(ctx, number, "credited", at=None,
                      expected_row_version=expected_row_version)
