"""Active filters as chips: left/right pick one, delete or x removes it."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from core.i18n import _


class ChipBar(Widget, can_focus=True):
    """One line of "[Label: value ×]" chips; the selected one is shown in reverse video."""

    DEFAULT_CSS = """
    ChipBar { height: auto; max-height: 3; padding: 0 1; }
    """
    BINDINGS = [
        Binding("left,h", "move(-1)", _("Previous chip"), show=False),
        Binding("right,l", "move(1)", _("Next chip"), show=False),
        Binding("delete,backspace,x", "remove", _("Remove filter"),
                tooltip=_("Remove the selected filter")),
    ]

    selected: reactive[int] = reactive(0)

    class Removed(Message):
        def __init__(self, key: str):
            self.key = key
            super().__init__()

    def __init__(self, **kw):
        super().__init__(**kw)
        self.chips: list[tuple[str, str]] = []  # (key, label)

    def set_chips(self, chips: list[tuple[str, str]]) -> None:
        self.chips = chips
        self.selected = min(self.selected, max(len(chips) - 1, 0))
        self.can_focus = bool(chips)
        self.refresh(layout=True)  # more chips may need another line

    def render(self) -> Text:
        if not self.chips:
            return Text(_("No filters: / types a query, f opens the filter panel"),
                        style="dim")
        text = Text()
        for i, (_key, label) in enumerate(self.chips):
            chip = f"[{label} ×]"
            style = "reverse" if (self.has_focus and i == self.selected) else "bold"
            text.append(chip, style=style)
            text.append(" ")
        return text

    def action_move(self, step: int) -> None:
        if self.chips:
            self.selected = (self.selected + step) % len(self.chips)
            self.refresh()

    def action_remove(self) -> None:
        if self.chips:
            self.post_message(ChipBar.Removed(self.chips[self.selected][0]))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
