"""The start-up preview (core/first_window.py) reads what `list_contacts` lists, on SQLite
with the standard library only, and shows nothing it could not vouch for."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from sqlalchemy import text

from core.first_window import read_first_window
from core.schemas.common import Window
from core.services.contacts import create_contact, list_contacts
from core.services.operators import add_operator, get_operator, sign_in, update_operator

CONTACTS = [
    {"name": "anna Zeta", "email": "a1@example.org", "tags": ["vip", "b2b"]},
    {"name": "Anna zeta", "email": "a2@example.org", "phone": "+49 30 1234", "language": "de"},
    {"name": "Émile Ørsted", "email": "e@example.org", "tags": []},
    {"name": "Bob", "email": "b@example.org", "language": "it"},
]


def _fill(admin) -> None:
    for data in CONTACTS:
        create_contact(admin, data)


def test_the_preview_is_the_first_window_of_list_contacts(db, admin):
    _fill(admin)
    preview = read_first_window(db.url, "admin", 3)
    if db.dialect != "sqlite":  # PostgreSQL: the rows come with the services
        assert preview is None
        return
    expected = list_contacts(admin, "", Window(limit=3))
    assert preview.operator == "admin" and preview.role == "admin"
    assert [vars(r) for r in preview.rows] == [r.model_dump() for r in expected]
    everything = read_first_window(db.url, "admin", 100)
    assert [r.id for r in everything.rows] == [r.id for r in list_contacts(admin, "")]


def test_the_preview_knows_the_role_sign_in_will_find(sqlite_db):
    admin = sign_in(sqlite_db, "admin")
    _fill(admin)
    add_operator(admin, {"login": "ag", "role": "agent"})
    assert read_first_window(sqlite_db.url, " ag ", 10).role == "agent"
    assert read_first_window(sqlite_db.url, "stranger", 10).role == "viewer"
    op = get_operator(admin, "ag")
    update_operator(admin, "ag", {"active": False}, expected_version=op.version)
    assert read_first_window(sqlite_db.url, "ag", 10).role == "viewer"
    for login in ("ag", "stranger"):
        assert read_first_window(sqlite_db.url, login, 10).role == sign_in(sqlite_db, login).role


def test_no_preview_before_the_first_admin_is_made(sqlite_db):
    assert read_first_window(sqlite_db.url, "alice", 10) is None  # sign_in writes first
    sign_in(sqlite_db, "alice")
    assert read_first_window(sqlite_db.url, "alice", 10).rows == []


def test_no_preview_of_a_schema_the_console_must_migrate_first(sqlite_db):
    admin = sign_in(sqlite_db, "admin")
    _fill(admin)
    with sqlite_db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    assert read_first_window(sqlite_db.url, "admin", 10) is None


def test_no_preview_of_a_missing_or_unreadable_database(tmp_path):
    missing = tmp_path / "typo.db"
    assert read_first_window(str(missing), "admin", 10) is None
    assert not missing.exists()  # never created
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    assert read_first_window(str(junk), "admin", 10) is None
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert read_first_window(str(empty), "admin", 10) is None
    assert read_first_window("sqlite://", "admin", 10) is None
    assert read_first_window("sqlite:///:memory:", "admin", 10) is None


def test_the_preview_imports_neither_sqlalchemy_nor_pydantic(sqlite_db):
    sign_in(sqlite_db, "admin")
    code = ("import sys; from core.first_window import read_first_window; "
            f"assert read_first_window({sqlite_db.url!r}, 'admin', 5) is not None; "
            "sys.exit('sqlalchemy' in sys.modules or 'pydantic' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
