"""The shared form layer (console/forms): what every form does because FormScreen does it."""

from __future__ import annotations

from textual.widgets import Button, Input

from console.forms import FieldSpec, FormScreen
from console.screens.help import HelpScreen
from console.screens.operators import OperatorForm, OperatorsScreen
from console.widgets.confirm import ConfirmDialog
from core.services.operators import list_operators, sign_in
from tests.console.conftest import SIZE, settle, type_text


async def _open_new_operator(pilot) -> OperatorForm:
    await settle(pilot)
    await pilot.press("9")
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    assert isinstance(pilot.app.screen, OperatorForm)
    return pilot.app.screen


async def test_esc_closes_an_unchanged_form_at_once(admin_app):
    async with admin_app.run_test(size=SIZE) as pilot:
        await _open_new_operator(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, OperatorsScreen)


async def test_esc_on_a_changed_form_asks_with_no_focused(admin_app, seeded):
    async with admin_app.run_test(size=SIZE) as pilot:
        await _open_new_operator(pilot)
        await type_text(pilot, "carol")
        await pilot.press("escape")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert isinstance(dialog.focused, Button) and dialog.focused.id == "no"
        await pilot.press("enter")  # No: back to the form, the typing kept
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, OperatorForm)
        assert form.query_one("#input-login", Input).value == "carol"
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(pilot.app.screen, OperatorsScreen)
    assert [o.login for o in list_operators(sign_in(seeded, "alice"))] == ["alice"]


async def test_ctrl_s_saves_from_inside_an_input_and_f1_opens_help_there(admin_app, seeded):
    async with admin_app.run_test(size=SIZE) as pilot:
        form = await _open_new_operator(pilot)
        await type_text(pilot, "dave")
        assert isinstance(form.focused, Input)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is form
        assert form.query_one("#input-login", Input).value == "dave"  # F1 typed nothing
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, OperatorsScreen)
    assert {o.login for o in list_operators(sign_in(seeded, "alice"))} == {"alice", "dave"}


def test_a_field_declares_its_kind():
    money = FieldSpec("price", "Price", "money", currency="JPY")
    assert money.value_of("1,000") == 1000 and money.shown_value(1000) == "1,000"  # locale-grouped
    assert FieldSpec("on", "On", "switch").shown_value(None) is False
    try:
        FieldSpec("x", "X", "select")
    except ValueError as exc:
        assert "needs choices" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("a select without choices was accepted")
    assert issubclass(OperatorForm, FormScreen)
