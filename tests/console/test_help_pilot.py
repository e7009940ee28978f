"""Help (issue 9, item 10): F1 everywhere, every key of the screen, the screen's name."""

from __future__ import annotations

from console.app import KontorApp
from console.screens.contact_form import ContactForm
from console.screens.help import HelpScreen
from core.services.operators import sign_in
from tests.console.conftest import SIZE, settle
from tests.console.test_subscriptions_pilot import billed, open_annas_subscription  # noqa: F401


def _rows(pilot) -> dict[str, str]:
    screen = pilot.app.screen
    assert isinstance(screen, HelpScreen)
    return {d: k for k, d in screen.rows}


async def test_f1_inside_a_form_field_opens_help_and_types_nothing(admin_app):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, ContactForm)
        field = pilot.app.focused
        before = field.value
        await pilot.press("f1")
        await settle(pilot)
        help_screen = pilot.app.screen
        assert isinstance(help_screen, HelpScreen)
        assert help_screen.title_text == "Keys — Contact"  # the screen's name, no class name
        await pilot.press("f1")  # F1 again closes it
        await settle(pilot)
        assert pilot.app.screen is form and field.value == before


async def test_subscription_help_lists_u_and_r_and_no_table_internals(billed):  # noqa: F811
    app = KontorApp(sign_in(billed, "alice"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_annas_subscription(pilot)
        await pilot.press("f1")
        await settle(pilot)
        rows = _rows(pilot)
        assert rows["Withdraw the pending cancellation  (not available now)"] == "u"
        assert rows["Reactivate a held subscription  (not available now)"] == "r"
        assert pilot.app.screen.title_text == "Keys — Subscription"
        # Textual's own DataTable keys (cursor, page, select) are not Kontor's to explain.
        assert not any(d.lower().startswith(("cursor", "page", "select")) for d in rows)


async def test_card_help_gives_next_tab_its_key(admin_app):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        rows = _rows(pilot)
        assert rows["Next tab"] == "]" and rows["Previous tab"] == "["
        assert rows["History"] == "h" and rows["Edit this contact"] == "e"
        text = str(pilot.app.screen.query_one("#help Static").render())
        assert ("1 Contacts · 2 Plans · 3 Catalogue · 4 Orders · 5 Subscriptions · 6 Groups · "
                "7 Follow-up · 9 Operators") in text
        assert rows["Lock this contact (no content from any access) or lift the lock"] == "L"
