"""The console draws its start screen before the database is open, and keys typed meanwhile
are dropped rather than landing in the first screen."""

from __future__ import annotations

import sys
import threading

from console.app import KontorApp
from core.errors import DatabaseError
from core.services.operators import sign_in
from tests.console.conftest import SIZE, settle


async def test_start_screen_first_then_contacts_and_early_keys_are_dropped(seeded):
    release = threading.Event()
    steps = []

    def connect(progress):
        progress("Building the demo database: plans …")
        steps.append("connecting")
        release.wait(10)
        return sign_in(seeded, "alice")

    app = KontorApp(connect=connect)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _ in range(20):
            if steps:
                break
            await pilot.pause(0.05)
        await pilot.pause()
        assert type(app.screen).__name__ == "StartScreen"
        assert "plans" in str(app.screen.query_one("#start-progress").render())
        await pilot.press("slash", "m", "u", "e", "n")  # typed while the database opens
        await pilot.press("2", "n")  # an area key too: no plan list without a database
        assert type(app.screen).__name__ == "StartScreen"
        release.set()
        await settle(pilot)
        assert type(app.screen).__name__ == "ContactsScreen"
        assert app.screen.query_one("#search").value == ""
        assert app.ctx.operator == "alice"
        assert type(app.screen).__name__ != "ContactForm"


async def test_a_database_that_cannot_be_opened_ends_the_console_with_the_message(seeded):
    def connect(progress):
        raise DatabaseError("There is no database at /nowhere.db.")

    app = KontorApp(connect=connect)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    assert app.return_code == 1


def test_the_console_module_does_not_import_sqlalchemy():
    import subprocess

    code = ("import sys, console.app, console.screens.start, console.cli; "
            "console.cli.build_parser(); "
            "sys.exit('sqlalchemy' in sys.modules or 'pydantic' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


async def test_an_area_key_typed_while_the_database_opens_is_dropped(seeded):
    """`5` on the start screen opened the subscriptions area without a database: an English
    "AttributeError: 'NoneType' object has no attribute 'db'" instead of the list."""
    release = threading.Event()
    steps = []

    def connect(progress):
        steps.append("connecting")
        release.wait(10)
        return sign_in(seeded, "alice")

    app = KontorApp(connect=connect)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(20):
            if steps:
                break
            await pilot.pause(0.05)
        await pilot.press("5")
        await pilot.pause()
        release.set()
        await settle(pilot)
        assert type(app.screen).__name__ == "ContactsScreen"
        assert not [n for n in app._notifications if n.severity == "error"]
