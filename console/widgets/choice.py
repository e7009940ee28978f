"""A radio button that reads without colour (NO_COLOR, 16 colours): ● selected, ○ not."""

from __future__ import annotations

from textual.widgets import RadioButton


class Choice(RadioButton):
    @property
    def BUTTON_INNER(self) -> str:  # Textual reads this class attribute per render
        return "●" if self.value else "○"
