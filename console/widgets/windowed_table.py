"""A table over a list of any length: only the rows on screen are ever fetched and drawn.

The widget knows the total (counted in SQL) and keeps pages of rows it has fetched. A page
next to a known page is fetched by keyset (after/before that page's edge key); a page far
away by offset, the last page from the end. Fetches run in thread workers; the rows come
back to the event loop with `call_from_thread` and only then touch the widget.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from console.widgets.paging import MAX_PAGES, PAGE
from core.i18n import _

if TYPE_CHECKING:  # pydantic is imported with the first fetch, not with the widget
    from core.schemas.common import Window


class Row(Protocol):
    key: tuple
    id: Any


class Source(Protocol):
    """What the table shows: a count and windows of rows, both answered by a service."""

    def count(self) -> int: ...

    def fetch(self, window: Window) -> Sequence[Row]: ...


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int | None = None  # None: shares the space left over
    min_width: int = 8
    render: Callable[[Any], str] | None = None
    justify: str = "left"
    weight: int = 1  # share of the spare width among flexible columns
    # Who gives way when the row does not fit: 1 identifies the row (and is what the search
    # matches) and is never hidden; a higher number is hidden earlier (the highest first).
    priority: int = 1
    want: int | None = None  # a flexible column's readable width (default: min_width)


class WindowedTable(ScrollView, can_focus=True):
    """Rows of a `Source`, drawn through the line API; j/k/g/G and arrows move the cursor."""

    DEFAULT_CSS = """
    WindowedTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("down,j", "cursor_down", _("Down"), show=False),
        Binding("up,k", "cursor_up", _("Up"), show=False),
        Binding("pagedown,ctrl+f", "page_down", _("Page down"), show=False),
        Binding("pageup,ctrl+b", "page_up", _("Page up"), show=False),
        Binding("home,g", "first", _("First row"), show=False),
        Binding("end,G", "last", _("Last row"), show=False),
        Binding("enter", "activate", _("Open"), show=True),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Activated(Message):
        """Enter was pressed on a row."""

        def __init__(self, table: WindowedTable, row: Row):
            self.table, self.row = table, row
            super().__init__()

    class CursorMoved(Message):
        def __init__(self, table: WindowedTable, row: Row | None):
            self.table, self.row = table, row
            super().__init__()

    class Loaded(Message):
        """The total is known (after a new source or a refresh)."""

        def __init__(self, table: WindowedTable, total: int):
            self.table, self.total = table, total
            super().__init__()

    class Failed(Message):
        def __init__(self, table: WindowedTable, error: Exception):
            self.table, self.error = table, error
            super().__init__()

    def __init__(self, columns: Sequence[Column], *, name: str | None = None,
                 id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.columns = list(columns)
        self.total: int | None = None
        self.counted = False  # False while `total` is only the rows fetched so far
        self._source: Source | None = None
        self._generation = 0
        self._pages: OrderedDict[int, list[Row]] = OrderedDict()
        self._pending: set[int] = set()
        self._keep_key: Any = None

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Show other columns (hidden/shown by the operator); rows stay as they are."""
        self.columns = list(columns)
        self.refresh()

    # -- data ------------------------------------------------------------------------------

    def set_source(self, source: Source | None, *, keep_cursor_on: Any = None,
                   first: Sequence[Row] | None = None) -> None:
        """Show `source` from its first row (or from the row with id `keep_cursor_on`).

        `first`: its first rows, already at hand (the start-up preview, core/first_window.py):
        shown at once; with no `source` yet, nothing is fetched or counted until
        `adopt_source` gives one."""
        self._source = source
        self._generation += 1
        self.counted = False
        self._pages.clear()
        self._pending.clear()
        self._keep_key = keep_cursor_on
        if first is None:
            self._load_total(self._generation, source)
            return
        first = list(first)
        self._first_loaded(self._generation, first, len(first) if len(first) < PAGE else None)
        if source is not None and not self.counted:
            self._load_count(self._generation, source)

    def adopt_source(self, source: Source) -> None:
        """Serve the rows shown (from `set_source(None, first=…)`) by `source` from now on:
        they stay on screen, and the count follows if it is not known yet."""
        self._source = source
        if not self.counted:
            self._load_count(self._generation, source)

    def refresh_data(self) -> None:
        """Fetch everything again, keeping the cursor on the same row where it still exists."""
        if self._source is not None:
            row = self.current_row
            self.set_source(self._source, keep_cursor_on=row.id if row else None)

    @property
    def current_row(self) -> Row | None:
        return self.row_at(self.cursor)

    def row_at(self, index: int) -> Row | None:
        page = self._pages.get(index // PAGE)
        if page is None:
            return None
        offset = index % PAGE
        return page[offset] if offset < len(page) else None

    @work(thread=True, exclusive=True, group="windowed-total", exit_on_error=False)
    def _load_total(self, generation: int, source: Source) -> None:
        # Two steps: the first rows go on screen at once; the count (a scan of an index on
        # a big table) follows a moment later.
        from core.schemas.common import Window

        worker = get_current_worker()
        try:
            first = list(source.fetch(Window(limit=PAGE)))
            if len(first) < PAGE:
                self.app.call_from_thread(self._first_loaded, generation, first, len(first))
                return
            self.app.call_from_thread(self._first_loaded, generation, first, None)
            total = source.count()
        except Exception as exc:  # shown to the user, never crashes the app
            self.app.call_from_thread(self.post_message, WindowedTable.Failed(self, exc))
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._count_loaded, generation, total)

    @work(thread=True, exclusive=True, group="windowed-total", exit_on_error=False)
    def _load_count(self, generation: int, source: Source) -> None:
        worker = get_current_worker()
        try:
            total = source.count()
        except Exception as exc:  # shown to the user, never crashes the app
            self.app.call_from_thread(self.post_message, WindowedTable.Failed(self, exc))
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._count_loaded, generation, total)

    def _first_loaded(self, generation: int, first: list[Row], total: int | None) -> None:
        if generation != self._generation:
            return
        self.counted = total is not None
        self.total = total if total is not None else len(first)
        self._store(0, first)
        self.virtual_size = Size(self.size.width, self.total)
        cursor = 0
        if self._keep_key is not None:
            cursor = next((i for i, r in enumerate(first) if r.id == self._keep_key), 0)
        self.cursor = min(cursor, max(self.total - 1, 0))
        self.scroll_to(y=0, animate=False)
        self.refresh()
        if self.counted:
            self.post_message(WindowedTable.Loaded(self, self.total))
        self.post_message(WindowedTable.CursorMoved(self, self.current_row))

    def _count_loaded(self, generation: int, total: int) -> None:
        if generation != self._generation:
            return
        self.total, self.counted = total, True
        self.virtual_size = Size(self.size.width, total)
        self.cursor = min(self.cursor, max(total - 1, 0))
        self.refresh()
        self.post_message(WindowedTable.Loaded(self, total))

    def _store(self, page: int, rows: list[Row]) -> None:
        self._pages[page] = rows
        self._pages.move_to_end(page)
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)

    def _window_for(self, page: int) -> Window:
        from core.schemas.common import Window

        assert self.total is not None
        prev, nxt = self._pages.get(page - 1), self._pages.get(page + 1)
        size = min(PAGE, self.total - page * PAGE)
        if prev and len(prev) == PAGE:
            return Window(after=prev[-1].key, limit=size)
        if nxt:
            return Window(before=nxt[0].key, limit=size)
        if (page + 1) * PAGE >= self.total:
            return Window(from_end=True, limit=size)
        return Window(offset=page * PAGE, limit=size)

    def _request(self, page: int) -> None:
        if page in self._pages or page in self._pending or self._source is None:
            return
        if self.total is None or not self.counted or page * PAGE >= self.total:
            return
        self._pending.add(page)
        self._load_page(self._generation, self._source, page, self._window_for(page))

    @work(thread=True, exit_on_error=False)
    def _load_page(self, generation: int, source: Source, page: int, window: Window) -> None:
        try:
            rows = list(source.fetch(window))
        except Exception as exc:
            self.app.call_from_thread(self.post_message, WindowedTable.Failed(self, exc))
            return
        self.app.call_from_thread(self._page_loaded, generation, page, rows)

    def _page_loaded(self, generation: int, page: int, rows: list[Row]) -> None:
        if generation != self._generation:
            return
        self._pending.discard(page)
        self._store(page, rows)
        self.refresh()
        if self.cursor // PAGE == page:
            self.post_message(WindowedTable.CursorMoved(self, self.current_row))

    # -- drawing ---------------------------------------------------------------------------

    def widths(self, width: int) -> list[int]:
        """Each column's width; 0 for a column hidden because the row does not fit.

        Columns give way by priority: while the fixed widths, the flexible columns' readable
        widths (`want`) and the gaps exceed `width`, the column with the highest priority
        number (> 1; the rightmost of equals) is hidden. The flexible columns then share what
        is left by weight, each at least its min_width; a value still longer ends with "…"."""
        shown = list(range(len(self.columns)))

        def needed(idx: list[int]) -> int:
            cols = [self.columns[i] for i in idx]
            return (sum(c.width or (c.want or c.min_width) for c in cols) + len(cols) - 1)

        while needed(shown) > width:
            droppable = [i for i in shown if self.columns[i].priority > 1]
            if not droppable:
                break
            shown.remove(max(droppable, key=lambda i: (self.columns[i].priority, i)))
        cols = [self.columns[i] for i in shown]
        fixed = sum(c.width for c in cols if c.width) + len(cols) - 1
        weights = sum(c.weight for c in cols if not c.width) or 1
        spare = max(width - fixed, 0)
        out = [0] * len(self.columns)
        for i in shown:
            c = self.columns[i]
            out[i] = c.width if c.width else max(c.min_width, spare * c.weight // weights)
        return out

    def header_text(self, width: int) -> Text:
        return self._line([c.label for c in self.columns], width)

    def _line(self, cells: list[str], width: int) -> Text:
        parts = []
        for col, w, value in zip(self.columns, self.widths(width), cells):
            if w == 0:  # hidden: the row did not fit (see widths)
                continue
            value = value.replace("\n", " ")
            if len(value) > w:
                value = value[: max(w - 1, 0)] + "…"
            parts.append(value.rjust(w) if col.justify == "right" else value.ljust(w))
        return Text(" ".join(parts)[:width].ljust(width))

    def cells(self, row: Row) -> list[str]:
        out = []
        for col in self.columns:
            value = getattr(row, col.key, "")
            out.append(col.render(value) if col.render else ("" if value is None else str(value)))
        return out

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.content_width
        base = self.rich_style
        if self.total is None or index >= self.total:
            return Strip.blank(width, base)
        row = self.row_at(index)
        if row is None:
            self._request(index // PAGE)
            text = Text("…".ljust(width))
        else:
            text = self._line(self.cells(row), width)
        style = base
        if index == self.cursor:
            style = base + (Style(reverse=True) if self.has_focus else Style(underline=True))
        return Strip([Segment(text.plain, style)], width)

    @property
    def content_width(self) -> int:
        """The width rows are drawn in: the widget less its vertical scrollbar."""
        return self.scrollable_content_region.width or self.size.width

    def on_resize(self) -> None:
        if self.total is not None:
            self.virtual_size = Size(self.size.width, self.total)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # -- cursor ----------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        if self.total is None:
            return
        top = self.scroll_offset.y
        height = max(self.size.height, 1)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False)
        self.refresh()
        self.post_message(WindowedTable.CursorMoved(self, self.current_row))

    def _move(self, delta: int | None = None, to: int | None = None) -> None:
        if not self.total:
            return
        target = to if to is not None else self.cursor + (delta or 0)
        self.cursor = max(0, min(target, self.total - 1))

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_page_down(self) -> None:
        self._move(max(self.size.height - 1, 1))

    def action_page_up(self) -> None:
        self._move(-max(self.size.height - 1, 1))

    def action_first(self) -> None:
        self._move(to=0)

    def action_last(self) -> None:
        if self.total:
            self._move(to=self.total - 1)

    def action_activate(self) -> None:
        row = self.current_row
        if row is not None:
            self.post_message(WindowedTable.Activated(self, row))

    def on_click(self, event) -> None:
        index = self.scroll_offset.y + event.y
        if self.total and index < self.total:
            self.cursor = index
