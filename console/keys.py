"""Keys are dispatched one at a time, and keys typed while a screen opens wait for it.

A terminal delivers a fast typist's keys (or a paste) in one read: `n`, Tab, `x`, `y` reach
the app together. Textual hands each to the widget focused at the moment the app reads it,
before the key in front of it has done its work: Tab and the letters go to the plan list that
`n` is about to leave (they are lost), or into the field an earlier Tab is about to leave.

`KeyHold` (mixed into the app) therefore lets a key through only once the one before it has
been delivered: every message pump it passed through (the app, the widget it was forwarded to
and each ancestor it bubbled to, the app again for its bindings) has handled it — a callback
queued behind it on each of them has run, so nothing is timed or guessed. Keys that arrive
meanwhile wait, in order. Keys also wait while the current screen is not ready: until it is
mounted, or, for a screen that says `keys_ready = False` (FormScreen and the plan form until
they are focused, the plan list until its settings and views are shown), until it calls
`ready_for_keys(self)`. A screen that takes longer than HOLD_LIMIT seconds gets its keys
anyway, so no key is held for ever. A screen with `drops_keys = True` (the start screen, while
the database opens) swallows every key: there is no area to switch to yet.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from textual import events
from textual._context import NoActiveAppError
from textual.app import ScreenStackError

HOLD_LIMIT = 3.0  # seconds a screen may take before the held keys go to it regardless
DELIVERY_LIMIT = 1.0  # seconds one message pump may take to reach a key (a closed one never)
POLL = 0.01  # how often a key waiting for a screen looks again


def keys_ready(screen: Any) -> bool:
    """Whether `screen` takes keys now: its own say (`keys_ready`), else once it is mounted."""
    if screen is None:
        return True
    ready = getattr(screen, "keys_ready", None)
    return bool(screen.is_mounted) if ready is None else bool(ready)


def _current(app: Any) -> Any:
    try:
        return app.screen
    except ScreenStackError:  # no screen (the app is closing): nothing to wait for
        return None


def _focused(app: Any) -> Any:
    """Where the app sends a key now: the focused widget, else the screen (None: closing)."""
    try:
        return app.focused or app.screen
    except ScreenStackError:
        return None


def ready_for_keys(screen: Any) -> None:
    """`screen` is ready for keys, once the focus it asked for (Textual applies a focus call
    through the app's queue) is set; the keys typed meanwhile follow."""

    def mark() -> None:
        screen.keys_ready = True

    try:
        screen.app.call_later(mark)
    except NoActiveAppError:  # no app (a screen built outside one): nothing is held for it
        screen.keys_ready = True


async def _handled(node: Any) -> None:
    """Until `node` has handled every message queued on it so far."""
    done = asyncio.get_running_loop().create_future()

    def mark() -> None:
        if not done.done():
            done.set_result(None)

    if not node.call_later(mark):  # closed: nothing more will happen there
        return
    try:
        await asyncio.wait_for(done, DELIVERY_LIMIT)
    except TimeoutError:
        pass


class KeyHold:
    """App mixin: one key at a time, each after the one before it was delivered."""

    _replaying: events.Key | None = None
    _pump: asyncio.Task | None = None

    @property
    def _held(self) -> list[events.Key]:
        return self.__dict__.setdefault("_held_keys", [])

    @property
    def keys_pending(self) -> bool:
        """Keys are held for a screen that is not ready, or still on their way."""
        return bool(self._held) or self._pump is not None

    def _hold_key(self, event: events.Event) -> bool:
        """True when `event` (a fresh key) is held (or dropped) instead of dispatched now."""
        if not isinstance(event, events.Key) or event.is_forwarded:
            return False
        if event is self._replaying:
            self._replaying = None
            return False
        screen = _current(self)
        if getattr(screen, "drops_keys", False):
            return True  # the start screen: nothing there to type into, no area to open yet
        if not self._held and self._pump is None and keys_ready(screen):
            # Dispatched now; the next key waits until this one has arrived where it goes.
            self._start(_focused(self))
            return False
        self._held.append(event)  # behind the keys already waiting: their order is kept
        self._start(None)
        return True

    def _start(self, target: Any) -> None:
        if self._pump is None:
            self._pump = asyncio.create_task(self._deliver(target))

    async def _delivered(self, target: Any) -> None:
        """Until the key the app is dispatching to `target` has gone all the way."""
        await _handled(self)  # the app has read it and forwarded it to `target`
        if target is not None and target is not self:
            for node in target.ancestors_with_self:  # the widget, what it bubbled to, the app
                await _handled(node)

    async def _deliver(self, first_target: Any) -> None:
        try:
            if first_target is not None:
                await self._delivered(first_target)
            held = self._held
            while held:
                await self._until_ready()
                event = held.pop(0)
                target = _focused(self)
                self._replaying = event
                self.post_message(event)
                await self._delivered(target)
        finally:
            self._pump = None

    async def _until_ready(self) -> None:
        start = time.monotonic()
        while not keys_ready(screen := _current(self)):
            if time.monotonic() - start > HOLD_LIMIT:
                screen.keys_ready = True  # it never said so: better late than lost
                return
            await asyncio.sleep(POLL)


__all__ = ["HOLD_LIMIT", "KeyHold", "keys_ready", "ready_for_keys"]
