"""The column titles of a windowed table, aligned with its rows."""

from __future__ import annotations

from textual.widgets import Static

from console.widgets.windowed_table import WindowedTable


class ColumnHeader(Static):
    """The column titles of a windowed table, aligned with its rows."""

    def __init__(self, table: WindowedTable, **kw):
        super().__init__(**kw)
        self.table = table

    def render(self):
        return self.table.header_text(self.table.content_width or self.size.width)
