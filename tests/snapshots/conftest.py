"""Snapshot fixtures: the console at 80x24 on a small fixed database under a frozen clock.

Every snapshot test is run twice, with the `ansi-dark` theme and with NO_COLOR=1 (the default
theme through the NO_COLOR filter). The clock is frozen with time-machine (datetime.now,
date.today, time.time); time.monotonic is not frozen, so Textual's timers and the asyncio loop
still run. Regenerate after a deliberate change of the screens:

    python3 dev.py test tests/snapshots --snapshot-update
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest
import time_machine

from core.db import Database
from tests.snapshots.keys import drive

SIZE = (80, 24)
# A Monday morning in Berlin; every created, billed and "today" date derives from it.
FROZEN = datetime(2026, 3, 16, 8, 30, tzinfo=UTC)
THEMES = ["ansi-dark", "no-color"]


def _seed(db: Database) -> None:
    """Fixed contacts, operators, plans, subscriptions and invoices (no randomness left:
    the generated contacts come from a seeded generator, every date from the frozen clock)."""
    from core.services import demo
    from core.services.contacts import create_contact
    from core.services.demo_billing import seed_billing_demo
    from core.services.operators import add_operator, sign_in

    ctx = sign_in(db, "alice")  # the first operator: admin
    for data in demo.HANDPICKED:
        create_contact(ctx, data)
    demo.generate_contacts(ctx, 37)
    add_operator(ctx, {"login": "bob", "role": "agent"})
    add_operator(ctx, {"login": "vera", "role": "viewer"})
    seed_billing_demo(ctx, subscribers=6)
    _seed_orders(db, ctx)


def _seed_orders(db: Database, ctx) -> None:
    """Anna Müller's orders: a paid course and a pending one (one-time offers only, so the
    plan list stays as it was)."""
    from core.services import orders
    from tests.services.commerce_rows import product_with_offer

    with db.transaction() as session:
        product_with_offer(session, handle="yoga", lessons=12, price=14900,
                           template={"release": "delays", "open_lessons": {"first": 6}})
    orders.create_order(ctx, {"contact_id": 1, "offer": "yoga-one_time"})
    orders.create_order(ctx, {"contact_id": 1, "offer": "yoga-one_time", "price": 9900,
                              "payment": "pending"})


@pytest.fixture(scope="session")
def snapshot_template(tmp_path_factory, sqlite_template):
    path = tmp_path_factory.mktemp("snap") / "snapshot.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    with time_machine.travel(FROZEN, tick=False):
        _seed(db)
    db.dispose()
    return path


@pytest.fixture
def frozen_clock():
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


@pytest.fixture(params=THEMES)
def theme(request, monkeypatch):
    """"ansi-dark" or "no-color"; the environment every app of the test is built in."""
    # The export dialog proposes a file in the home directory: one path on every machine.
    monkeypatch.setenv("KONTOR_EXPORT_DIR", "/home/agent")
    if request.param == "no-color":
        monkeypatch.setenv("NO_COLOR", "1")  # read (and removed) by App.__init__
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    return request.param


def build_app(theme: str, **kwargs):
    """KontorApp in the test's theme; construct it after the `theme` fixture set NO_COLOR."""
    from console.app import KontorApp

    return KontorApp(theme=None if theme == "no-color" else theme, **kwargs)


@pytest.fixture
def snapshot_db(tmp_path, snapshot_template):
    path = tmp_path / "kontor.db"
    shutil.copy(snapshot_template, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture
def kontor_app(theme, snapshot_db, frozen_clock):
    """A signed-in console (alice, admin) on a copy of the fixed database."""
    from core.services.operators import sign_in

    return build_app(theme, ctx=sign_in(snapshot_db, "alice"))


@pytest.fixture
def snap(snap_compare, kontor_app):
    """snap(*keys): drive the app from the contacts list with `keys`, compare at 80x24."""

    def compare(*keys: str) -> bool:
        return snap_compare(kontor_app, terminal_size=SIZE, run_before=drive(keys))

    return compare
