"""The hand-written migrations create exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.db import open_database
from core.models import Base


def _ignored(diff) -> bool:
    """The SQLite FTS5 indexes (contacts' trigrams, plans' words) live outside the models on
    purpose."""
    obj = diff[1] if isinstance(diff, tuple) and len(diff) > 1 else None
    name = getattr(obj, "name", "") or ""
    table = getattr(getattr(obj, "table", None), "name", "") or ""
    return any(n.startswith(prefix) for n in (name, table)
               for prefix in ("contacts_fts", "plans_fts", "plans_name_fts"))


def _flatten(diffs):
    for d in diffs:
        if isinstance(d, list):  # column modifications come grouped per column
            yield from d
        else:
            yield d


def test_migrated_sqlite_schema_has_no_drift_from_the_models(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        with db.engine.connect() as conn:
            mc = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = [d for d in _flatten(compare_metadata(mc, Base.metadata))
                     if not _ignored(d)]
    finally:
        db.dispose()
    assert diffs == []
