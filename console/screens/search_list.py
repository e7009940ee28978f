"""The search-line list screen: an area whose `/` line filters one windowed table.

What the subscriptions, orders and groups areas share: the search line (submit, `/`, `esc`
clears), refresh on `ctrl+r` and on an `EntityChanged` of `REFRESH_KINDS`, the status line
("1,234 orders · status:paid"), worker errors shown once, and `show_source`, which puts the
filtered source into the table. A subclass parses its own filter (`apply_filter`), says what a
count is (`count_text`) and what `enter` opens.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.screen import Screen
from textual.widgets import Input, Static

from console.calls import show_error
from console.messages import EntityChanged
from console.widgets.column_header import ColumnHeader
from console.widgets.windowed_table import WindowedTable
from core.i18n import _


class SearchListScreen(Screen):
    REFRESH_KINDS: tuple[str, ...] = ()
    filter_text = ""

    def apply_filter(self, text: str) -> None:  # the subclass parses its filter
        raise NotImplementedError

    def count_text(self, total: int) -> str:  # "1,234 orders"
        raise NotImplementedError

    def show_source(self, text: str, source: Any) -> None:
        """Show `source` (the rows matching `text`) and count them."""
        self.filter_text = text
        search = self.query_one("#search", Input)
        if search.value != text:
            search.value = text
        self.query_one("#status", Static).update(_("Counting…"))
        self.query_one(WindowedTable).set_source(source)

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        self.apply_filter(event.value.strip())
        self.query_one(WindowedTable).focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            self.query_one(WindowedTable).focus()
        elif search.value:
            self.apply_filter("")

    def action_reload(self) -> None:
        self.query_one(WindowedTable).refresh_data()

    def on_entity_changed(self, event: EntityChanged) -> None:
        if event.kind in self.REFRESH_KINDS:
            self.action_reload()

    @on(WindowedTable.Loaded)
    @on(WindowedTable.CursorMoved)
    def _status(self, event) -> None:
        self.call_after_refresh(self.query_one(ColumnHeader).refresh)
        table = self.query_one(WindowedTable)
        if not table.counted:
            return
        text = self.count_text(table.total or 0)
        if self.filter_text:
            text += " · " + self.filter_text
        self.query_one("#status", Static).update(text)

    @on(WindowedTable.Failed)
    def _failed(self, event: WindowedTable.Failed) -> None:
        show_error(self, event.error)
