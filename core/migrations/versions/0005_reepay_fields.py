"""Reepay plan fields that were dropped on import: prepaid, fixed_trial_days, tax_policy,
schedule_fixed_hour, account_funding (all nullable: None = not given, Reepay's default).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = (
    ("prepaid", sa.Boolean()),
    ("fixed_trial_days", sa.Boolean()),
    ("tax_policy", sa.String(255)),
    ("schedule_fixed_hour", sa.Integer()),
    ("account_funding", sa.Boolean()),
)


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("plans", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): a batch rebuild would drop the
    # plans_fts triggers.
    for name, _type in reversed(COLUMNS):
        op.drop_column("plans", name)
