"""Fixtures: a migrated database per test, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid

import pytest
import textual._wait as _textual_wait
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.db import Database, open_database
from core.i18n import set_language

# Textual's pilot waits for "idle" after every key by sleeping in steps of 20 ms until a step
# passes with under 1 ms of CPU; a typed e-mail address is then ≥ 0.8 s of sleeping, and the
# two test workers leave the cores a third idle. Steps of 2 ms, idle under 0.4 ms of CPU, find
# the moment the key's work is done with little waiting (the pilots never rely on these sleeps
# to pass a timer: they wait for the workers and the screen's state, or say `Wait`).
_textual_wait.SLEEP_GRANULARITY = 0.002
_textual_wait.SLEEP_IDLE = 0.0004

PG_URL = os.environ.get("KONTOR_TEST_POSTGRES_URL")
PG_SKIP = "KONTOR_TEST_POSTGRES_URL is not set (e.g. postgresql+psycopg://postgres@127.0.0.1/test)"


@pytest.fixture(autouse=True)
def _english():
    set_language("en")
    yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """One migrated SQLite file; each test gets a copy (migrating per test is slow)."""
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    db = open_database(f"sqlite:///{path}")
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database():
    """A fresh PostgreSQL database for this test session, migrated once, dropped at the end."""
    if not PG_URL:
        pytest.skip(PG_SKIP)
    admin_url = make_url(PG_URL)
    name = f"kontor_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A throw-away database: a commit need not wait for the disk.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    db = open_database(url)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


_EMPTY_PG: dict[str, str] = {}  # database URL -> the SQL that empties it


def _empty_pg_sql(conn) -> str:
    """DELETE every table and restart every sequence, foreign keys and triggers off for the
    transaction: ~2 ms, where TRUNCATE … RESTART IDENTITY CASCADE takes ~260 ms (it makes new
    files for ~20 tables) and was a quarter of the PostgreSQL tests' time."""
    tables = [r[0] for r in conn.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename <> 'alembic_version'"))]
    sequences = [r[0] for r in conn.execute(text(
        "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"))]
    return ("SET LOCAL session_replication_role = replica;"
            + "".join(f'DELETE FROM "{t}";' for t in tables)
            + "".join(f"SELECT setval('\"{q}\"', 1, false);" for q in sequences))


def _empty_pg(db: Database) -> None:
    """Empty the session's PostgreSQL database for the next test (ids start at 1 again)."""
    key = db.engine.url.render_as_string(hide_password=False)
    with db.engine.begin() as conn:
        if key not in _EMPTY_PG:
            superuser = conn.execute(text("SELECT rolsuper FROM pg_roles "
                                          "WHERE rolname = current_user")).scalar()
            _EMPTY_PG[key] = _empty_pg_sql(conn) if superuser else ""
        if _EMPTY_PG[key]:
            conn.exec_driver_sql(_EMPTY_PG[key])
            return
        # Not a superuser (session_replication_role needs one): the slow, sure way.
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename <> 'alembic_version'"))]
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                              + " RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path, sqlite_template):
    """A migrated, empty database: every service test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "kontor.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
    else:
        database = Database(request.getfixturevalue("pg_database"))
        _empty_pg(database)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path, sqlite_template):
    path = tmp_path / "kontor.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def admin(db):
    """The first operator of the database, hence admin."""
    from core.services.operators import sign_in

    return sign_in(db, "admin")


@pytest.fixture
def agent(db, admin):
    from core.services.operators import add_operator, sign_in

    add_operator(admin, {"login": "agent", "role": "agent"})
    return sign_in(db, "agent")


@pytest.fixture
def viewer(db, admin):
    from core.services.operators import add_operator, sign_in

    add_operator(admin, {"login": "viewer", "role": "viewer"})
    return sign_in(db, "viewer")
