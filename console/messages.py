"""Messages shared by every screen (Textual's message pump, no SQLAlchemy)."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class EntityChanged(Message, bubble=False):
    """A record was written (created, edited, deleted, or its state changed).

    `kind` is "contact", "plan", "subscription", "invoice", "operator", "setting", "product"
    or "offer"; `id` is
    the record's id (a plan's handle). Posted to every open screen by `announce`, so each view
    showing that record refreshes itself; a view ignores kinds it does not show."""

    def __init__(self, kind: str, id: Any) -> None:
        super().__init__()
        self.kind, self.id = kind, id


def announce(app, kind: str, record_id: Any) -> None:
    """Post EntityChanged(kind, record_id) to every screen of every mode's stack (and installed ones
    that are mounted), on the UI thread."""
    seen: set[int] = set()
    stacks = getattr(app, "_screen_stacks", {}) or {"_": app.screen_stack}
    for stack in stacks.values():
        for screen in stack:
            if id(screen) not in seen and screen.is_attached:
                seen.add(id(screen))
                screen.post_message(EntityChanged(kind, record_id))
