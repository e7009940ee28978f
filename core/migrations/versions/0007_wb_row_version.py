"""One name for the optimistic-lock column: `row_version` on every versioned table.

Subscriptions, invoices and plans already call it `row_version` (a plan's `version` is
Reepay's plan version); contacts, operators, settings, saved views and operator preferences
called it `version`. A rename only: values are kept.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("contacts", "operators", "settings", "saved_views", "operator_preferences")


# ALTER TABLE … RENAME COLUMN (SQLite ≥ 3.25, PostgreSQL) keeps the table, hence the FTS
# triggers on contacts, which a batch copy would drop.


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RENAME COLUMN version TO row_version")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RENAME COLUMN row_version TO version")
