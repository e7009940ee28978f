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
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


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


async def test_the_first_contacts_show_before_the_services_and_the_list_takes_them_over(seeded):
    """On SQLite the list shows the first rows (core/first_window.py) while `connect` is
    still importing the services; areas and writes wait; a search typed meanwhile runs once
    the database is open, and the count follows."""
    from console.screens.contacts import NEWEST_FIRST, ContactSource
    from console.widgets.paging import PAGE
    from console.widgets.windowed_table import WindowedTable
    from core.first_window import read_first_window
    from core.services import contacts as contact_service

    assert NEWEST_FIRST == contact_service.NEWEST_FIRST
    alice = sign_in(seeded, "alice")
    first_name = contact_service.list_contacts(alice, "")[0].name
    giul = contact_service.list_contacts(alice, "giul")[0].name
    release = threading.Event()

    def connect(progress):
        release.wait(10)
        return sign_in(seeded, "alice")

    app = KontorApp(connect=connect, preview=lambda: read_first_window(seeded.url, "alice", PAGE))
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(40):
            if type(app.screen).__name__ == "ContactsScreen":
                break
            await pilot.pause(0.05)
        await pilot.pause()
        screen = app.screen
        table = screen.query_one(WindowedTable)
        assert app.ctx is None and screen.ctx is None
        assert table.row_at(0).name == first_name and table.total == PAGE
        assert not table.counted and "Counting" in str(screen.query_one("#status").render())
        assert screen.sub_title == "alice (admin)"
        await pilot.press("down", "2", "n", "enter")  # no area, form or card without the db
        assert app.current_mode == "contacts" and app.screen is screen
        assert table.cursor == 1
        await pilot.press("slash", "g", "i", "u", "l")
        release.set()
        await settle(pilot)
        assert app.ctx is not None and screen.ctx is app.ctx
        assert isinstance(table._source, ContactSource) and table._source.query == "giul"
        assert table.counted and table.row_at(0).name == giul
        await pilot.press("escape", "escape")
        await pilot.pause(0.3)  # the cleared search follows after SEARCH_DELAY
        await settle(pilot)
        assert table.counted and table.total == 303 and table.row_at(0).name == first_name
        await pilot.press("2")
        await settle(pilot)
        assert app.current_mode == "plans"


async def test_the_preview_rows_stay_and_the_count_comes_when_the_database_is_open(seeded):
    from console.widgets.paging import PAGE
    from console.widgets.windowed_table import WindowedTable
    from core.first_window import read_first_window

    release = threading.Event()

    def connect(progress):
        release.wait(10)
        return sign_in(seeded, "alice")

    app = KontorApp(connect=connect, preview=lambda: read_first_window(seeded.url, "alice", PAGE))
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(40):
            if type(app.screen).__name__ == "ContactsScreen":
                break
            await pilot.pause(0.05)
        await pilot.pause()
        table = app.screen.query_one(WindowedTable)
        first = table.row_at(0)
        release.set()
        await settle(pilot)
        assert table.row_at(0) is first  # kept, not fetched again
        assert table.counted and table.total == 303
        assert "303 contacts" in str(app.screen.query_one("#status").render())
        await pilot.press("n")
        await settle(pilot)
        assert type(app.screen).__name__ == "ContactForm"


def test_opening_the_console_parses_without_the_commands_but_commands_still_parse():
    import subprocess

    code = ("import sys; from console.cli.main import _parse; "
            "a = _parse(['--db', 'x.db', '--theme', 'ansi-dark']); "
            "assert (a.db, a.theme, a.command) == ('x.db', 'ansi-dark', None); "
            "sys.exit('console.cli.plans' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
    from console.cli.main import _parse

    args = _parse(["--db", "x.db", "contacts", "search", "anna", "--json"])
    assert args.command == "contacts" and args.db == "x.db"
