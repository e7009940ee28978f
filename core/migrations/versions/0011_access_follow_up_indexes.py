"""The follow-up lists (issue 11) count and page from an index alone: the pending
cancellations and the ends of live accesses, partial on what is not cancelled or deleted,
with the product (the lists' filter) in the key.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

LIVE = "cancelled_at IS NULL AND deleted_at IS NULL"
NOT_PENDING = "pending_cancellation_at IS NULL AND " + LIVE


def upgrade() -> None:
    op.create_index("ix_accesses_pending_live", "accesses",
                    ["pending_cancellation_at", "product_id", "id"],
                    sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))
    op.create_index("ix_accesses_ends_live", "accesses", ["ends_at", "product_id", "id"],
                    sqlite_where=sa.text(NOT_PENDING), postgresql_where=sa.text(NOT_PENDING))


def downgrade() -> None:
    op.drop_index("ix_accesses_ends_live", table_name="accesses")
    op.drop_index("ix_accesses_pending_live", table_name="accesses")
