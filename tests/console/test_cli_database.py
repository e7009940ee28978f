"""Which commands may create a database: a mistyped `--db` must never make an empty one."""

from __future__ import annotations

import os

import pytest

from core.db import Database, head_revision
from tests.console.conftest import run_cli as run

pytestmark = pytest.mark.usefixtures("cli_env")  # tests/console/conftest.py


@pytest.mark.parametrize("argv", [
    ("contacts", "search", "x"),
    ("operators", "list"),
    ("db", "upgrade"),
    ("db", "current"),
    ("plans", "list"),
])
def test_a_missing_database_file_is_refused_not_created(capsys, tmp_path, argv):
    path = tmp_path / "tema.db"  # a typo of team.db
    code, out, err = run(capsys, "--db", str(path), *argv)
    assert code != 0 and out == ""
    assert f"There is no database at {path}" in err and "db init" in err
    assert "Traceback" not in err
    assert not path.exists()


def test_the_console_refuses_a_missing_database_before_starting(capsys, tmp_path):
    path = tmp_path / "missing.db"
    code, _out, err = run(capsys, "--db", str(path))
    assert code == 1 and "There is no database at" in err
    assert not path.exists()


def test_db_init_creates_and_migrates_then_only_migrates(capsys, tmp_path):
    path = tmp_path / "team.db"
    code, out, _ = run(capsys, "db", "init", "--db", str(path))
    assert code == 0 and "Created the database" in out
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    db = Database(f"sqlite:///{path}")
    try:
        assert db.current_revision() == head_revision()
    finally:
        db.dispose()
    code, out, _ = run(capsys, "--db", str(path), "db", "init")
    assert code == 0 and "Created" not in out
    code, out, _ = run(capsys, "--db", str(path), "contacts", "search", "x")
    assert code == 0


def test_demo_data_creates_with_db_before_or_after_the_command(capsys, tmp_path):
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    assert run(capsys, "--db", str(first), "demo-data", "--contacts", "5")[0] == 0
    assert run(capsys, "demo-data", "--db", str(second), "--contacts", "5")[0] == 0
    assert first.exists() and second.exists()


def test_the_default_file_is_still_created_on_first_use(capsys, tmp_path):
    code, _out, _err = run(capsys, "contacts", "search", "x")
    assert code == 0
    assert (tmp_path / "xdg" / "kontor" / "kontor.db").exists()
