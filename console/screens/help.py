"""`?`/F1: every key that works on the screen underneath, with what it does."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from core.i18n import _


# Inherited from Textual's scroll views and app; noise in a list of what Kontor's keys do.
HIDDEN_ACTIONS = {"scroll_left", "scroll_right", "page_left", "page_right", "scroll_home",
                  "scroll_end", "focus_next", "focus_previous", "screen.copy_text",
                  "copy_text", "help_quit", "command_palette"}


def describe_bindings(screen: Screen) -> list[tuple[str, str]]:
    """(keys, description) of the active bindings of `screen` and its focused widget."""
    seen: dict[str, list[str]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        desc = binding.tooltip or binding.description
        if not desc or not active.enabled or binding.action in HIDDEN_ACTIONS:
            continue
        label = screen.app.get_key_display(binding)
        seen.setdefault(desc, [])
        if label not in seen[desc]:
            seen[desc].append(label)
    return [(" / ".join(keys), desc) for desc, keys in seen.items()]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", _("Close"))]

    def __init__(self, title: str, rows: list[tuple[str, str]]):
        super().__init__()
        self.title_text, self.rows = title, rows

    def compose(self) -> ComposeResult:
        width = max((len(k) for k, _d in self.rows), default=4) + 2
        lines = [f"[b]{self.title_text}[/b]", ""]
        lines += [escape(f"{k.ljust(width)}{d}") for k, d in self.rows]
        lines += ["", _("Global: 1 contacts · 2 plans · 9 operators · ctrl+p or : commands · "
                        "ctrl+q quit")]
        with VerticalScroll(id="help"):
            yield Static("\n".join(lines), markup=True)
