"""Account settings at 80x24: reachable from operators (9, s) and the palette; admins edit,
a bad value is refused next to the input, viewers only read."""

from __future__ import annotations

from textual.widgets import DataTable

from console.screens.operators import OperatorsScreen
from console.screens.settings import SettingForm, SettingsScreen
from core.services import settings as settings_service
from core.services.operators import sign_in
from tests.console.conftest import SIZE, settle, type_text


async def open_settings(pilot) -> SettingsScreen:
    await settle(pilot)
    await pilot.press("9")
    await settle(pilot)
    assert isinstance(pilot.app.screen, OperatorsScreen)
    await pilot.press("s")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SettingsScreen)
    return screen


async def test_admin_sets_the_default_vat_and_a_bad_value_is_refused_inline(admin_app, seeded):
    async with admin_app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        table = screen.query_one(DataTable)
        assert table.row_count == 5  # core.services.settings.KEYS
        await pilot.press("down", "down")  # default_vat
        await pilot.press("e")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, SettingForm) and form.setting.key == "default_vat"
        await pilot.press("end", "ctrl+u")
        await type_text(pilot, "1.5")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form
        assert "fraction" in str(form.query_one("#error-value").render())
        await pilot.press("end", "ctrl+u")
        await type_text(pilot, "0.19")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SettingsScreen)
        assert "0.19" in str(table.get_row("default_vat")[1])
    ctx = sign_in(seeded, "alice")
    assert str(settings_service.get_setting(ctx, "default_vat").value) == "0.19"


async def test_viewer_reads_the_settings_but_cannot_edit(viewer_app, seeded):
    async with viewer_app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        assert screen.query_one(DataTable).row_count == 5
        await pilot.press("e")
        await settle(pilot)
        assert pilot.app.screen is screen


async def test_the_palette_opens_the_settings(admin_app):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "Account settings")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SettingsScreen)
