"""Groups (SPEC §8, issue 12): a leader's seat quota on a product, its purchases and members.

The seat counters live on the group row and are kept consistent by CHECK constraints:
`seats_free_open = seats_total - active_count` (group limit not active: a removal frees the
seat) and `seats_free_limited = seats_total - active_count - removed_count` (limit active:
a removed participant keeps using the seat). An enrolment takes a seat with one conditional
UPDATE under the group's row lock (core/services/groups.py), so two agents taking the last
seat at once give exactly one success on SQLite and PostgreSQL.

`seats_total`, `live_until` and `sub_live_until` are caches of the purchases (refreshed by
every groups write) so the groups list filters "full", "over quota" and "no live
subscription" through indexes; the quota view computes them afresh from the purchases.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime, utcnow

MEMBER_STATUSES = ("active", "removed")


class Group(Base):
    """A group: name (unique per product, never changed), leader, product, seat counters."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Lower-cased name: unique per product, and the list's sort key.
    name_key: Mapped[str] = mapped_column(String(200))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    # The offer bought first; an upgrade buys it (or another group offer of the product) again.
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    leader_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    leader_takes_seat: Mapped[bool] = mapped_column(Boolean, default=False)
    seats_total: Mapped[int] = mapped_column(Integer, default=0)
    active_count: Mapped[int] = mapped_column(Integer, default=0)
    removed_count: Mapped[int] = mapped_column(Integer, default=0)
    seats_free_open: Mapped[int] = mapped_column(Integer, default=0)
    seats_free_limited: Mapped[int] = mapped_column(Integer, default=0)
    # Until when some purchase is live (None: one lives open-ended).
    live_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    has_open_purchase: Mapped[bool] = mapped_column(Boolean, default=True)
    # Until when a subscription purchase is live: 9000-01-01 when one lives open-ended,
    # 1970-01-01 when none was ever bought ("no live subscription" = sub_live_until <= now).
    sub_live_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    has_open_sub: Mapped[bool] = mapped_column(Boolean, default=False)
    # No live purchase left from this moment: participants lose access then.
    offline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (
        UniqueConstraint("product_id", "name_key", name="uq_groups_product_name"),
        CheckConstraint("active_count >= 0 AND removed_count >= 0 AND seats_total >= 0",
                        name="counts"),
        CheckConstraint("seats_free_open = seats_total - active_count",
                        name="free_open"),
        CheckConstraint("seats_free_limited = seats_total - active_count - removed_count",
                        name="free_limited"),
        Index("ix_groups_leader", "leader_id", "id"),
        Index("ix_groups_product", "product_id", "id"),
        Index("ix_groups_free_open", "seats_free_open", "id"),
        Index("ix_groups_free_limited", "seats_free_limited", "id"),
        Index("ix_groups_sub_live", "sub_live_until", "id"),
        Index("ix_groups_product_free_open", "product_id", "seats_free_open", "id"),
        Index("ix_groups_product_free_limited", "product_id", "seats_free_limited", "id"),
        Index("ix_groups_product_sub_live", "product_id", "sub_live_until", "id"),
    )


class GroupPurchase(Base):
    """One purchase of seats: the first one or an upgrade; one order, maybe a subscription.

    Live rule (core/rules/groups.py `purchase_live`): one-time while its access duration
    runs (`live_until`, None = unlimited) and the order stands; instalments while the plan
    runs and once paid off; a subscription while it is live."""

    __tablename__ = "group_purchases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True,
                                                 index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"),
                                                        nullable=True, index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    payment: Mapped[str] = mapped_column(String(16), default="one_time")
    seats: Mapped[int] = mapped_column(Integer)
    bought_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The end of a one-time purchase's access duration (None: unlimited / the subscription's).
    live_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("seats > 0", name="seats"),
        Index("ix_group_purchases_group", "group_id", "id"),
    )


class GroupMember(Base):
    """A participant of a group (the leader too when they take a seat)."""

    __tablename__ = "group_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    access_id: Mapped[int | None] = mapped_column(ForeignKey("accesses.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Whether the removal freed the seat under the setting of that moment (history only: the
    # seats used follow the current setting).
    seat_freed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (
        UniqueConstraint("group_id", "contact_id", name="uq_group_members_contact"),
        Index("ix_group_members_group", "group_id", "id"),
        Index("ix_group_members_contact", "contact_id", "id"),
    )
