"""Admins manage operators from the keyboard; others only look."""

from __future__ import annotations

from textual.widgets import DataTable

from console.screens.operators import OperatorForm, OperatorsScreen
from core.services.operators import add_operator, list_operators, sign_in
from tests.console.conftest import SIZE, settle, type_text


async def test_admin_adds_an_agent(admin_app, seeded):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("9")
        await settle(pilot)
        assert isinstance(pilot.app.screen, OperatorsScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, OperatorForm)
        await type_text(pilot, "bob")
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, OperatorsScreen)
        assert screen.query_one(DataTable).row_count == 2
    roles = {o.login: o.role for o in list_operators(sign_in(seeded, "alice"))}
    assert roles == {"alice": "admin", "bob": "agent"}


async def test_bad_login_is_refused_next_to_the_field(admin_app, seeded):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("9")
        await settle(pilot)
        await pilot.press("n")
        await type_text(pilot, "bad login")
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, OperatorForm)
        assert "login" in str(form.query_one("#error-login").render()).lower()
    assert len(list_operators(sign_in(seeded, "alice"))) == 1


async def test_viewer_sees_operators_but_cannot_add(viewer_app):
    async with viewer_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("9")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, OperatorsScreen)


async def test_j_and_k_move_through_the_operators(admin_app, seeded):
    add_operator(sign_in(seeded, "alice"), {"login": "bob", "role": "agent"})
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("9")
        await settle(pilot)
        table = pilot.app.screen.query_one(DataTable)
        assert table.cursor_row == 0
        await pilot.press("j")
        assert table.cursor_row == 1
        await pilot.press("k")
        assert table.cursor_row == 0
        await pilot.press("G")
        assert table.cursor_row == 1
        await pilot.press("g")
        assert table.cursor_row == 0
