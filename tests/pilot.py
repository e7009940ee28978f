"""Settling a Textual pilot: one definition for the pilot tests and the snapshots."""

from __future__ import annotations

import time


async def settle(pilot, rounds: int = 4) -> None:
    """Let workers finish and their results reach the widgets (results may start new work).

    Done early when a pause (every message handled, the process idle) leaves no worker
    started, ended or running and no key held: nothing is then left to arrive but timers
    (a debounce is waited for by the test itself). A flow waiting for a dialog's answer
    (console/calls.py `run_flow`) finishes only when answered, so it is not waited for."""
    from textual.worker import WorkerCancelled, WorkerFailed

    from console.calls import FLOW_GROUP

    app = pilot.app
    for _ in range(rounds):
        before = _states(app)
        await pilot.pause()
        waiting = [w for w in app.workers if w.group != FLOW_GROUP]
        if before == _states(app) and not _keys_pending(app) and not any(
                w.state.name in ("PENDING", "RUNNING") for w in waiting):
            return
        for worker in waiting:
            try:
                await worker.wait()
            except (WorkerCancelled, WorkerFailed):
                pass
    if _keys_pending(app):
        await _until_keys_arrived(pilot)
        if not _keys_pending(app):
            await settle(pilot, rounds)  # what the keys started
            return
    await pilot.pause()


def _states(app) -> dict:
    return {id(w): w.state.name for w in app.workers}


def _keys_pending(app) -> bool:
    """Keys held for a screen that is not ready yet (console/keys.py) are still to arrive."""
    return getattr(app, "keys_pending", False)


async def _until_keys_arrived(pilot, limit: float = 2.0) -> None:
    """Held keys arrive when their screen is ready (one that never says so gets them after
    HOLD_LIMIT): wait for that, up to `limit` seconds."""
    deadline = time.monotonic() + limit
    while _keys_pending(pilot.app) and time.monotonic() < deadline:
        await pilot.pause(0.01)
