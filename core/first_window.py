"""The first window of the contact list, read before SQLAlchemy is imported (SQLite only).

Importing SQLAlchemy, pydantic, the models and the services costs the console about twice
what a bare Textual app needs to draw its first frame. So on a SQLite database the console
reads the list's first window with the standard library's `sqlite3` right after its first
frame, shows it, and only then imports the services (console/app.py); from then on the
services serve the list as always. `read_first_window` is the same query as
`core.services.contacts.list_contacts(ctx, "", Window(limit=n))` - the unfiltered list in
name order - and tests/services/test_first_window.py holds the two to the same rows.

It only reads, and only what the services would show: nothing when the file is missing, the
schema is not the code's head (the console migrates it first), there is no operator yet (the
console signs the first one in as admin) or anything fails.
PostgreSQL databases get no preview: their rows come with the services.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from core.dbinfo import head_revision, resolve_url

NAME_ORDER = "name"  # core.services.contacts.NAME_ORDER: the order in a row's key

_ROWS = ("SELECT id, name, email, phone, language, tags, created_at, sort_key FROM contacts "
         "ORDER BY sort_key, id LIMIT ?")


@dataclass(frozen=True)
class PreviewRow:
    """One contact row: the fields of `core.schemas.contacts.ContactRow`."""

    id: int
    name: str
    email: str
    phone: str
    language: str
    tags: list[str]
    created_at: datetime
    key: tuple


@dataclass(frozen=True)
class FirstWindow:
    operator: str
    role: str  # as `sign_in` will find it
    rows: list[PreviewRow] = field(default_factory=list)


def sqlite_path(url: str) -> Path | None:
    """The file of a plain `sqlite:///PATH` URL (no driver, no query string), else None."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    path = url[len(prefix):]
    return Path(path) if path and path != ":memory:" else None


def read_first_window(db: str | None, login: str, limit: int) -> FirstWindow | None:
    """The first `limit` contacts in name order, as `login` will see them; None when there
    is nothing to show before the database is opened properly (see the module's text)."""
    path = sqlite_path(resolve_url(db))
    if path is None or not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error:
        return None
    try:
        return _read(conn, login.strip(), limit)
    except (sqlite3.Error, ValueError, TypeError):
        return None
    finally:
        conn.close()


def _read(conn: sqlite3.Connection, login: str, limit: int) -> FirstWindow | None:
    versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    if versions != [(head_revision(),)]:
        return None
    # The role `sign_in` will find: an operator's while active, else viewer; on an empty
    # operators table sign_in makes the first admin (a write): no preview then.
    op = conn.execute("SELECT role, active FROM operators WHERE login = ?", (login,)).fetchone()
    if op is None:
        if conn.execute("SELECT count(*) FROM operators").fetchone()[0] == 0:
            return None
        role = "viewer"
    else:
        role = op[0] if op[1] else "viewer"
    rows = [PreviewRow(id=i, name=name, email=email, phone=phone, language=language,
                       tags=(json.loads(tags) if tags else None) or [],
                       created_at=datetime.fromisoformat(created).replace(tzinfo=UTC),
                       key=(NAME_ORDER, sort_key, i))
            for i, name, email, phone, language, tags, created, sort_key
            in conn.execute(_ROWS, (limit,))]
    return FirstWindow(operator=login, role=role, rows=rows)
