"""Pilot fixtures: a console on a small SQLite database with known contacts."""

from __future__ import annotations

import pytest

from console.app import KontorApp
from core.services import demo
from core.services.operators import add_operator, sign_in

SIZE = (80, 24)  # what a support agent in tmux has


@pytest.fixture
def seeded(sqlite_db):
    ctx = sign_in(sqlite_db, "alice")  # first operator: admin
    for data in demo.HANDPICKED:
        from core.services.contacts import create_contact

        create_contact(ctx, data)
    demo.generate_contacts(ctx, 300)
    return sqlite_db


@pytest.fixture
def admin_app(seeded):
    return KontorApp(sign_in(seeded, "alice"))


@pytest.fixture
def viewer_app(seeded):
    add_operator(sign_in(seeded, "alice"), {"login": "vera", "role": "viewer"})
    return KontorApp(sign_in(seeded, "vera"))


async def settle(pilot, rounds: int = 4) -> None:
    """Let workers finish and their results reach the widgets (results may start new work)."""
    from textual.worker import WorkerCancelled, WorkerFailed

    from console.calls import FLOW_GROUP

    for _ in range(rounds):
        await pilot.pause()
        # A flow waiting for a dialog's answer (run_flow) finishes only when answered.
        for worker in [w for w in pilot.app.workers if w.group != FLOW_GROUP]:
            try:
                await worker.wait()
            except (WorkerCancelled, WorkerFailed):
                pass
    await pilot.pause()


async def type_text(pilot, text: str) -> None:
    await pilot.press(*["space" if c == " " else c for c in text])
