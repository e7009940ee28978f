"""Search means the same on SQLite and PostgreSQL: folded plan names, Python-tokenised words.

The plan list's name fragment and word filters used the databases' own folding and
tokenising (SQLite folded ASCII only in LIKE, PostgreSQL folded "İ" its own way, and
`to_tsvector` kept "shop.example.com" as one word). Kontor now folds and tokenises in Python
(core.limits.fold / word_document) into three stored columns, and both databases index those:
SQLite with FTS5 (`ascii` words, case-sensitive trigrams), PostgreSQL with GIN (the word
arrays) and pg_trgm (the folded name).

The backfill runs in keyset batches of 5,000 plans through Python (the folding is Python's;
no SQL function computes it). Measured at 100,000 plans: 2.7 s on SQLite, ~12 s on PostgreSQL
(an UPDATE of every row touches each of the plan indexes; the old word indexes are dropped
first and the new ones built after the backfill).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from core.migrations.fts import PLANS_FTS_DROP, PLANS_FTS_SQLITE, PLANS_SEARCH_FTS_SQLITE

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BATCH = 5000
PG_INDEXES = (
    "CREATE INDEX ix_plans_name_fold_trgm ON plans USING gin (name_fold gin_trgm_ops)",
    ("CREATE INDEX ix_plans_description_wordset ON plans "
     "USING gin (string_to_array(description_words, ' '))"),
    ("CREATE INDEX ix_plans_setup_fee_wordset ON plans "
     "USING gin (string_to_array(setup_fee_words, ' '))"),
)
PG_OLD_INDEXES = (
    "CREATE INDEX ix_plans_name_trgm ON plans USING gin (name gin_trgm_ops)",
    ("CREATE INDEX ix_plans_description_words ON plans "
     "USING gin (to_tsvector('simple', description))"),
    ("CREATE INDEX ix_plans_setup_fee_text_words ON plans "
     "USING gin (to_tsvector('simple', coalesce(setup_fee_text, '')))"),
)


def _fold(value):
    import unicodedata

    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value or "").casefold())


def _words(value):
    # The same rule as core.limits.search_words (a migration must not change with the code).
    import unicodedata

    out, cur = [], []
    for ch in _fold(value) + " ":
        if ch.isalnum() or unicodedata.category(ch).startswith("M"):
            cur.append(ch)
        elif cur:
            w = "".join(cur)
            cur = []
            if w not in out:
                out.append(w)
    return " ".join(out)


def _backfill(bind) -> None:
    plans = sa.table("plans", sa.column("id", sa.Integer), sa.column("name", sa.Text),
                     sa.column("description", sa.Text), sa.column("setup_fee_text", sa.Text),
                     sa.column("name_fold", sa.Text), sa.column("description_words", sa.Text),
                     sa.column("setup_fee_words", sa.Text))
    update = (plans.update().where(plans.c.id == sa.bindparam("pid"))
              .values(name_fold=sa.bindparam("nf"), description_words=sa.bindparam("dw"),
                      setup_fee_words=sa.bindparam("sw")))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(plans.c.id, plans.c.name, plans.c.description, plans.c.setup_fee_text)
            .where(plans.c.id > last).order_by(plans.c.id).limit(BATCH)).all()
        if not rows:
            return
        bind.execute(update, [{"pid": r.id, "nf": _fold(r.name), "dw": _words(r.description),
                               "sw": _words(r.setup_fee_text)} for r in rows])
        last = rows[-1].id


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("name_fold", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("description_words", sa.Text, nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("setup_fee_words", sa.Text, nullable=False,
                                   server_default=""))
    if bind.dialect.name == "sqlite":
        for stmt in PLANS_FTS_DROP:
            op.execute(stmt)
    elif bind.dialect.name == "postgresql":
        for name in ("ix_plans_name_trgm", "ix_plans_description_words",
                     "ix_plans_setup_fee_text_words"):
            op.execute(f"DROP INDEX IF EXISTS {name}")
    _backfill(bind)
    if bind.dialect.name == "sqlite":
        for stmt in PLANS_SEARCH_FTS_SQLITE:
            op.execute(stmt)
        op.execute("INSERT INTO plans_fts(plans_fts) VALUES ('rebuild')")
        op.execute("INSERT INTO plans_name_fts(plans_name_fts) VALUES ('rebuild')")
    elif bind.dialect.name == "postgresql":
        for stmt in PG_INDEXES:
            op.execute(stmt)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for stmt in PLANS_FTS_DROP:
            op.execute(stmt)
    elif bind.dialect.name == "postgresql":
        for name in ("ix_plans_name_fold_trgm", "ix_plans_description_wordset",
                     "ix_plans_setup_fee_wordset"):
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("setup_fee_words")
        batch.drop_column("description_words")
        batch.drop_column("name_fold")
    if bind.dialect.name == "sqlite":
        for stmt in PLANS_FTS_SQLITE:
            op.execute(stmt)
        op.execute("INSERT INTO plans_fts(plans_fts) VALUES ('rebuild')")
        op.execute("INSERT INTO plans_name_fts(plans_name_fts) VALUES ('rebuild')")
    elif bind.dialect.name == "postgresql":
        for stmt in PG_OLD_INDEXES:
            op.execute(stmt)
