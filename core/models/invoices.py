"""Invoices issued by the billing run (and by immediate plan changes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime, utcnow

INVOICE_STATES = ("open", "paid", "failed", "credited")
INVOICE_KINDS = ("plan", "setup_fee", "change")
LINE_KINDS = ("plan", "prorated_plan", "setup_fee", "credit")


class Invoice(Base):
    """One invoice; `lines` is a JSON list of {kind, text, quantity, net, vat, gross}."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    # "<subscription id>-<sequence>": a deterministic function of what is invoiced, so a
    # re-run (or a run split in two) numbers every invoice exactly as one run would.
    number: Mapped[str] = mapped_column(String(32), unique=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    kind: Mapped[str] = mapped_column(String(16))
    # The period start, or the issue time of an invoice without a period: with kind and
    # subscription the idempotency key, unique by construction.
    period_key: Mapped[datetime] = mapped_column(UTCDateTime)
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    issued: Mapped[datetime] = mapped_column(UTCDateTime)
    currency: Mapped[str] = mapped_column(String(3))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    net: Mapped[int] = mapped_column(BigInteger)
    vat_amount: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)  # gross
    state: Mapped[str] = mapped_column(String(12), default="open")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (
        UniqueConstraint("subscription_id", "period_key", "kind",
                         name="uq_invoices_subscription_period_kind"),
        Index("ix_invoices_contact", "contact_id", "issued"),
    )
