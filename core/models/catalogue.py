"""The catalogue: products (courses, memberships, bundles) with ordered lessons, and offers.

An offer (tariff) is one way to buy a product: one-time, subscription (a plan handle) or
instalments (a plan with `fixed_count`), with the access template it grants
(core/schemas/access_template.py). An offer may sell seats of a group (SPEC §8).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime, utcnow

PRODUCT_KINDS = ("course", "membership")
PAYMENT_TYPES = ("one_time", "subscription", "instalments")


class Product(Base):
    """A course or membership; a bundle when it has bundle items."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handle: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Lower-cased name: the list's sort key (keyset pagination).
    sort_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="course")
    description: Mapped[str] = mapped_column(Text, default="")
    is_bundle: Mapped[bool] = mapped_column(Boolean, default=False)
    # Number of lessons, kept by the service: "open lessons today: 7 of 12" needs no count.
    lesson_count: Mapped[int] = mapped_column(Integer, default=0)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (Index("ix_products_sort", "sort_key", "id"),)


class Lesson(Base):
    """One lesson of a product. `key` is stable: accesses refer to lessons by key."""

    __tablename__ = "lessons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    key: Mapped[str] = mapped_column(String(64))
    # 1-based order inside the product.
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")
    module: Mapped[str] = mapped_column(String(200), default="")
    practice: Mapped[bool] = mapped_column(Boolean, default=False)
    checkpoint: Mapped[bool] = mapped_column(Boolean, default=False)
    delay_days: Mapped[int] = mapped_column(Integer, default=0)
    open_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    __table_args__ = (
        UniqueConstraint("product_id", "key", name="uq_lessons_product_key"),
        Index("ix_lessons_product_position", "product_id", "position"),
    )


class BundleItem(Base):
    """A product contained in a bundle product."""

    __tablename__ = "bundle_items"

    bundle_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True,
                                            index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Offer(Base):
    """A tariff of a product: price and payment type, the access template it grants."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handle: Mapped[str] = mapped_column(String(255), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    name: Mapped[str] = mapped_column(String(200))
    sort_key: Mapped[str] = mapped_column(String(200))
    payment: Mapped[str] = mapped_column(String(16), default="one_time")
    # One-time price in minor units of `currency` (recurring offers: the plan decides).
    price: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # VAT in basis points (1900 = 19 %); None: the account's default_vat.
    vat_bp: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Subscription and instalments: the plan handle (its current version bills).
    plan_handle: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    # core.schemas.access_template.AccessTemplate.to_json()
    template: Mapped[dict[str, Any]] = mapped_column(JSON)
    # A group offer sells seats (SPEC §8): None = a single access.
    group_min_seats: Mapped[int | None] = mapped_column(Integer, nullable=True)
    group_max_seats: Mapped[int | None] = mapped_column(Integer, nullable=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (Index("ix_offers_product_sort", "product_id", "sort_key", "id"),
                      Index("ix_offers_sort", "sort_key", "id"))
