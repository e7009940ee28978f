"""Billing: dunning plans, plans (Reepay fields), subscriptions, invoices.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""
import sqlalchemy as sa
from alembic import op

from core.models.base import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _length(prefix: str) -> list[sa.Column]:
    return [sa.Column(f"{prefix}_length", sa.Integer, nullable=True),
            sa.Column(f"{prefix}_unit", sa.String(8), nullable=True)]


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer, "sqlite")
    op.create_table(
        "dunning_plans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("handle", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("steps", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dunning_plans"),
        sa.UniqueConstraint("handle", name="uq_dunning_plans_handle"),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("handle", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created", UTCDateTime, nullable=False),
        sa.Column("deleted", UTCDateTime, nullable=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("vat", sa.String(16), nullable=False),
        sa.Column("amount_incl_vat", sa.Boolean, nullable=False),
        sa.Column("include_zero_amount", sa.Boolean, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("renewal_reminder_email_days", sa.Integer, nullable=True),
        sa.Column("trial_reminder_email_days", sa.Integer, nullable=True),
        sa.Column("dunning_plan", sa.String(255), nullable=True),
        sa.Column("schedule_type", sa.String(20), nullable=False),
        sa.Column("interval_length", sa.Integer, nullable=False),
        sa.Column("schedule_fixed_day", sa.Integer, nullable=True),
        sa.Column("base_month", sa.Integer, nullable=True),
        sa.Column("partial_period_handling", sa.String(20), nullable=False),
        sa.Column("partial_proration_days", sa.Boolean, nullable=False),
        sa.Column("minimum_prorated_amount", sa.BigInteger, nullable=False),
        sa.Column("setup_fee", sa.BigInteger, nullable=True),
        sa.Column("setup_fee_text", sa.String(255), nullable=True),
        sa.Column("setup_fee_handling", sa.String(24), nullable=False),
        sa.Column("fixed_count", sa.Integer, nullable=True),
        *_length("fixed_life_time"),
        *_length("trial_interval"),
        sa.Column("notice_periods", sa.Integer, nullable=False),
        sa.Column("notice_periods_after_current", sa.Boolean, nullable=False),
        sa.Column("fixation_periods", sa.Integer, nullable=False),
        sa.Column("fixation_periods_full", sa.Boolean, nullable=False),
        *_length("contract_period"),
        *_length("renewal_contract_period"),
        *_length("minimum_contract_period"),
        *_length("notice_period"),
        sa.Column("subscription_duration", sa.String(16), nullable=True),
        sa.Column("entitlements", sa.JSON, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("row_version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_plans"),
        sa.UniqueConstraint("handle", "version", name="uq_plans_handle_version"),
    )
    op.create_index("ix_plans_created", "plans", ["created", "id"])
    op.create_index("ix_plans_state", "plans", ["state", "created", "id"])
    op.create_index("ix_plans_schedule_type", "plans", ["schedule_type", "created", "id"])
    op.create_index("ix_plans_amount", "plans", ["amount", "id"])
    op.create_index("ix_plans_name", "plans", ["name", "id"])
    op.create_index("ix_plans_dunning_plan", "plans", ["dunning_plan", "id"])
    op.create_index("ix_plans_quantity", "plans", ["quantity", "id"])
    op.create_index("ix_plans_interval_length", "plans", ["interval_length", "id"])
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contact_id", sa.Integer, nullable=False),
        sa.Column("plan_id", sa.Integer, nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=True),
        sa.Column("start", UTCDateTime, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("billing_state", sa.JSON, nullable=False),
        sa.Column("next_billing_at", UTCDateTime, nullable=True),
        sa.Column("current_period_start", UTCDateTime, nullable=True),
        sa.Column("current_period_end", UTCDateTime, nullable=True),
        sa.Column("expires", UTCDateTime, nullable=True),
        sa.Column("expire_reason", sa.String(16), nullable=True),
        sa.Column("cancelled_at", UTCDateTime, nullable=True),
        sa.Column("on_hold_at", UTCDateTime, nullable=True),
        sa.Column("pending_plan_id", sa.Integer, nullable=True),
        sa.Column("pending_change_at", UTCDateTime, nullable=True),
        sa.Column("invoice_count", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("row_version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"],
                                name="fk_subscriptions_contact_id_contacts"),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"],
                                name="fk_subscriptions_plan_id_plans"),
        sa.ForeignKeyConstraint(["pending_plan_id"], ["plans.id"],
                                name="fk_subscriptions_pending_plan_id_plans"),
    )
    op.create_index("ix_subscriptions_contact_id", "subscriptions", ["contact_id"])
    op.create_index("ix_subscriptions_plan_id", "subscriptions", ["plan_id"])
    op.create_index("ix_subscriptions_pending_plan_id", "subscriptions", ["pending_plan_id"])
    op.create_index("ix_subscriptions_next_billing_at", "subscriptions", ["next_billing_at"])
    op.create_index("ix_subscriptions_state", "subscriptions", ["state", "id"])
    op.create_table(
        "invoices",
        sa.Column("id", big_id, primary_key=True),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("subscription_id", sa.Integer, nullable=False),
        sa.Column("contact_id", sa.Integer, nullable=False),
        sa.Column("plan_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("period_key", UTCDateTime, nullable=False),
        sa.Column("period_start", UTCDateTime, nullable=True),
        sa.Column("period_end", UTCDateTime, nullable=True),
        sa.Column("issued", UTCDateTime, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("lines", sa.JSON, nullable=False),
        sa.Column("net", sa.BigInteger, nullable=False),
        sa.Column("vat_amount", sa.BigInteger, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("paid_at", UTCDateTime, nullable=True),
        sa.Column("failed_at", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("row_version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_invoices"),
        sa.UniqueConstraint("number", name="uq_invoices_number"),
        sa.UniqueConstraint("subscription_id", "period_key", "kind",
                            name="uq_invoices_subscription_period_kind"),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"],
                                name="fk_invoices_subscription_id_subscriptions"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"],
                                name="fk_invoices_contact_id_contacts"),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name="fk_invoices_plan_id_plans"),
    )
    op.create_index("ix_invoices_contact", "invoices", ["contact_id", "issued"])


def downgrade() -> None:
    op.drop_table("invoices")
    op.drop_table("subscriptions")
    op.drop_table("plans")
    op.drop_table("dunning_plans")
