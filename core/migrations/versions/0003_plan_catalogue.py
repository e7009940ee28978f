"""Plan catalogue: filter/sort indexes for 100,000 plans, word search, saved views, preferences.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

from core.migrations.fts import PLANS_FTS_DROP, PLANS_FTS_SQLITE
from core.models.base import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Same list as core.models.plans.PLAN_LIST_INDEXES (a migration must not change with models).
INDEXES = (
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
# Every filter column in created order: SQLite answers any combination of them (count and
# the newest-first window) from this index alone, without reading the table.
LIST_INDEX = ("created", "id", "state", "schedule_type", "partial_period_handling",
              "setup_fee_handling", "fixed_life_time_unit", "trial_interval_unit",
              "dunning_plan", "amount", "quantity", "fixed_count", "trial_interval_length",
              "interval_length", "schedule_fixed_day", "renewal_reminder_email_days",
              "trial_reminder_email_days", "version")
PG_WORD_INDEXES = (
    "CREATE INDEX ix_plans_name_trgm ON plans USING gin (name gin_trgm_ops)",
    ("CREATE INDEX ix_plans_description_words ON plans "
     "USING gin (to_tsvector('simple', description))"),
    ("CREATE INDEX ix_plans_setup_fee_text_words ON plans "
     "USING gin (to_tsvector('simple', coalesce(setup_fee_text, '')))"),
)


def upgrade() -> None:
    for name, cols in INDEXES:
        op.create_index(f"ix_plans_{name}", "plans", [*cols, "id"])
    op.create_index("ix_plans_list", "plans", list(LIST_INDEX))
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("list_name", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("columns", sa.JSON, nullable=False),
        sa.Column("sort", sa.String(64), nullable=False),
        sa.Column("shared", sa.Boolean, nullable=False),
        sa.Column("created", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_saved_views"),
        sa.UniqueConstraint("owner", "list_name", "name", name="uq_saved_views_owner_list_name"),
    )
    op.create_index("ix_saved_views_shared", "saved_views", ["list_name", "shared"])
    op.create_table(
        "operator_preferences",
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.JSON, nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("login", "key", name="pk_operator_preferences"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for stmt in PLANS_FTS_SQLITE:
            op.execute(stmt)
        op.execute("INSERT INTO plans_fts(plans_fts) VALUES ('rebuild')")
        op.execute("INSERT INTO plans_name_fts(plans_name_fts) VALUES ('rebuild')")
    elif bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for stmt in PG_WORD_INDEXES:
            op.execute(stmt)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for stmt in PLANS_FTS_DROP:
            op.execute(stmt)
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_plans_name_trgm")
        op.execute("DROP INDEX IF EXISTS ix_plans_description_words")
        op.execute("DROP INDEX IF EXISTS ix_plans_setup_fee_text_words")
    op.drop_table("operator_preferences")
    op.drop_index("ix_saved_views_shared", table_name="saved_views")
    op.drop_table("saved_views")
    op.drop_index("ix_plans_list", table_name="plans")
    for name, _cols in INDEXES:
        op.drop_index(f"ix_plans_{name}", table_name="plans")
