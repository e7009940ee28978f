"""Yes/No confirmation with "No" focused: a destructive action needs a deliberate choice."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from core.i18n import _


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape,n", "answer(False)", _("No")),
        Binding("y", "answer(True)", _("Yes")),
        Binding("left,right,h,l", "app.focus_next", show=False),
    ]

    def __init__(self, question: str, detail: str = "", *, yes: str | None = None):
        super().__init__()
        self.question, self.detail, self.yes = question, detail, yes or _("Yes")

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(self.question, id="confirm-question")
            if self.detail:
                yield Static(self.detail, id="confirm-detail")
            with Horizontal(id="confirm-buttons"):
                yield Button(_("No") + " \\[n]", id="no", variant="primary")
                yield Button(self.yes + " \\[y]", id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
