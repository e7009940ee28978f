"""Keyboard journeys through the contacts area at 80x24, as a support agent drives them."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import Button, DataTable, Input, Static

from console.screens.contact_card import ContactCard
from console.screens.contact_form import ContactForm
from console.screens.contacts import ContactsScreen
from console.screens.help import HelpScreen
from console.widgets.confirm import ConfirmDialog
from console.widgets.windowed_table import WindowedTable
from core.services import contacts as contact_service
from core.services.operators import add_operator, sign_in
from tests.console.conftest import SIZE, settle, type_text


async def search(pilot, text: str) -> WindowedTable:
    await pilot.press("slash")
    await type_text(pilot, text)
    await pilot.press("enter")
    await settle(pilot)
    return pilot.app.screen.query_one(WindowedTable)


async def test_search_by_email_fragment_finds_the_contact(admin_app):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = pilot.app.screen.query_one(WindowedTable)
        assert table.total == 303
        table = await search(pilot, "giulia.rossi@ex")
        assert table.total == 1
        assert table.current_row.name == "Giulia Rossi"
        status = str(pilot.app.screen.query_one("#status", Static).render())
        assert "1 match" in status
        assert table.has_focus  # enter moved focus from the search to the list


async def test_search_as_you_type_follows_after_a_pause(admin_app):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "oliver.smith@")
        await pilot.pause(0.3)
        await settle(pilot)
        table = pilot.app.screen.query_one(WindowedTable)
        assert table.total == 1 and table.current_row.name == "Oliver Smith"
        await pilot.press("escape", "escape")  # leave the field, then clear the search
        await settle(pilot)
        assert table.total == 303


async def test_list_moves_by_keyboard_and_fetches_only_windows(admin_app):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = pilot.app.screen.query_one(WindowedTable)
        await pilot.press("G")
        await settle(pilot)
        assert table.cursor == 302 and table.current_row is not None
        await pilot.press("g", "j", "j", "k")
        assert table.cursor == 1
        await pilot.press("pagedown")
        assert table.cursor > 1
        assert len(table._pages) <= 3  # never the whole table


async def test_open_card_shows_overview_and_history(admin_app):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search(pilot, "anna.mueller@example")
        await pilot.press("enter")
        await settle(pilot)
        card = pilot.app.screen
        assert isinstance(card, ContactCard)
        assert "Anna Müller" in str(card.query_one("#card-title", Static).render())
        assert "Bought the group licence" in str(card.query_one("#overview-body").render())
        await pilot.press("h")
        history = card.query_one("#history-table", DataTable)
        assert history.row_count == 1
        assert "created" in str(history.get_row_at(0)[2])
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactsScreen)


async def test_create_with_bad_email_shows_error_and_saves_nothing(admin_app, seeded):
    ctx = sign_in(seeded, "alice")
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, ContactForm)
        await type_text(pilot, "Marta Neri")
        await pilot.press("tab")
        await type_text(pilot, "marta@nowhere")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form  # still open
        error = str(form.query_one("#error-email", Static).render())
        assert "not a valid email address" in error
        assert form.query_one("#input-email", Input).has_focus
    assert contact_service.count_contacts(ctx, "marta") == 0


async def test_create_then_open_the_new_card(admin_app, seeded):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await type_text(pilot, "Marta Neri")
        await pilot.press("tab")
        await type_text(pilot, "marta.neri@example.it")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactCard)
    ctx = sign_in(seeded, "alice")
    assert [r.name for r in contact_service.list_contacts(ctx, "marta.neri")] == ["Marta Neri"]


async def test_edit_on_the_card_saves_and_history_shows_the_change(admin_app, seeded):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search(pilot, "giulia.rossi@")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("tab", "tab", "ctrl+u")  # to Phone, clear it
        await type_text(pilot, "+39 06 1111111")
        await pilot.press("ctrl+s")
        await settle(pilot)
        card = pilot.app.screen
        assert isinstance(card, ContactCard)
        assert "+39 06 1111111" in str(card.query_one("#overview-body").render())
        await pilot.press("h")
        what = str(card.query_one("#history-table", DataTable).get_row_at(0)[2])
        assert "phone: +39 06 7654321 → +39 06 1111111" in what


async def test_conflicting_edit_from_a_second_session_is_refused(admin_app, seeded):
    bob = None
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search(pilot, "oliver.smith@")
        await pilot.press("e")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, ContactForm)
        # Meanwhile Bob, in his own session, saves the same contact.
        alice = sign_in(seeded, "alice")
        add_operator(alice, {"login": "bob", "role": "agent"})
        bob = sign_in(seeded, "bob")
        c = contact_service.get_contact(bob, form.contact.id)
        contact_service.update_contact(bob, c.id, {"name": c.name, "email": c.email,
                                                   "phone": "+44 20 0000000"},
                                       expected_version=c.version)
        await pilot.press("tab", "tab", "ctrl+u")
        await type_text(pilot, "+44 20 9999999")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form
        banner = str(form.query_one("#form-banner", Static).render())
        assert "changed by bob" in banner
        await pilot.press("ctrl+r")  # load Bob's version
        await settle(pilot)
        assert form.query_one("#input-phone", Input).value == "+44 20 0000000"
    saved = contact_service.get_contact(bob, c.id)
    assert saved.phone == "+44 20 0000000"  # Bob's change was not overwritten


async def test_delete_asks_first_with_no_focused(admin_app, seeded):
    ctx = sign_in(seeded, "alice")
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search(pilot, "oliver.smith@")
        await pilot.press("d")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert isinstance(pilot.app.focused, Button) and pilot.app.focused.id == "no"
        await pilot.press("enter")  # "No"
        await settle(pilot)
        assert contact_service.count_contacts(ctx, "oliver.smith@") == 1
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactsScreen)
    assert contact_service.count_contacts(ctx, "oliver.smith@") == 0


async def test_viewer_cannot_edit_create_or_delete(viewer_app):
    async with viewer_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        for key in ("e", "n", "d"):
            await pilot.press(key)
            await settle(pilot)
            assert pilot.app.screen is screen
        assert screen.check_action("edit", ()) is None  # shown disabled in the footer
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactCard)  # the card opens read-only


async def test_help_lists_the_keys_of_the_screen(admin_app):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        help_screen = pilot.app.screen
        assert isinstance(help_screen, HelpScreen)
        text = "\n".join(f"{k} {d}" for k, d in help_screen.rows)
        for expected in ("New contact", "Search contacts", "Delete the selected contact",
                         "Copy the contact's id"):
            assert expected in text
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, ContactsScreen)


async def test_palette_runs_screen_actions(admin_app):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(pilot.app.screen, CommandPalette)
        await type_text(pilot, "new contact")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactForm)


async def test_colon_opens_the_palette_and_number_keys_switch_areas(admin_app):
    from console.screens.operators import OperatorsScreen

    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("9")
        await settle(pilot)
        assert isinstance(pilot.app.screen, OperatorsScreen)
        await pilot.press("1")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactsScreen)
        await pilot.press("colon")
        await settle(pilot)
        assert isinstance(pilot.app.screen, CommandPalette)


async def test_cursor_row_is_marked_without_colour(admin_app, monkeypatch):
    """Reverse video marks the cursor: it survives 16 colours and NO_COLOR."""
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = pilot.app.screen.query_one(WindowedTable)
        await pilot.press("j")
        cursor_line = table.render_line(1)
        other_line = table.render_line(0)
        assert any(seg.style and seg.style.reverse for seg in cursor_line)
        assert not any(seg.style and seg.style.reverse for seg in other_line)


async def test_palette_offers_commands_not_cursor_moves(admin_app):
    from console.commands_palette import KontorCommands

    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        provider = KontorCommands(screen)
        labels = [label for label, _help, _cb in provider._commands()]
        assert "New contact" in labels and "Go to plans" in labels
        assert not any(label.startswith("Cursor") or label in ("Down", "Up")
                       for label in labels)


async def test_history_lists_each_changed_field_on_its_own_row(admin_app, seeded):
    ctx = sign_in(seeded, "alice")
    [row] = contact_service.list_contacts(ctx, "giulia.rossi@")
    c = contact_service.get_contact(ctx, row.id)
    contact_service.update_contact(ctx, c.id, {"name": "Giulia Rossi-Bianchi",
                                               "email": "giulia.rb@example.it",
                                               "phone": c.phone, "language": c.language,
                                               "tags": c.tags, "notes": c.notes},
                                   expected_version=c.version)
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search(pilot, "giulia.rb@")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("h")
        history = pilot.app.screen.query_one("#history-table", DataTable)
        rows = [history.get_row_at(i) for i in range(history.row_count)]
        assert [str(r[2]) for r in rows[:2]] == [
            "edited: name: Giulia Rossi → Giulia Rossi-Bianchi",
            "edited: email: giulia.rossi@example.it → giulia.rb@example.it"]
        assert str(rows[1][0]) == "" and str(rows[2][2]) == "created"


async def test_slash_on_the_card_searches_and_a_typed_e_does_not_edit(admin_app):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactCard)
        await pilot.press("slash")
        await type_text(pilot, "emma")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ContactsScreen)  # not the contact form
        assert screen.query_one("#search", Input).value == "emma"
