"""The subscriptions area filters by plan newest first: index (plan_id, id).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_subscriptions_plan_id_id", "subscriptions", ["plan_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_subscriptions_plan_id_id", table_name="subscriptions")
