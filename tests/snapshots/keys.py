"""Drive the console like a user: keys pressed one by one, the app settling after each.

A module of its own (not conftest.py) so that the tests and the fixtures share one `Type`."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tests.pilot import settle

KEY_NAME = re.compile(r"[a-z0-9_]+(\+[a-z0-9_]+)*")  # enter, f3, ctrl+s, question_mark


class Type(str):
    """A run of text typed key by key (a plain string in a key list is one key)."""


class Wait(float):
    """Seconds of a user's quiet pause in a key list: what lets a debounced search follow the
    typing (settling waits for work, never for timers)."""


def _steady_cursors(app) -> None:
    """Stop every blinking cursor, shown where focused: the blink timer would otherwise decide
    whether the cursor is in the picture."""
    for widget in app.screen.query("*"):
        if hasattr(widget, "cursor_blink") and hasattr(widget, "_cursor_visible"):
            widget.cursor_blink = False
            widget._cursor_visible = widget.has_focus


async def settle_for_picture(pilot) -> None:
    """What pytest-textual-snapshot waits for before its picture: animations done."""
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()


def drive(keys: Iterable[str]):
    """A `run_before` that presses `keys` like a user (a `Type` is typed character by
    character), letting the app settle after each, then steadies the cursors."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        for key in keys:
            if isinstance(key, Wait):
                await pilot.pause(float(key))
            elif isinstance(key, Type):
                await pilot.press(*["space" if c == " " else c for c in key])
            elif len(key) == 1 or KEY_NAME.fullmatch(key):
                await pilot.press(key)
            else:  # Textual would drop it silently and the picture would lie
                raise ValueError(f"{key!r} is not a key name: type text with Type({key!r})")
            await settle(pilot)
        _steady_cursors(pilot.app)
        await pilot.pause()

    return run_before

