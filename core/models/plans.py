"""Plans (Reepay/Frisbii field names and enums) and the dunning-plan catalogue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime, utcnow

PLAN_STATES = ("active", "superseded", "deleted")
# Indexes of migration 0003 (name suffix, columns before id); the words of description and
# setup_fee_text are indexed outside the models (SQLite FTS5 `plans_fts`, PostgreSQL GIN).
PLAN_LIST_INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("version", ("version",)),
    ("frequency", ("schedule_type", "interval_length")),
    ("partial_period_handling", ("partial_period_handling",)),
    ("setup_fee_handling", ("setup_fee_handling",)),
    ("fixed_life_time_unit", ("fixed_life_time_unit",)),
    ("trial_interval_unit", ("trial_interval_unit",)),
    ("fixed_count", ("fixed_count",)),
    ("trial_interval_length", ("trial_interval_length",)),
    ("schedule_fixed_day", ("schedule_fixed_day",)),
    ("renewal_reminder", ("renewal_reminder_email_days",)),
    ("trial_reminder", ("trial_reminder_email_days",)),
)
# Every filter column in created order: on SQLite any combination of column filters is
# counted, and the newest-first window found, from this index alone (no table reads).
PLAN_LIST_COVERING = (
    "created", "id", "state", "schedule_type", "partial_period_handling", "setup_fee_handling",
    "fixed_life_time_unit", "trial_interval_unit", "dunning_plan", "amount", "quantity",
    "fixed_count", "trial_interval_length", "interval_length", "schedule_fixed_day",
    "renewal_reminder_email_days", "trial_reminder_email_days", "version",
)


class DunningPlan(Base):
    """What happens after a failed payment: reminder steps, in days after the failure."""

    __tablename__ = "dunning_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handle: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    steps: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


class Plan(Base):
    """One version of a plan; all versions share the handle. Columns are Reepay's fields."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handle: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # A decimal fraction as text ("0.19"): exact on both databases, no float round trip.
    vat: Mapped[str] = mapped_column(String(16), default="0")
    amount_incl_vat: Mapped[bool] = mapped_column(Boolean, default=True)
    include_zero_amount: Mapped[bool] = mapped_column(Boolean, default=False)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    renewal_reminder_email_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    trial_reminder_email_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dunning_plan: Mapped[str | None] = mapped_column(String(255), nullable=True)
    schedule_type: Mapped[str] = mapped_column(String(20))
    interval_length: Mapped[int] = mapped_column(Integer, default=1)
    schedule_fixed_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    base_month: Mapped[int | None] = mapped_column(Integer, nullable=True)
    partial_period_handling: Mapped[str] = mapped_column(String(20), default="bill_prorated")
    partial_proration_days: Mapped[bool] = mapped_column(Boolean, default=True)
    minimum_prorated_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    setup_fee: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    setup_fee_text: Mapped[str | None] = mapped_column(String(255), nullable=True)
    setup_fee_handling: Mapped[str] = mapped_column(String(24), default="first")
    fixed_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fixed_life_time_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fixed_life_time_unit: Mapped[str | None] = mapped_column(String(8), nullable=True)
    trial_interval_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    trial_interval_unit: Mapped[str | None] = mapped_column(String(8), nullable=True)
    notice_periods: Mapped[int] = mapped_column(Integer, default=0)
    notice_periods_after_current: Mapped[bool] = mapped_column(Boolean, default=True)
    fixation_periods: Mapped[int] = mapped_column(Integer, default=0)
    fixation_periods_full: Mapped[bool] = mapped_column(Boolean, default=False)
    contract_period_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    contract_period_unit: Mapped[str | None] = mapped_column(String(8), nullable=True)
    renewal_contract_period_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    renewal_contract_period_unit: Mapped[str | None] = mapped_column(String(8), nullable=True)
    minimum_contract_period_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    minimum_contract_period_unit: Mapped[str | None] = mapped_column(String(8), nullable=True)
    notice_period_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notice_period_unit: Mapped[str | None] = mapped_column(String(8), nullable=True)
    subscription_duration: Mapped[str | None] = mapped_column(String(16), nullable=True)
    entitlements: Mapped[list[str]] = mapped_column(JSON, default=list)
    # 0004: Reepay fields kept as given (None = not given, Reepay's default applies).
    prepaid: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    fixed_trial_days: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    tax_policy: Mapped[str | None] = mapped_column(String(255), nullable=True)
    schedule_fixed_hour: Mapped[int | None] = mapped_column(Integer, nullable=True)
    account_funding: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    # `version` is the plan version (Reepay's); this is the optimistic-lock counter.
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)
    # What the plan list's text filters search (migration 0004, docs/limits.md): the folded
    # name (core.limits.fold) and the words of description and setup fee text
    # (core.limits.word_document). Derived from name/description/setup_fee_text on every
    # flush (see `_derive_search_columns`); bulk loaders compute them with the same functions.
    name_fold: Mapped[str] = mapped_column(Text, default="")
    description_words: Mapped[str] = mapped_column(Text, default="")
    setup_fee_words: Mapped[str] = mapped_column(Text, default="")

    __mapper_args__ = {"version_id_col": row_version}
    # The plan list (100,000 rows) filters on any column and sorts by created or name; each
    # index ends in id so keyset pagination on (column, id) is answered by the index alone.
    __table_args__ = (
        UniqueConstraint("handle", "version", name="uq_plans_handle_version"),
        Index("ix_plans_created", "created", "id"),
        Index("ix_plans_state", "state", "created", "id"),
        Index("ix_plans_schedule_type", "schedule_type", "created", "id"),
        Index("ix_plans_amount", "amount", "id"),
        Index("ix_plans_name", "name", "id"),
        Index("ix_plans_dunning_plan", "dunning_plan", "id"),
        Index("ix_plans_quantity", "quantity", "id"),
        Index("ix_plans_interval_length", "interval_length", "id"),
        # 0003, the plan catalogue: one index per remaining filter and sort column.
        *[Index(f"ix_plans_{name}", *cols, "id") for name, cols in PLAN_LIST_INDEXES],
        Index("ix_plans_list", *PLAN_LIST_COVERING),
    )


def search_columns(name: str | None, description: str | None, setup_fee_text: str | None
                   ) -> tuple[str, str, str]:
    """(name_fold, description_words, setup_fee_words) of a plan's texts."""
    from core.limits import fold, word_document

    return fold(name or ""), word_document(description), word_document(setup_fee_text)


@event.listens_for(Plan, "before_insert")
@event.listens_for(Plan, "before_update")
def _derive_search_columns(_mapper, _connection, target: Plan) -> None:
    folded = search_columns(target.name, target.description, target.setup_fee_text)
    for attr, value in zip(("name_fold", "description_words", "setup_fee_words"), folded,
                           strict=True):
        if getattr(target, attr) != value:
            setattr(target, attr, value)
