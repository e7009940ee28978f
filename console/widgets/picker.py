"""Choose a record by typing part of it: an input with search-as-you-type results under it.

Generic over what is chosen: a `PickerSource` answers `search(text, window)` with at most
`window` `PickerItem`s (it runs in a worker thread, so it may call a service). The plan
catalogue is the first source (console/screens/plan/picker_source.py); offers and products
follow the same way.

Keys: type to search (after a short pause); ↓ moves into the results, ↑ on the first result
back to the input; enter picks (the input then holds the item's value, e.g. the plan handle).
A value typed in full needs no pick: the input's text is the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

WINDOW = 6  # results shown: the form stays readable at 80x24


@dataclass(frozen=True)
class PickerItem:
    value: str     # what the input holds once picked (a handle)
    label: str     # what people read: name, handle, amount, frequency


class PickerSource(Protocol):
    def search(self, text: str, window: int) -> list[PickerItem]: ...


class PickerInput(Input):
    BINDINGS = [Binding("down", "results", show=False)]

    def action_results(self) -> None:
        picker = self.parent
        if isinstance(picker, Picker):
            picker.focus_results()

    def on_blur(self) -> None:
        picker = self.parent
        if isinstance(picker, Picker):
            picker.call_after_refresh(picker.hide_unless_focused)


class PickerResults(OptionList):
    """Reached with ↓ from the input only, never by tab: tab goes on to the next field."""

    BINDINGS = [Binding("up", "up_or_input", show=False)]
    can_focus = False

    def on_blur(self) -> None:
        self.can_focus = False
        picker = self.parent
        if isinstance(picker, Picker):
            picker.call_after_refresh(picker.hide_unless_focused)

    def action_up_or_input(self) -> None:
        if self.highlighted in (None, 0) and isinstance(self.parent, Picker):
            self.parent.input.focus()
        else:
            self.action_cursor_up()


class Picker(Vertical):
    """`Picker(source, id="input-plan")`: the input carries `id`; `value` is its text."""

    DEFAULT_CSS = """
    Picker { height: auto; width: 1fr; }
    Picker PickerResults { height: auto; max-height: 8; border: none; }
    Picker PickerResults.-empty { display: none; }
    """

    class Picked(Message):
        def __init__(self, picker: Picker, item: PickerItem):
            super().__init__()
            self.picker, self.item = picker, item

    def __init__(self, source: PickerSource, value: str = "", *, id: str,
                 placeholder: str = "", window: int = WINDOW, delay: float = 0.15):
        super().__init__(id=f"picker-{id}")
        self.source, self.window, self.delay = source, window, delay
        self._input_id, self._initial, self._placeholder = id, value, placeholder
        self.items: list[PickerItem] = []
        self._timer = None
        self._picking = False

    def compose(self) -> ComposeResult:
        yield PickerInput(self._initial, placeholder=self._placeholder, id=self._input_id,
                          compact=True)
        yield PickerResults(id=f"{self._input_id}-results", classes="-empty", compact=True)

    @property
    def input(self) -> PickerInput:
        return self.query_one(PickerInput)

    @property
    def results(self) -> PickerResults:
        return self.query_one(PickerResults)

    @property
    def value(self) -> str:
        return self.input.value

    @value.setter
    def value(self, text: str) -> None:
        self._picking = True
        self.input.value = text

    def focus(self, scroll_visible: bool = True):
        self.input.focus(scroll_visible)
        return self

    def focus_results(self) -> None:
        if self.items:
            results = self.results
            results.can_focus = True
            results.highlighted = 0
            results.focus()

    def hide_unless_focused(self) -> None:
        try:
            if not (self.input.has_focus or self.results.has_focus):
                self._fill([])
        except NoMatches:  # the form closed meanwhile
            pass

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        if self._picking:  # the pick itself set the text: no new search
            self._picking = False
            self._fill([])
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(self.delay, self._search)

    def _search(self) -> None:
        text = self.input.value.strip()
        if not text:
            self._fill([])
            return
        source, window = self.source, self.window

        def job() -> None:
            items = source.search(text, window)
            self.app.call_from_thread(self._arrived, text, items)

        self.run_worker(job, thread=True, group="picker", exclusive=True, exit_on_error=False)

    def _arrived(self, text: str, items: list[PickerItem]) -> None:
        try:
            if text != self.input.value.strip() or not self.input.has_focus:
                return  # typed on meanwhile (a newer search follows), or left the field
        except NoMatches:  # the form closed meanwhile
            return
        if len(items) == 1 and items[0].value == text:
            items = []  # the text is that item's value already: nothing left to choose
        self._fill(items)

    def _fill(self, items: list[PickerItem]) -> None:
        self.items = list(items)
        results = self.results
        results.clear_options()
        results.add_options([Option(escape(i.label), id=str(n)) for n, i in enumerate(items)])
        results.set_class(not items, "-empty")

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        item = self.items[int(event.option.id)]
        self.value = item.value
        self.input.focus()
        self.input.cursor_position = len(item.value)
        self.post_message(self.Picked(self, item))
