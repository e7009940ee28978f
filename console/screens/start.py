"""What the console shows while it opens the database: drawn before SQLAlchemy is imported."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Static

from core.i18n import _


class StartScreen(Screen):
    """Kontor's name and one line of progress; keys typed meanwhile are dropped (also the
    area keys: there is no database to show yet; console/keys.py)."""

    drops_keys = True

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Static("[b]Kontor[/b]", id="start-title")
        with Center():
            yield Static(_("Opening the database …"), id="start-progress")

    def show(self, message: str) -> None:
        self.query_one("#start-progress", Static).update(message)
