"""Small lists: a DataTable that moves with j/k/g/G, a SelectionList whose marks are text."""

from __future__ import annotations

from rich.segment import Segment
from textual.binding import Binding
from textual.containers import Horizontal
from textual.strip import Strip
from textual.widgets import DataTable, SelectionList, Static, Switch
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import OptionDoesNotExist

from core.i18n import _


class KeyTable(DataTable):
    """DataTable (fine for a few hundred rows) with the vi keys every other list has."""

    BINDINGS = [
        Binding("j", "cursor_down", _("Down"), show=False),
        Binding("k", "cursor_up", _("Up"), show=False),
        Binding("g", "scroll_top", _("First row"), show=False),
        Binding("G", "scroll_bottom", _("Last row"), show=False),
    ]


class MarkedSelectionList(SelectionList):
    """SelectionList that draws an unselected item's box empty, so the choice survives
    NO_COLOR and 16-colour terminals (Textual draws "X" in both states)."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        try:
            option = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        if option.value in self._selected:
            return strip
        segments = list(strip)
        if len(segments) > 1 and segments[1].text == ToggleButton.BUTTON_INNER:
            box = segments[1]
            segments[1] = Segment(" " * len(box.text), box.style, box.control)
            return Strip(segments, strip.cell_length)
        return strip


class YesNoSwitch(Horizontal):
    """A Switch followed by its state in words, so "on" survives NO_COLOR and 16 colours."""

    DEFAULT_CSS = """
    YesNoSwitch { height: auto; width: auto; }
    YesNoSwitch > Static { width: auto; padding: 1 0 0 1; }
    """

    def __init__(self, value: bool, *, id: str):
        super().__init__()
        self._value, self._switch_id = value, id

    def compose(self):
        yield Switch(value=self._value, id=self._switch_id)
        yield Static(self._words(self._value))

    @staticmethod
    def _words(value: bool) -> str:
        return _("yes") if value else _("no")

    def on_switch_changed(self, event: Switch.Changed) -> None:
        self.query_one(Static).update(self._words(event.value))
