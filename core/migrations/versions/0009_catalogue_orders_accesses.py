"""Catalogue, orders and accesses (issues 10-11): products with lessons and bundles, offers
with their access template (and group seats), orders with lines and payments, accesses with
the dates their status follows; contacts can be locked.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.models.base import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sort_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_bundle", sa.Boolean(), nullable=False),
        sa.Column("lesson_count", sa.Integer(), nullable=False),
        sa.Column("archived_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("handle", name=op.f("uq_products_handle")),
    )
    op.create_index("ix_products_sort", "products", ["sort_key", "id"], unique=False)
    op.create_table(
        "bundle_items",
        sa.Column("bundle_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bundle_id"], ["products.id"], name=op.f("fk_bundle_items_bundle_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_bundle_items_product_id_products")
        ),
        sa.PrimaryKeyConstraint("bundle_id", "product_id", name=op.f("pk_bundle_items")),
    )
    op.create_index(
        op.f("ix_bundle_items_product_id"), "bundle_items", ["product_id"], unique=False
    )
    op.create_table(
        "lessons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("module", sa.String(length=200), nullable=False),
        sa.Column("practice", sa.Boolean(), nullable=False),
        sa.Column("checkpoint", sa.Boolean(), nullable=False),
        sa.Column("delay_days", sa.Integer(), nullable=False),
        sa.Column("open_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_lessons_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lessons")),
        sa.UniqueConstraint("product_id", "key", name="uq_lessons_product_key"),
    )
    op.create_index(
        "ix_lessons_product_position", "lessons", ["product_id", "position"], unique=False
    )
    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(length=255), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sort_key", sa.String(length=200), nullable=False),
        sa.Column("payment", sa.String(length=16), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("vat_bp", sa.Integer(), nullable=True),
        sa.Column("plan_handle", sa.String(length=255), nullable=True),
        sa.Column("template", sa.JSON(), nullable=False),
        sa.Column("group_min_seats", sa.Integer(), nullable=True),
        sa.Column("group_max_seats", sa.Integer(), nullable=True),
        sa.Column("archived_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_offers_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
        sa.UniqueConstraint("handle", name=op.f("uq_offers_handle")),
    )
    op.create_index(op.f("ix_offers_plan_handle"), "offers", ["plan_handle"], unique=False)
    op.create_index(
        "ix_offers_product_sort", "offers", ["product_id", "sort_key", "id"], unique=False
    )
    op.create_index("ix_offers_sort", "offers", ["sort_key", "id"], unique=False)
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("ordered_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payment", sa.String(length=16), nullable=False),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("paid_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("refunded_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_orders_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_orders_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
    )
    op.create_index("ix_orders_contact", "orders", ["contact_id", "id"], unique=False)
    op.create_index("ix_orders_ordered", "orders", ["ordered_at", "id"], unique=False)
    op.create_index(
        "ix_orders_product_ordered", "orders", ["product_id", "ordered_at", "id"], unique=False
    )
    op.create_index(
        "ix_orders_status_ordered", "orders", ["status", "ordered_at", "id"], unique=False
    )
    op.create_table(
        "accesses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=True),
        sa.Column("template", sa.JSON(), nullable=True),
        sa.Column("individual", sa.Boolean(), nullable=False),
        sa.Column("pauses", sa.JSON(), nullable=False),
        sa.Column("accepted", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("pending_cancellation_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=24), nullable=True),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_accesses_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_accesses_offer_id_offers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_accesses_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_accesses_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"], ["accesses.id"], name=op.f("fk_accesses_replaced_by_id_accesses")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_accesses_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accesses")),
    )
    op.create_index("ix_accesses_contact", "accesses", ["contact_id", "id"], unique=False)
    op.create_index(op.f("ix_accesses_group_id"), "accesses", ["group_id"], unique=False)
    op.create_index(op.f("ix_accesses_offer_id"), "accesses", ["offer_id"], unique=False)
    op.create_index(op.f("ix_accesses_order_id"), "accesses", ["order_id"], unique=False)
    op.create_index(
        "ix_accesses_pending", "accesses", ["pending_cancellation_at", "id"], unique=False
    )
    op.create_index("ix_accesses_product", "accesses", ["product_id", "id"], unique=False)
    op.create_index(
        "ix_accesses_status_ends", "accesses", ["status", "ends_at", "id"], unique=False
    )
    op.create_index(
        op.f("ix_accesses_subscription_id"), "accesses", ["subscription_id"], unique=False
    )
    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("price_override", sa.Boolean(), nullable=False),
        sa.Column("vat_bp", sa.Integer(), nullable=False),
        sa.Column("vat_amount", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_order_lines_offer_id_offers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_order_lines_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
    )
    op.create_index(op.f("ix_order_lines_offer_id"), "order_lines", ["offer_id"], unique=False)
    op.create_index(op.f("ix_order_lines_order_id"), "order_lines", ["order_id"], unique=False)
    op.create_table(
        "order_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("paid_at", UTCDateTime(), nullable=True),
        sa.Column(
            "invoice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_order_payments_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_payments_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_payments")),
    )
    op.create_index(
        op.f("ix_order_payments_order_id"), "order_payments", ["order_id"], unique=False
    )
    op.add_column("contacts", sa.Column("locked_at", UTCDateTime(), nullable=True))
    op.add_column("contacts", sa.Column("locked_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("contacts", "locked_by")
    op.drop_column("contacts", "locked_at")
    op.drop_index(op.f("ix_order_payments_order_id"), table_name="order_payments")
    op.drop_table("order_payments")
    op.drop_index(op.f("ix_order_lines_order_id"), table_name="order_lines")
    op.drop_index(op.f("ix_order_lines_offer_id"), table_name="order_lines")
    op.drop_table("order_lines")
    op.drop_index(op.f("ix_accesses_subscription_id"), table_name="accesses")
    op.drop_index("ix_accesses_status_ends", table_name="accesses")
    op.drop_index("ix_accesses_product", table_name="accesses")
    op.drop_index("ix_accesses_pending", table_name="accesses")
    op.drop_index(op.f("ix_accesses_order_id"), table_name="accesses")
    op.drop_index(op.f("ix_accesses_offer_id"), table_name="accesses")
    op.drop_index(op.f("ix_accesses_group_id"), table_name="accesses")
    op.drop_index("ix_accesses_contact", table_name="accesses")
    op.drop_table("accesses")
    op.drop_index("ix_orders_status_ordered", table_name="orders")
    op.drop_index("ix_orders_product_ordered", table_name="orders")
    op.drop_index("ix_orders_ordered", table_name="orders")
    op.drop_index("ix_orders_contact", table_name="orders")
    op.drop_table("orders")
    op.drop_index("ix_offers_sort", table_name="offers")
    op.drop_index("ix_offers_product_sort", table_name="offers")
    op.drop_index(op.f("ix_offers_plan_handle"), table_name="offers")
    op.drop_table("offers")
    op.drop_index("ix_lessons_product_position", table_name="lessons")
    op.drop_table("lessons")
    op.drop_index(op.f("ix_bundle_items_product_id"), table_name="bundle_items")
    op.drop_table("bundle_items")
    op.drop_index("ix_products_sort", table_name="products")
    op.drop_table("products")
