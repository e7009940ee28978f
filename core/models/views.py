"""Saved views of lists (filters + columns + sort) and per-operator preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime, utcnow


class SavedView(Base):
    """A named list view: the query text, visible columns and sort; shared views are public."""

    __tablename__ = "saved_views"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    # Which list the view belongs to ("plans"); other lists can reuse the table.
    list_name: Mapped[str] = mapped_column(String(32), default="plans")
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(Text, default="")
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    sort: Mapped[str] = mapped_column(String(64), default="")
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (
        UniqueConstraint("owner", "list_name", "name", name="uq_saved_views_owner_list_name"),
        Index("ix_saved_views_shared", "list_name", "shared"),
    )


class OperatorPreference(Base):
    """One UI preference of one operator (e.g. the plan list's visible columns), as JSON."""

    __tablename__ = "operator_preferences"

    login: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": row_version}
