"""A new search cancels the previous one's queries; control characters typed into the search
find what the text without them finds; a cancelled search shows no error."""

from __future__ import annotations

from textual.widgets import Input

from console.screens.contacts import ContactsScreen
from console.widgets.windowed_table import WindowedTable
from tests.console.conftest import SIZE, settle, type_text


async def test_each_search_cancels_the_previous_one(admin_app):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ContactsScreen)
        first = screen._source
        screen.apply_search("giulia")
        second = screen._source
        screen.apply_search("giulia.rossi@ex")
        await settle(pilot)
        assert first.token.cancelled and second.token.cancelled
        assert not screen._source.token.cancelled
        table = screen.query_one(WindowedTable)
        assert table.total == 1 and table.current_row.name == "Giulia Rossi"
        assert not pilot.app._notifications  # the cancelled searches said nothing


async def test_control_characters_typed_into_the_search_are_ignored(admin_app):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "giulia.rossi@ex")
        search = pilot.app.screen.query_one("#search", Input)
        search.value = "giulia\x1b.rossi\x00@ex"  # pasted with an escape and a NUL
        await pilot.press("enter")
        await settle(pilot)
        table = pilot.app.screen.query_one(WindowedTable)
        assert table.total == 1 and table.current_row.name == "Giulia Rossi"
