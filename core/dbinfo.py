"""What is known of a database without importing SQLAlchemy: where it is (`resolve_url`) and
which schema this code expects (`head_revision`). core/db.py re-exports all of it; the
console's start-up preview (core/first_window.py) uses it before SQLAlchemy is imported."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from core.errors import DatabaseError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def default_sqlite_path() -> Path:
    """The SQLite file in the user's XDG data directory."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kontor" / "kontor.db"


def resolve_url(cli_url: str | None = None) -> str:
    """`--db`, then KONTOR_DATABASE_URL, else the SQLite file in the XDG data directory."""
    url = cli_url or os.environ.get("KONTOR_DATABASE_URL")
    if url:
        if "://" not in url:  # a bare path means a SQLite file
            url = f"sqlite:///{Path(url).expanduser().resolve()}"
        return url
    return f"sqlite:///{default_sqlite_path()}"


_REV_RE = re.compile(r'^(revision|down_revision)\s*=\s*(None|["\']([^"\']+)["\'])', re.MULTILINE)


@lru_cache(maxsize=1)
def _revision_graph() -> dict[str, str | None]:
    """revision -> down_revision, read from the migration files' text.

    Importing Alembic and every migration costs ~0.2 s at each start; the check whether the
    schema is current needs only these two assignments (a test compares with Alembic's view).
    """
    graph: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        found = {m.group(1): m.group(3) for m in _REV_RE.finditer(path.read_text("utf-8"))}
        if found.get("revision"):
            graph[found["revision"]] = found.get("down_revision")
    return graph


def head_revision() -> str:
    graph = _revision_graph()
    parents = {down for down in graph.values() if down}
    heads = [rev for rev in graph if rev not in parents]
    if len(heads) != 1:
        raise DatabaseError(f"migrations have {len(heads)} heads: {heads}")
    return heads[0]


def known_revisions() -> set[str]:
    return set(_revision_graph())
