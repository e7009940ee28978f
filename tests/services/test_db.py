"""Database URL resolution, the SQLite file and its pragmas, and the schema revision checks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from core.db import Database, head_revision, open_database, resolve_url
from core.errors import DatabaseError


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.delenv("KONTOR_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return monkeypatch


def test_default_is_a_sqlite_file_in_xdg_data_home(env, tmp_path):
    assert resolve_url() == f"sqlite:///{tmp_path}/xdg/kontor/kontor.db"


def test_without_xdg_data_home_the_default_is_under_local_share(env, tmp_path):
    env.delenv("XDG_DATA_HOME")
    assert resolve_url() == f"sqlite:///{tmp_path}/home/.local/share/kontor/kontor.db"


def test_environment_url_beats_the_default_and_cli_url_beats_both(env):
    env.setenv("KONTOR_DATABASE_URL", "postgresql+psycopg://kontor@db.example/kontor")
    assert resolve_url() == "postgresql+psycopg://kontor@db.example/kontor"
    assert resolve_url("sqlite:////srv/other.db") == "sqlite:////srv/other.db"


def test_a_bare_path_becomes_an_absolute_sqlite_url(env, tmp_path):
    env.chdir(tmp_path)
    assert resolve_url("data/k.db") == f"sqlite:///{tmp_path}/data/k.db"
    assert resolve_url("~/k.db") == f"sqlite:///{tmp_path}/home/k.db"
    env.setenv("KONTOR_DATABASE_URL", "rel.db")
    assert resolve_url() == f"sqlite:///{tmp_path}/rel.db"


def test_the_sqlite_file_and_its_folder_are_created_for_the_owner_only(env, tmp_path):
    db = open_database(None)  # the XDG default
    try:
        path = tmp_path / "xdg" / "kontor" / "kontor.db"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert db.current_revision() == head_revision()
    finally:
        db.dispose()


def test_every_new_sqlite_connection_gets_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
    finally:
        db.dispose()


def test_open_database_upgrades_an_empty_database_to_head(tmp_path):
    db = open_database(str(tmp_path / "new.db"))
    try:
        assert db.current_revision() == head_revision()
        tables = set(inspect(db.engine).get_table_names())
        assert {"operators", "audit_records", "contacts", "settings"} <= tables
        # opening it again is a no-op
        assert open_database(db.url).current_revision() == head_revision()
    finally:
        db.dispose()


def _snapshot(url: str) -> tuple:
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            tables = sorted(inspect(conn).get_table_names())
            rev = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        return tables, rev
    finally:
        db.dispose()


def test_a_database_written_by_a_newer_kontor_is_refused_and_left_alone(tmp_path):
    url = f"sqlite:///{tmp_path / 'future.db'}"
    open_database(url).dispose()
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
        conn.execute(text("DROP TABLE settings"))  # as if a later version had reshaped it
    db.dispose()
    before = _snapshot(url)
    for upgrade in (True, False):
        with pytest.raises(DatabaseError) as err:
            open_database(url, upgrade=upgrade)
        assert "newer version of Kontor" in str(err.value)
        assert "ffffffffffff" in str(err.value)
    assert _snapshot(url) == before


def test_upgrade_refuses_a_newer_database_too(tmp_path):
    url = f"sqlite:///{tmp_path / 'future.db'}"
    open_database(url).dispose()
    db = Database(url)
    try:
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
        with pytest.raises(DatabaseError, match="newer version"):
            db.upgrade()
        assert db.current_revision() == "ffffffffffff"
    finally:
        db.dispose()


def test_without_upgrade_an_older_database_asks_for_kontor_db_upgrade(tmp_path):
    path = tmp_path / "old.db"
    with pytest.raises(DatabaseError) as err:
        open_database(str(path), upgrade=False)
    assert "kontor db upgrade" in str(err.value)
    db = Database(f"sqlite:///{path}")
    try:
        assert db.is_empty()
        before, after = db.upgrade()
        assert (before, after) == (None, head_revision())
        assert not db.is_empty()
    finally:
        db.dispose()
    open_database(str(path), upgrade=False).dispose()


def test_an_unreachable_postgresql_server_gives_a_database_error(monkeypatch):
    with pytest.raises(DatabaseError) as err:
        open_database("postgresql://kontor:s3cret@127.0.0.1:1/kontor")
    msg = str(err.value)
    assert "Cannot open the database" in msg and "127.0.0.1" in msg
    assert "s3cret" not in msg


def test_an_unreadable_sqlite_location_gives_a_database_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DatabaseError):
        open_database(str(blocker / "k.db"))


def test_a_file_that_is_not_a_database_gives_a_database_error(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(DatabaseError):
        open_database(str(junk))


@pytest.mark.skipif(not os.environ.get("KONTOR_TEST_POSTGRES_URL"),
                    reason="KONTOR_TEST_POSTGRES_URL is not set")
def test_postgresql_database_is_at_head_after_open(pg_database):
    db = open_database(pg_database, upgrade=False)
    try:
        assert db.dialect == "postgresql" and db.current_revision() == head_revision()
    finally:
        db.dispose()


def test_safe_url_hides_the_password():
    db = Database("postgresql://kontor:s3cret@127.0.0.1:1/kontor")
    try:
        assert "s3cret" not in db.safe_url and "***" in db.safe_url
    finally:
        db.dispose()


def test_migrations_folder_ships_with_the_package():
    from core.db import MIGRATIONS_DIR

    assert (Path(MIGRATIONS_DIR) / "versions").is_dir()


def test_reading_the_revision_of_an_unreachable_server_is_a_database_error():
    """`kontor db current|upgrade` open the database without the schema check."""
    db = Database("postgresql://kontor:s3cret@127.0.0.1:1/kontor")
    try:
        with pytest.raises(DatabaseError) as err:
            db.current_revision()
        with pytest.raises(DatabaseError):
            db.upgrade()
    finally:
        db.dispose()
    assert "s3cret" not in str(err.value) and "Connection refused" in str(err.value)


def test_a_sqlite_file_that_cannot_be_created_is_a_database_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(DatabaseError, match="Cannot open the database"):
        Database(f"sqlite:///{blocker / 'k.db'}")
