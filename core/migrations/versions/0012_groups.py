"""Groups (issue 12): groups with their seat counters, purchases (orders, subscriptions) and
members.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.models.base import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("leader_takes_seat", sa.Boolean(), nullable=False),
        sa.Column("seats_total", sa.Integer(), nullable=False),
        sa.Column("active_count", sa.Integer(), nullable=False),
        sa.Column("removed_count", sa.Integer(), nullable=False),
        sa.Column("seats_free_open", sa.Integer(), nullable=False),
        sa.Column("seats_free_limited", sa.Integer(), nullable=False),
        sa.Column("live_until", UTCDateTime(), nullable=True),
        sa.Column("has_open_purchase", sa.Boolean(), nullable=False),
        sa.Column("sub_live_until", UTCDateTime(), nullable=True),
        sa.Column("has_open_sub", sa.Boolean(), nullable=False),
        sa.Column("offline_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.CheckConstraint("active_count >= 0 AND removed_count >= 0 AND seats_total >= 0",
                           name=op.f("ck_groups_counts")),
        sa.CheckConstraint("seats_free_open = seats_total - active_count",
                           name=op.f("ck_groups_free_open")),
        sa.CheckConstraint("seats_free_limited = seats_total - active_count - removed_count",
                           name=op.f("ck_groups_free_limited")),
        sa.ForeignKeyConstraint(["leader_id"], ["contacts.id"],
                                name=op.f("fk_groups_leader_id_contacts")),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"],
                                name=op.f("fk_groups_offer_id_offers")),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"],
                                name=op.f("fk_groups_product_id_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("product_id", "name_key", name="uq_groups_product_name"),
    )
    op.create_index("ix_groups_leader", "groups", ["leader_id", "id"], unique=False)
    op.create_index("ix_groups_product", "groups", ["product_id", "id"], unique=False)
    op.create_index("ix_groups_free_open", "groups", ["seats_free_open", "id"], unique=False)
    op.create_index("ix_groups_free_limited", "groups", ["seats_free_limited", "id"],
                    unique=False)
    op.create_index("ix_groups_sub_live", "groups", ["sub_live_until", "id"], unique=False)
    for name, column in (("free_open", "seats_free_open"), ("free_limited", "seats_free_limited"),
                         ("sub_live", "sub_live_until")):
        op.create_index(f"ix_groups_product_{name}", "groups", ["product_id", column, "id"],
                        unique=False)
    op.create_table(
        "group_purchases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("payment", sa.String(length=16), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("bought_at", UTCDateTime(), nullable=False),
        sa.Column("live_until", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("seats > 0", name=op.f("ck_group_purchases_seats")),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"],
                                name=op.f("fk_group_purchases_group_id_groups")),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"],
                                name=op.f("fk_group_purchases_offer_id_offers")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"],
                                name=op.f("fk_group_purchases_order_id_orders")),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"],
                                name=op.f("fk_group_purchases_subscription_id_subscriptions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_purchases")),
    )
    op.create_index("ix_group_purchases_group", "group_purchases", ["group_id", "id"],
                    unique=False)
    op.create_index(op.f("ix_group_purchases_order_id"), "group_purchases", ["order_id"],
                    unique=False)
    op.create_index(op.f("ix_group_purchases_subscription_id"), "group_purchases",
                    ["subscription_id"], unique=False)
    op.create_table(
        "group_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("access_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("is_leader", sa.Boolean(), nullable=False),
        sa.Column("enrolled_at", UTCDateTime(), nullable=False),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.Column("seat_freed", sa.Boolean(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["access_id"], ["accesses.id"],
                                name=op.f("fk_group_members_access_id_accesses")),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"],
                                name=op.f("fk_group_members_contact_id_contacts")),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"],
                                name=op.f("fk_group_members_group_id_groups")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_members")),
        sa.UniqueConstraint("group_id", "contact_id", name="uq_group_members_contact"),
    )
    op.create_index("ix_group_members_group", "group_members", ["group_id", "id"],
                    unique=False)
    op.create_index("ix_group_members_contact", "group_members", ["contact_id", "id"],
                    unique=False)


def downgrade() -> None:
    op.drop_table("group_members")
    op.drop_table("group_purchases")
    op.drop_table("groups")
