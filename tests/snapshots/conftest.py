"""Snapshot fixtures: the console at 80x24 on a small fixed database under a frozen clock.

Every snapshot is taken twice, with the `ansi-dark` theme and with NO_COLOR=1 (the default
theme through the NO_COLOR filter): `snap(*keys)` drives one app with `ansi-dark`, takes that
picture, then switches the app to what NO_COLOR=1 at start gives (`to_no_color`) and takes the
second one, so a screen is driven once for both (test_no_color_switch.py proves the switched
picture equals the one of an app started with NO_COLOR=1). The clock is frozen with time-machine (datetime.now,
date.today, time.time); time.monotonic is not frozen, so Textual's timers and the asyncio loop
still run. Regenerate after a deliberate change of the screens:

    python3 dev.py test tests/snapshots --snapshot-update
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest
import time_machine
from pytest_textual_snapshot import SVGImageExtension

from core.db import Database
from tests.snapshots.keys import drive, settle_for_picture

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


@pytest.fixture
def plain_env(monkeypatch):
    """The environment of a snapshot app: NO_COLOR unset (`snap` switches to it itself)."""
    monkeypatch.setenv("KONTOR_EXPORT_DIR", "/home/agent")  # one export path everywhere
    monkeypatch.delenv("NO_COLOR", raising=False)


def to_no_color(app) -> None:
    """Switch a running app to what NO_COLOR=1 at start gives it: the default theme seen
    through the NoColor filter (console/app.py replaces Textual's Monochrome by it)."""
    from textual.filter import NoColor

    app.no_color = True
    app._filters.append(NoColor())
    app.theme = "textual-dark"  # the default theme: `kontor` without --theme


def shoot_both(app, keys) -> tuple[str, str]:
    """Run `app` at 80x24, press `keys` like a user, return the `ansi-dark` picture and the
    NO_COLOR picture of the same moment."""
    press = drive(keys)
    title = app.title  # as pytest-textual-snapshot: the title before the app runs

    async def pictures(pilot) -> None:
        await press(pilot)
        await settle_for_picture(pilot)
        dark = app.export_screenshot(title=title, simplify=True)
        to_no_color(app)
        await settle_for_picture(pilot)
        app.exit((dark, app.export_screenshot(title=title, simplify=True)))

    return app.run(headless=True, auto_pilot=pictures, size=SIZE)


@pytest.fixture
def svg_snapshot(snapshot):
    return snapshot.use_extension(SVGImageExtension)


def _report(request, expected: str, existed: bool, actual: str, passed: bool) -> None:
    """What pytest-textual-snapshot's snap_compare leaves for its snapshot_report.html (the
    old and the new picture side by side): one picture per test, the first that differs."""
    import inspect
    import pickle

    from pytest_textual_snapshot import PseudoApp, PseudoConsole, node_to_report_path

    node = request.node
    full_path, line_number, name = node.reportinfo()
    data = (passed, expected, actual, PseudoApp(PseudoConsole(False, SIZE)), full_path,
            line_number, name, inspect.getdoc(node.function) or "", "", existed)
    node_to_report_path(node).write_bytes(pickle.dumps(data))


@pytest.fixture
def snap_both(svg_snapshot, request):
    """snap_both(app, *keys): both pictures of `app` after `keys`, compared with the stored
    `[ansi-dark]` and `[no-color]` SVGs of the test."""

    def compare(app, *keys: str) -> bool:
        dark, plain = shoot_both(app, keys)
        # Both compared (and, with --snapshot-update, both written) before the verdict.
        results = []
        for name, svg in (("ansi-dark", dark), ("no-color", plain)):
            assertion = svg_snapshot(name=name)  # the same object, pointed at this picture
            same = assertion == svg
            stored = assertion.executions.get(assertion.num_executions - 1)
            existed = bool(stored and stored.final_data is not None)
            results.append((same, str(assertion), existed, svg))
        failed = [r for r in results if not r[0]]
        same, expected, existed, svg = failed[0] if failed else results[0]
        _report(request, expected, existed, svg, same)
        return not failed

    return compare


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
def kontor_app(plain_env, snapshot_db, frozen_clock):
    """A signed-in console (alice, admin, `ansi-dark`) on a copy of the fixed database."""
    from core.services.operators import sign_in

    return build_app("ansi-dark", ctx=sign_in(snapshot_db, "alice"))


@pytest.fixture
def snap(snap_both, kontor_app):
    """snap(*keys): drive the app from the contacts list with `keys`, compare both pictures
    at 80x24."""

    def compare(*keys: str) -> bool:
        return snap_both(kontor_app, *keys)

    return compare
