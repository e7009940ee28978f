"""The lessons editor of the product form: the lessons in order, `a` adds one after the
cursor, `enter` edits one (a row form), `d` removes one, `K`/`J` move it up/down. Keys stay
with their lessons (a new lesson gets its key from the service when saved)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from console.forms import FieldSpec, FormScreen
from console.widgets.lists import KeyTable
from core.i18n import _, format_short_date, ngettext

LESSON_FIELDS = ("key", "title", "module", "delay_days", "open_on", "checkpoint", "practice")


def lesson_dict(lesson: Any) -> dict[str, Any]:
    """A lesson (output schema or dict) as the editor holds it: the document's fields."""
    get = lesson.get if isinstance(lesson, dict) else lambda k, d=None: getattr(lesson, k, d)
    return {"key": get("key"), "title": get("title", "") or "", "module": get("module", "") or "",
            "delay_days": get("delay_days", 0) or 0, "open_on": get("open_on"),
            "checkpoint": bool(get("checkpoint", False)),
            "practice": bool(get("practice", False))}


class LessonTable(KeyTable):
    BINDINGS = [
        Binding("a", "add", _("Add lesson")),
        Binding("enter", "edit", _("Edit lesson")),
        Binding("d,delete", "remove", _("Remove lesson")),
        Binding("K", "move(-1)", _("Move up")),
        Binding("J", "move(1)", _("Move down")),
    ]

    def _editor(self) -> LessonsEditor:
        return next(a for a in self.ancestors if isinstance(a, LessonsEditor))

    def action_add(self) -> None:
        self._editor().add()

    def action_edit(self) -> None:
        self._editor().edit()

    def action_remove(self) -> None:
        self._editor().remove()

    def action_move(self, by: int) -> None:
        self._editor().move(by)


class LessonsEditor(Vertical):
    DEFAULT_CSS = """
    LessonsEditor { height: auto; }
    LessonsEditor LessonTable { height: 9; }
    LessonsEditor .lessons-hint { color: $text-muted; }
    """

    class Changed(Message):
        def __init__(self, editor: LessonsEditor):
            super().__init__()
            self.editor = editor

    def __init__(self, lessons: list[Any], *, read_only: bool = False, id: str = "lessons"):
        super().__init__(id=id)
        self.lessons = [lesson_dict(x) for x in lessons]
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        yield Static("", id="lessons-title")
        yield LessonTable(id="lessons-table", cursor_type="row", zebra_stripes=False)
        if not self.read_only:
            yield Static(_("a add · enter edit · d remove · K/J move up/down"),
                         classes="lessons-hint")

    def on_mount(self) -> None:
        table = self.query_one(LessonTable)
        for key, label, width in (("pos", "#", 3), ("title", _("Title"), 22),
                                  ("module", _("Module"), 11), ("delay", _("Days"), 4),
                                  ("open_on", _("Opens"), 10), ("practice", "P", 1),
                                  ("checkpoint", "C", 1)):
            table.add_column(label, key=key, width=width)
        self._fill()

    @property
    def table(self) -> LessonTable:
        return self.query_one(LessonTable)

    def set_lessons(self, lessons: list[Any]) -> None:
        self.lessons = [lesson_dict(x) for x in lessons]
        self._fill()

    def _fill(self, cursor: int | None = None) -> None:
        table = self.table
        row = table.cursor_row if cursor is None else cursor
        table.clear()
        for i, x in enumerate(self.lessons):
            table.add_row(str(i + 1), escape(x["title"]), escape(x["module"]),
                          str(x["delay_days"]),
                          format_short_date(x["open_on"]) if x["open_on"] else "",
                          "✓" if x["practice"] else "·", "✓" if x["checkpoint"] else "·")
        if self.lessons:
            table.move_cursor(row=max(0, min(row, len(self.lessons) - 1)))
        self.query_one("#lessons-title", Static).update(
            "[b]" + _("Lessons") + "[/b]  " + ngettext("{n} lesson", "{n} lessons",
                                                        len(self.lessons)).format(
                n=len(self.lessons)) + "  " + _("(P practice, C checkpoint)"))

    def _changed(self, cursor: int) -> None:
        self._fill(cursor)
        self.post_message(self.Changed(self))

    def add(self) -> None:
        if self.read_only:
            return
        at = (self.table.cursor_row + 1) if self.lessons else 0

        def done(result: dict[str, Any] | None) -> None:
            if result is not None:
                self.lessons.insert(at, {**lesson_dict(result), "key": None})
                self._changed(at)

        self.app.push_screen(LessonForm(None, len(self.lessons) + 1), callback=done)

    def edit(self) -> None:
        if not self.lessons:
            return
        i = self.table.cursor_row
        current = self.lessons[i]

        def done(result: dict[str, Any] | None) -> None:
            if result is not None and not self.read_only:
                self.lessons[i] = {**lesson_dict(result), "key": current["key"]}
                self._changed(i)

        self.app.push_screen(LessonForm(current, i + 1, read_only=self.read_only),
                             callback=done)

    def remove(self) -> None:
        if self.read_only or not self.lessons:
            return
        i = self.table.cursor_row
        del self.lessons[i]
        self._changed(i)

    def move(self, by: int) -> None:
        if self.read_only or not self.lessons:
            return
        i = self.table.cursor_row
        j = max(0, min(len(self.lessons) - 1, i + by))
        if i != j:
            self.lessons.insert(j, self.lessons.pop(i))
            self._changed(j)


def _echo(data: dict[str, Any]) -> dict[str, Any]:
    return data


def _days(raw: Any) -> int:
    text = str(raw or "").strip()
    if not text:
        return 0
    try:
        return int(text)
    except ValueError:
        raise ValueError(_("A whole number of days after the access start.")) from None


def yes_no() -> list[tuple[str, bool]]:
    return [(_("no"), "no"), (_("yes"), "yes")]


class LessonForm(FormScreen):
    """One lesson's fields; the product form saves the whole list."""

    FIRST = "title"

    def __init__(self, lesson: dict[str, Any] | None, position: int, *,
                 read_only: bool = False):
        super().__init__(None)
        self.lesson, self.position, self.read_only = lesson, position, read_only

    def title_text(self) -> str:
        if self.lesson is None:
            return _("New lesson {n}").format(n=self.position)
        key = self.lesson.get("key")
        if key:
            return _("Lesson {n} · key {key}").format(n=self.position, key=escape(key))
        return _("Lesson {n}").format(n=self.position)

    def fields(self) -> list[FieldSpec]:
        return [FieldSpec("title", _("Title"), max_length=200),
                FieldSpec("module", _("Module"), max_length=200),
                FieldSpec("delay_days", _("Delay"), parse=_days,
                          help=_("days after the access start (release by delays)")),
                FieldSpec("open_on", _("Opens on"), "date",
                          placeholder="2026-12-01", help=_("fixed date (release by dates)")),
                FieldSpec("practice", _("Practice"), "select", radio=True, choices=yes_no,
                          parse=lambda v: v == "yes",
                          format=lambda v: "yes" if v else "no"),
                FieldSpec("checkpoint", _("Checkpoint"), "select", radio=True,
                          choices=yes_no, parse=lambda v: v == "yes",
                          format=lambda v: "yes" if v else "no")]

    def values(self) -> dict[str, Any]:
        return dict(self.lesson or {"delay_days": 0})

    def on_mount(self) -> None:
        super().on_mount()
        if self.read_only:
            for r in self.rows():
                r.control.disabled = True

    def check(self, data: dict[str, Any]) -> None:
        from pydantic import ValidationError

        from core.schemas.catalogue import LessonInput
        from core.schemas.common import field_errors

        try:
            LessonInput.model_validate(data)
        except ValidationError as exc:
            raise field_errors(exc) from None

    def action_save(self) -> None:
        if self.read_only:
            self.dismiss(None)
            return
        super().action_save()

    def submit(self, data: dict[str, Any]):
        return _echo, (data,), {}


__all__ = ["LessonForm", "LessonsEditor", "lesson_dict"]
