"""Foundation: operators, audit trail, contacts with a trigram search index, settings.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""
import sqlalchemy as sa
from alembic import op

from core.migrations.fts import FTS_INSERT_TRIGGER
from core.models.base import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SQLITE_FTS = [
    # External-content FTS5 table: the trigram index without a second copy of the text.
    "CREATE VIRTUAL TABLE contacts_fts USING fts5(search_doc, tokenize='trigram', "
    "content='contacts', content_rowid='id')",
    FTS_INSERT_TRIGGER,
    "CREATE TRIGGER contacts_fts_ad AFTER DELETE ON contacts BEGIN "
    "INSERT INTO contacts_fts(contacts_fts, rowid, search_doc) "
    "VALUES ('delete', old.id, old.search_doc); END",
    "CREATE TRIGGER contacts_fts_au AFTER UPDATE OF search_doc ON contacts BEGIN "
    "INSERT INTO contacts_fts(contacts_fts, rowid, search_doc) "
    "VALUES ('delete', old.id, old.search_doc); "
    "INSERT INTO contacts_fts(rowid, search_doc) VALUES (new.id, new.search_doc); END",
]


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer, "sqlite")
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_operators"),
        sa.UniqueConstraint("login", name="uq_operators_login"),
    )
    op.create_table(
        "audit_records",
        sa.Column("id", big_id, primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_records"),
    )
    op.create_index("ix_audit_records_entity", "audit_records", ["entity", "entity_id", "id"])
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sort_key", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("email_key", sa.String(254), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("search_doc", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contacts"),
        sa.UniqueConstraint("email_key", name="uq_contacts_email_key"),
    )
    op.create_index("ix_contacts_sort", "contacts", ["sort_key", "id"])
    op.create_index("ix_contacts_created", "contacts", ["created_at", "id"])
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.JSON, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_settings"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for stmt in SQLITE_FTS:
            op.execute(stmt)
    elif bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_contacts_search_trgm ON contacts "
                   "USING gin (search_doc gin_trgm_ops)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("contacts_fts_ai", "contacts_fts_ad", "contacts_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS contacts_fts")
    op.drop_table("settings")
    op.drop_table("contacts")
    op.drop_table("audit_records")
    op.drop_table("operators")
