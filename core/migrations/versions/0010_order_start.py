"""Orders remember the access start asked for: a pending order creates its access (and
subscription) only when it is paid, from that start; the orders list filters product and
status together through one index (issue 10).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.models.base import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("starts_at", UTCDateTime(), nullable=True))
    op.create_index("ix_orders_product_status", "orders",
                    ["product_id", "status", "ordered_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_orders_product_status", table_name="orders")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("starts_at")
