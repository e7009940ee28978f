"""A keyboard date input: type `2026-12-31`, `31.12.2026`, `+14d`, `+2m`, `today`, `tomorrow`,
`end of month` (German and Italian words in those languages) and see the parsed date as you
type; or move through a small month calendar with the arrow keys and pick with `enter`.

`DateInput.value` is the parsed date (None while the text names none, `error` says why). The
parsing is core/dates.py (pure); `Picked` is posted when the person confirms a date (enter in
the text or on the calendar).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, Static

from core.dates import DateInputError, add_months, parse_date
from core.i18n import _, format_date, language


def _weekday_names() -> list[str]:
    """Mo … Su in the operator's language (two letters)."""
    from babel.dates import get_day_names

    names = get_day_names("abbreviated", locale=language())
    return [names[i][:2] for i in range(7)]


def _pattern(d: date, pattern: str) -> str:
    """`d` in a CLDR pattern of the operator's language ("" when the locale lacks it)."""
    try:
        from babel.dates import format_date as babel_format

        return babel_format(d, pattern, locale=language())
    except Exception:  # an unknown locale: the caller falls back to format_date
        return ""


class MonthCalendar(Widget, can_focus=True):
    """One month, the cursor on a day: arrows move by a day or a week, pageup/pagedown by a
    month, home/end to the month's first/last day, enter picks."""

    DEFAULT_CSS = """
    MonthCalendar { height: 8; width: 22; }
    MonthCalendar:focus { text-style: none; }
    """
    BINDINGS = [
        Binding("left", "move(-1)", _("Previous day"), show=False),
        Binding("right", "move(1)", _("Next day"), show=False),
        Binding("up", "move(-7)", _("Previous week"), show=False),
        Binding("down", "move(7)", _("Next week"), show=False),
        Binding("pageup", "month(-1)", _("Previous month"), show=False),
        Binding("pagedown", "month(1)", _("Next month"), show=False),
        Binding("enter", "pick", _("Pick this date"), show=False),
    ]

    day: reactive[date] = reactive(date(2026, 1, 1))

    class Picked(Message):
        def __init__(self, calendar: MonthCalendar, day: date):
            self.calendar, self.day = calendar, day
            super().__init__()

    def __init__(self, day: date, *, id: str | None = None):
        super().__init__(id=id)
        self.set_reactive(MonthCalendar.day, day)

    def render(self) -> Text:
        d = self.day
        out = Text()
        title = _pattern(d, "LLLL yyyy") or format_date(d)
        out.append(title.center(20)[:20] + "\n", style="bold")
        out.append(" ".join(_weekday_names()) + "\n", style="dim")
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(d.year, d.month):
            cells = []
            for day in week:
                text = f"{day.day:2d}"
                if day.month != d.month:
                    cells.append(Text("  "))
                elif day == d:
                    cells.append(Text(text, style="reverse" if self.has_focus else "underline"))
                else:
                    cells.append(Text(text))
            out.append(Text(" ").join(cells))
            out.append("\n")
        return out

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_move(self, days: int) -> None:
        try:
            self.day = self.day + timedelta(days=days)
        except OverflowError:
            return
        self.post_message(self.Moved(self, self.day))

    def action_month(self, months: int) -> None:
        try:
            self.day = add_months(self.day, months)
        except DateInputError:
            return
        self.post_message(self.Moved(self, self.day))

    def action_pick(self) -> None:
        self.post_message(self.Picked(self, self.day))

    class Moved(Message):
        def __init__(self, calendar: MonthCalendar, day: date):
            self.calendar, self.day = calendar, day
            super().__init__()


class DateInput(Vertical):
    """A text field with the parsed date below it and a calendar (tab between them)."""

    DEFAULT_CSS = """
    DateInput { height: auto; }
    DateInput #date-parsed { height: 1; }
    DateInput #date-parsed.-error { color: $error; }
    """

    class Picked(Message):
        """The person confirmed a date (enter in the text or on the calendar)."""

        def __init__(self, date_input: DateInput, value: date):
            self.date_input, self.value = date_input, value
            super().__init__()

    class Changed(Message):
        def __init__(self, date_input: DateInput, value: date | None):
            self.date_input, self.value = date_input, value
            super().__init__()

    def __init__(self, *, today: date, value: str = "", id: str | None = None,
                 lang: str | None = None):
        super().__init__(id=id)
        self.today = today
        self.lang = lang or language()
        self.text = value
        self.value: date | None = None
        self.error: str | None = None
        self._parse(value)

    def compose(self) -> ComposeResult:
        yield Input(value=self.text, placeholder=_("2026-12-31, 31.12.2026, +14d, +2m, "
                                                   "tomorrow, end of month"),
                    id="date-text", compact=True)
        yield Static("", id="date-parsed")
        yield MonthCalendar(self.value or self.today, id="date-calendar")

    def on_mount(self) -> None:
        self._show()

    def _parse(self, text: str) -> None:
        self.text = text
        if not text.strip():
            self.value, self.error = None, None
            return
        try:
            self.value, self.error = parse_date(text, today=self.today, lang=self.lang), None
        except DateInputError as exc:
            self.value, self.error = None, str(exc)

    def _show(self) -> None:
        parsed = self.query_one("#date-parsed", Static)
        if self.value is not None:
            weekday = _pattern(self.value, "EEEE")
            weekday = weekday + ", " if weekday else ""
            parsed.update("→ " + weekday + format_date(self.value))
            parsed.remove_class("-error")
        elif self.error:
            parsed.update(self.error.split(" (")[0])
            parsed.add_class("-error")
        else:
            parsed.update(_("Type a date, or pick one in the calendar (tab)."))
            parsed.remove_class("-error")

    @on(Input.Changed, "#date-text")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self._parse(event.value)
        self._show()
        if self.value is not None:
            self.query_one(MonthCalendar).day = self.value
        self.post_message(self.Changed(self, self.value))

    @on(Input.Submitted, "#date-text")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.value is not None:
            self.post_message(self.Picked(self, self.value))

    @on(MonthCalendar.Moved)
    def _moved(self, event: MonthCalendar.Moved) -> None:
        event.stop()
        self._set_from_calendar(event.day)

    @on(MonthCalendar.Picked)
    def _picked(self, event: MonthCalendar.Picked) -> None:
        event.stop()
        self._set_from_calendar(event.day)
        self.post_message(self.Picked(self, event.day))

    def _set_from_calendar(self, day: date) -> None:
        text = self.query_one("#date-text", Input)
        with text.prevent(Input.Changed):
            text.value = day.isoformat()
        self._parse(day.isoformat())
        self._show()
        self.post_message(self.Changed(self, self.value))

    def focus_text(self) -> None:
        self.query_one("#date-text", Input).focus()


__all__ = ["DateInput", "MonthCalendar"]
