"""A windowed table whose rows can be marked with `space` for a bulk action (issue 11).

The marks are row ids, kept across windows and refreshes; the first column shows `●` on a
marked row. `marked_ids()` is what a bulk dialog gets (the current row when none is marked).
Any access list (the Products tab, the follow-up lists) can use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.binding import Binding
from textual.message import Message

from console.widgets.windowed_table import Column, WindowedTable
from core.i18n import _

MARK = "●"


class MarkableTable(WindowedTable):
    BINDINGS = [
        Binding("space", "toggle_mark", _("Mark"), tooltip=_("Mark or unmark this row "
                                                             "for a bulk action")),
        Binding("ctrl+u", "clear_marks", _("Unmark all"), show=False,
                tooltip=_("Unmark every row")),
    ]

    class MarksChanged(Message):
        def __init__(self, table: MarkableTable, count: int):
            self.table, self.count = table, count
            super().__init__()

    def __init__(self, columns: Sequence[Column], **kwargs: Any):
        self.marks: dict[Any, None] = {}  # ids in the order they were marked
        mark = Column("id", " ", 1, render=lambda v: MARK if v in self.marks else " ")
        super().__init__([mark, *columns], **kwargs)

    def set_columns(self, columns: Sequence[Column]) -> None:
        super().set_columns([self.columns[0], *columns])

    def action_toggle_mark(self) -> None:
        row = self.current_row
        if row is None:
            return
        if row.id in self.marks:
            del self.marks[row.id]
        else:
            self.marks[row.id] = None
        self.refresh()
        self.post_message(self.MarksChanged(self, len(self.marks)))
        self.action_cursor_down()

    def action_clear_marks(self) -> None:
        self.marks.clear()
        self.refresh()
        self.post_message(self.MarksChanged(self, 0))

    def marked_ids(self) -> list[Any]:
        """The marked ids, or the current row's when none is marked."""
        if self.marks:
            return list(self.marks)
        row = self.current_row
        return [row.id] if row is not None else []


__all__ = ["MARK", "MarkableTable"]
