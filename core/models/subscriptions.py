"""Subscriptions: the engine's SubscriptionState as JSON plus the columns lists and runs query."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime, utcnow

SUBSCRIPTION_STATES = ("trial", "active", "pending_cancellation", "cancelled", "expired",
                       "on_hold")
LIVE_STATES = ("trial", "active", "pending_cancellation", "on_hold")


class Subscription(Base):
    """A contact's subscription to one plan version."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    state: Mapped[str] = mapped_column(String(24))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    # Per-unit price overriding the plan amount (Reepay's subscription `amount`).
    amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    # core.billing.SubscriptionState.to_json_dict(): the single source of every date.
    billing_state: Mapped[dict[str, Any]] = mapped_column(JSON)
    # When the billing run next has work here: the next invoice, trial end or expiry.
    next_billing_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True,
                                                             index=True)
    current_period_start: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expire_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    on_hold_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A plan change waiting for the start of a period (new version or change at renewal).
    pending_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), nullable=True,
                                                        index=True)
    pending_change_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Invoices issued so far: the sequence part of the next invoice number.
    invoice_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (Index("ix_subscriptions_state", "state", "id"),
                      Index("ix_subscriptions_plan_id_id", "plan_id", "id"))
