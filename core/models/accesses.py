"""Accesses: what a contact may open of a product, bought by an order or through a group.

The status follows time (SPEC §5): every read computes it for "now" from the dates here
(core/rules/accesses.py); `status` is what the billing run last persisted, for indexed lists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime, utcnow

ACCESS_STATUSES = ("active", "pending_cancellation", "cancelled", "expired", "paused",
                   "overdue")


_LIVE = "cancelled_at IS NULL AND deleted_at IS NULL"
_NOT_PENDING = "pending_cancellation_at IS NULL AND " + _LIVE
# Active, not deleted, with at least one pause (planned, running or past).
WITH_PAUSES = "status = 'active' AND deleted_at IS NULL AND json_array_length(pauses) > 0"


class Access(Base):
    """One access of a contact to a product under an offer's (or an individual) template."""

    __tablename__ = "accesses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True,
                                                 index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"),
                                                        nullable=True, index=True)
    # Granted through a group's seat (SPEC §8); the groups tables reference it.
    group_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The end: the template's duration moved by pauses, an extension or an edited date;
    # None = unlimited (or as long as the subscription lives).
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # None: the offer's template applies (later offer edits reach this access). Once edited
    # in the order editor the access is individual and keeps its own template here, with
    # `only` sets stored as lesson keys.
    template: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    individual: Mapped[bool] = mapped_column(Boolean, default=False)
    # [{"from": ISO, "to": ISO | null}], in order of "from".
    pauses: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Lesson keys whose practice has been accepted (checkpoints, curator review).
    accepted: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Persisted status (see module docstring) and the dates behind it.
    status: Mapped[str] = mapped_column(String(24), default="active")
    pending_cancellation_at: Mapped[datetime | None] = mapped_column(UTCDateTime,
                                                                     nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Deleted (the seed's "delete the old access"), replaced by a tariff switch, or ended by
    # a refund: kept for history, never shown as live.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(24), nullable=True)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("accesses.id"),
                                                       nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (
        Index("ix_accesses_contact", "contact_id", "id"),
        Index("ix_accesses_product", "product_id", "id"),
        Index("ix_accesses_status_ends", "status", "ends_at", "id"),
        Index("ix_accesses_pending", "pending_cancellation_at", "id"),
        # The follow-up lists (issue 11, migration 0010): counted from the index alone.
        Index("ix_accesses_pending_live", "pending_cancellation_at", "product_id", "id",
              sqlite_where=text(_LIVE), postgresql_where=text(_LIVE)),
        Index("ix_accesses_ends_live", "ends_at", "product_id", "id",
              sqlite_where=text(_NOT_PENDING), postgresql_where=text(_NOT_PENDING)),
        # The billing run's planned pauses (migration 0014): `WITH_PAUSES` word for word.
        Index("ix_accesses_with_pauses", "id",
              sqlite_where=text(WITH_PAUSES), postgresql_where=text(WITH_PAUSES)),
    )
