"""Orders: number, contact, lines, payments, status (SPEC §4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime, utcnow

ORDER_STATUSES = ("pending", "paid", "cancelled", "refunded")


class Order(Base):
    """An order of a contact. A pending order creates nothing until it is paid."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Human, sequential, unique (the service assigns max + 1; the constraint settles races).
    number: Mapped[int] = mapped_column(Integer, unique=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The access start asked for (default the moment of the order): a pending order grants
    # nothing until it is paid, then from here.
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    payment: Mapped[str] = mapped_column(String(16), default="one_time")
    # A sale made elsewhere ("external"): counts as paid, no payment collected here.
    external: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # Sum of the lines, minor units (VAT included).
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    # The first line's product: the orders list filters by product through this index.
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (
        Index("ix_orders_contact", "contact_id", "id"),
        Index("ix_orders_ordered", "ordered_at", "id"),
        Index("ix_orders_status_ordered", "status", "ordered_at", "id"),
        Index("ix_orders_product_ordered", "product_id", "ordered_at", "id"),
        # Product and status together (the orders area's commonest pair): the count is an
        # index range, not a probe of every order of the product (20 s at 2,000,000).
        Index("ix_orders_product_status", "product_id", "status", "ordered_at", "id"),
    )


class OrderCount(Base):
    """How many orders have a status and a product (`product_key`, 0 for none). Kept exact by
    database triggers (migration 0013), never written by the services: the orders list's
    count for a status and/or product filter is a sum over these rows."""

    __tablename__ = "order_counts"

    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    product_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class OrderLine(Base):
    """One line of an order: offer, quantity, unit price, VAT, total (minor units)."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[int] = mapped_column(BigInteger, default=0)
    # The offer's catalogue price was overridden for this order.
    price_override: Mapped[bool] = mapped_column(Boolean, default=False)
    vat_bp: Mapped[int] = mapped_column(Integer, default=0)
    vat_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)


class OrderPayment(Base):
    """A payment of an order; for instalments one per instalment, with its due date."""

    __tablename__ = "order_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    # "payment", "instalment", "invoice" (a subscription's first invoice), "external"
    kind: Mapped[str] = mapped_column(String(16), default="payment")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), nullable=True)
