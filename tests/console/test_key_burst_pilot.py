"""Keys typed while a screen opens land where they would have landed on an open screen
(issue 9 item 9): a burst such as `n`, Tab, letters on the plan list, with no pause between
them, is queued until the form is ready and replayed in order."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from console.app import KontorApp
from console.screens.plan.form import PlanForm
from console.screens.plans import PlanListScreen
from core.services.operators import sign_in
from tests.console.conftest import SIZE, settle


async def burst(pilot, *keys: str) -> None:
    """Send `keys` as a terminal delivers a fast typist's (or a paste's) keys: all at once,
    in one read, none waiting for the screen the first one opens (`pilot.press` waits until
    the app is idle after every key, so it hides the race)."""
    from textual import events

    driver = pilot.app._driver
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(pilot.app)
        driver.send_message(event)
    await settle(pilot)


@pytest.fixture
def admin(seeded):
    return sign_in(seeded, "alice")


async def test_a_burst_after_n_on_the_plan_list_lands_in_the_field_tab_reaches(admin):
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PlanListScreen)
        await burst(pilot, "n", "tab", "x", "y")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, PlanForm)
        values = {name: form.query_one(f"#input-{name}", Input).value
                  for name in ("name", "handle")}
        assert values == {"name": "", "handle": "xy"}



async def test_a_burst_after_a_on_the_contact_card_types_into_the_forms_first_field(admin):
    from console.screens.subscription import NewSubscriptionForm

    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        pilot.app.screen.query_one("#search", Input).value = "oliver.smith@"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # the card
        await settle(pilot)
        await burst(pilot, "a", "s", "t", "a", "r")
        form = pilot.app.screen
        assert isinstance(form, NewSubscriptionForm)
        assert form.row("plan").raw == "star"
        assert pilot.app.focused is form.row("plan").control


async def test_a_query_typed_while_the_plan_list_opens_is_kept(admin):
    """The list fills its query line when its settings arrive: keys typed before wait."""
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await burst(pilot, "2", "slash", "g", "o", "l", "d")
        screen = pilot.app.screen
        assert isinstance(screen, PlanListScreen)
        assert screen.query_one("#plan-query", Input).value == "gold"
        assert pilot.app.focused is screen.query_one("#plan-query", Input)


async def test_a_screen_that_never_says_it_is_ready_gets_its_keys_after_the_limit(
        admin, monkeypatch):
    from textual.screen import Screen

    import console.keys

    # Long while the held keys are looked at (a loaded machine must not release them early),
    # then reached: the limit is read on every look.
    monkeypatch.setattr(console.keys, "HOLD_LIMIT", 60)

    class Stuck(Screen):
        def __init__(self):
            super().__init__()
            self.keys_ready = False  # and it never calls ready_for_keys

        def compose(self):
            yield Input(id="stuck")

    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.app.push_screen(Stuck())
        await settle(pilot)
        await burst(pilot, "o", "k")
        field = pilot.app.screen.query_one("#stuck", Input)
        assert field.value == ""  # held
        monkeypatch.setattr(console.keys, "HOLD_LIMIT", 0.0)
        await pilot.pause(0.1)
        await settle(pilot)
        assert field.value == "ok"
