"""Drive the console like a user: keys pressed one by one, the app settling after each.

A module of its own (not conftest.py) so that the tests and the fixtures share one `Type`."""

from __future__ import annotations

import re
from collections.abc import Iterable

KEY_NAME = re.compile(r"[a-z0-9_]+(\+[a-z0-9_]+)*")  # enter, f3, ctrl+s, question_mark


class Type(str):
    """A run of text typed key by key (a plain string in a key list is one key)."""


class Wait(float):
    """Seconds of a user's quiet pause in a key list: what lets a debounced search follow the
    typing (settling waits for work, never for timers)."""


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and their results reach the widgets (results may start new work).
    Done early when a pause (every message handled, the process idle) leaves no worker
    started, ended or running and no key held: nothing is then left to arrive but timers."""
    for _ in range(rounds):
        before = _worker_states(pilot.app)
        await pilot.pause()
        if _quiet(before, _worker_states(pilot.app)) and not _keys_pending(pilot.app):
            return
        await pilot.app.workers.wait_for_complete()
    if getattr(pilot.app, "keys_pending", False):
        await _until_keys_arrived(pilot)
        if not getattr(pilot.app, "keys_pending", False):
            await settle(pilot, rounds)  # what the keys started
            return
    await pilot.pause()


def _worker_states(app) -> dict:
    return {id(w): w.state.name for w in app.workers}


def _quiet(before: dict, after: dict) -> bool:
    """No worker started, ended or running across a pause: nothing more will arrive."""
    return before == after and not any(s in ("PENDING", "RUNNING") for s in after.values())


def _keys_pending(app) -> bool:
    """Keys held for a screen that is not ready yet (console/keys.py) are still to arrive."""
    return getattr(app, "keys_pending", False)


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


async def _until_keys_arrived(pilot, limit: float = 2.0) -> None:
    """Keys held for a screen that is still getting ready (console/keys.py) arrive when it
    is: wait for that (a screen that never says so gets them after HOLD_LIMIT)."""
    import time

    deadline = time.monotonic() + limit
    while getattr(pilot.app, "keys_pending", False) and time.monotonic() < deadline:
        await pilot.pause(0.01)
