"""Pilot fixtures: a console on a small SQLite database with known contacts."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest

from console.app import KontorApp
from core.db import Database
from core.services import demo
from core.services.operators import add_operator, sign_in
from tests.pilot import settle  # noqa: F401  (the pilot tests import it from here)

SIZE = (80, 24)  # what a support agent in tmux has


def seeded_copy(tmp_path_factory, sqlite_template, name: str,
                seed: Callable[[Database], None]):
    """A migrated file seeded once per session (per xdist worker), for tests to copy."""
    path = tmp_path_factory.mktemp(name) / f"{name}.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    seed(db)
    db.dispose()
    return path


def copy_database(template, tmp_path):
    path = tmp_path / "kontor.db"
    shutil.copy(template, path)
    return Database(f"sqlite:///{path}")


def _seed_contacts(db: Database) -> None:
    ctx = sign_in(db, "alice")  # first operator: admin
    from core.services.contacts import create_contact

    for data in demo.HANDPICKED:
        create_contact(ctx, data)
    demo.generate_contacts(ctx, 300)


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory, sqlite_template):
    return seeded_copy(tmp_path_factory, sqlite_template, "seeded", _seed_contacts)


@pytest.fixture
def seeded(tmp_path, seeded_template):
    """alice (admin), the three hand-picked contacts (1 Anna Müller, 2 Giulia Rossi, 3 Oliver
    Smith) and 300 generated ones: a copy of a file seeded once per session."""
    db = copy_database(seeded_template, tmp_path)
    yield db
    db.dispose()


@pytest.fixture
def admin_app(seeded):
    return KontorApp(sign_in(seeded, "alice"))


@pytest.fixture
def viewer_app(seeded):
    add_operator(sign_in(seeded, "alice"), {"login": "vera", "role": "viewer"})
    return KontorApp(sign_in(seeded, "vera"))


async def type_text(pilot, text: str) -> None:
    await pilot.press(*["space" if c == " " else c for c in text])


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    """A `kontor` command sees no database URL or operator from the environment, English, and
    an XDG data directory of its own (the CLI tests use it through `pytestmark`)."""
    monkeypatch.delenv("KONTOR_DATABASE_URL", raising=False)
    monkeypatch.delenv("KONTOR_OPERATOR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("LANGUAGE", "en")


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """`kontor ARGV` in process: (exit status, stdout, stderr)."""
    from console.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err

