"""The one worker path (console/calls.run_service) and EntityChanged, at 80x24."""

from __future__ import annotations

import threading

from textual.screen import Screen
from textual.widgets import Input, Static

from console.calls import run_service
from console.screens.contact_card import ContactCard
from console.screens.contact_form import ContactForm
from console.screens.contacts import ContactsScreen
from console.widgets.windowed_table import WindowedTable
from core.services import contacts as contact_service
from tests.console.conftest import SIZE, settle, type_text


async def test_an_exception_in_on_done_reaches_the_user(admin_app):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = []
        pilot.app.notify = lambda message, **kw: shown.append((message, kw.get("title")))

        def broken(_result):
            raise RuntimeError("the callback broke")

        run_service(pilot.app.screen, lambda: 42, on_done=broken)
        await settle(pilot)
        assert shown and "the callback broke" in shown[-1][0]
        assert pilot.app.is_running  # the worker did not take the app down


class Probe(Screen):
    def compose(self):
        yield Static("probe")


async def test_a_result_for_a_popped_screen_is_dropped(admin_app):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        probe = Probe()
        await pilot.app.push_screen(probe)
        await pilot.pause()
        release = threading.Event()
        received, shown = [], []
        pilot.app.notify = lambda message, **kw: shown.append(message)

        def slow():
            release.wait(5)
            return "late"

        def done(value):
            received.append(value)
            probe.query_one(Static).update(value)  # would fail on an unmounted screen

        run_service(probe, slow, on_done=done)
        pilot.app.pop_screen()
        await pilot.pause()
        release.set()
        await settle(pilot)
        assert received == [] and shown == []
        assert isinstance(pilot.app.screen, ContactsScreen)


async def test_editing_a_contact_from_the_card_refreshes_the_list_behind_it(admin_app):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = pilot.app.screen.query_one(WindowedTable)
        first = table.current_row
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactCard)
        await pilot.press("e")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, ContactForm)
        name = form.query(Input).first()
        name.value = ""
        name.focus()
        await type_text(pilot, "Aaron Renamed")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactCard)
        assert "Aaron Renamed" in str(pilot.app.screen.query_one("#card-title").render())
        history = pilot.app.screen.query_one("#history-table")
        assert any("Aaron Renamed" in str(c) for row in range(history.row_count)
                   for c in history.get_row_at(row))
        await pilot.press("h")  # the highlighted change, whole, under the history table
        await settle(pilot)
        detail = str(pilot.app.screen.query_one("#history-detail").render())
        assert "→ Aaron Renamed" in detail and "alice" in detail
        # The list behind the card already shows the new name, without ctrl+r.
        contacts = pilot.app.screen_stack[-2]
        assert isinstance(contacts, ContactsScreen)
        rows = [contacts.query_one(WindowedTable).row_at(i) for i in range(3)]
        assert any(r is not None and r.id == first.id and r.name == "Aaron Renamed"
                   for r in rows)
        assert contact_service.get_contact(pilot.app.ctx, first.id).name == "Aaron Renamed"
