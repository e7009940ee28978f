"""The order editor: change one participant's access inside the current tariff.

Open lessons (all / first N / a chosen set), release (none = remove all delays / delays /
dates), review method, checkpoints and the access end; under the fields the **lesson
preview** — every lesson, its state today and the date each scheduled one opens (SPEC §4.1) —
recomputed as you type (debounced, through the worker path, on a `PreviewCache`: one read per
editor session, then the engine alone). Saving makes the access individual, and the screen
says so. The Orders tab opens it with `open_access_editor(node, ctx, access_id)`.

Keys: ctrl+s saves (a conflict shows a banner, ctrl+r loads the saved version), esc closes,
`a` in the lesson table accepts the lesson's practice (review by a curator).
"""

from __future__ import annotations

import re
from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import DataTable, Static

from console.calls import run_service
from console.forms import FieldSpec, FormScreen
from console.screens.accesses.dialogs import state_label
from console.widgets.lists import KeyTable
from core.i18n import _, format_short_date, format_short_datetime
from core.services import accesses as access_service

PREVIEW_DELAY = 0.12  # seconds of quiet typing before the preview is recomputed
_DURATION = re.compile(r"^\s*(\d{1,5})\s*([dm])\s*$", re.IGNORECASE)


def open_access_editor(node, ctx, access_id: int) -> None:
    """Read the access, then push the editor (the Products and Orders tabs call this)."""
    run_service(node, access_service.get_access, ctx, access_id,
                on_done=lambda detail: node.app.push_screen(AccessEditorScreen(ctx, detail)),
                group="open-access-editor", exclusive=True)


def parse_first(text: Any) -> int:
    value = str(text or "").strip()
    if not value.isascii() or not value.isdigit():
        raise ValueError(_("Enter a number of lessons, such as 3."))
    return int(value)


def parse_duration(text: Any) -> dict[str, Any] | None:
    """"" → unlimited; "30d" → 30 days; "3m" → 3 months."""
    value = str(text or "").strip()
    if not value:
        return None
    m = _DURATION.match(value)
    if m is None:
        raise ValueError(_("Empty for unlimited, or days (30d) or months (3m)."))
    return {"length": int(m.group(1)), "unit": "days" if m.group(2).lower() == "d"
            else "months"}


def format_duration(d) -> str:
    if d is None:
        return ""
    return f"{d.length}{'d' if d.unit == 'days' else 'm'}"


def draft_of(data: dict[str, Any]) -> dict[str, Any]:
    """The form's values as the service's draft template."""
    mode = data.get("open_mode") or "all"
    if mode == "first":
        open_lessons: Any = {"first": data.get("first", 0)}
    elif mode == "only":
        open_lessons = {"only": list(data.get("only") or ())}
    else:
        open_lessons = "all"
    return {"open_lessons": open_lessons, "release": data.get("release") or "none",
            "review": data.get("review") or "none",
            "checkpoints": bool(data.get("checkpoints")),
            "duration": data.get("duration")}


def _values(detail) -> dict[str, Any]:
    t = detail.template
    ol = t.open_lessons
    mode = "all" if ol == "all" else ("first" if hasattr(ol, "first") else "only")
    return {"open_mode": mode, "first": str(ol.first) if mode == "first" else "",
            "only": list(ol.only) if mode == "only" else [], "release": t.release,
            "review": t.review, "checkpoints": t.checkpoints,
            "duration": format_duration(t.duration)}


class LessonTable(KeyTable):
    """The lesson preview; `a` accepts the practice of the lesson under the cursor."""

    BINDINGS = [Binding("a", "screen.accept", _("Accept practice"),
                        tooltip=_("Accept the practice of this lesson (curator review)"))]


class AccessEditorScreen(FormScreen):
    """The order editor of one access (an `AccessDetail`, see `open_access_editor`)."""

    FIRST = "open_mode"
    DEFAULT_CSS = """
    AccessEditorScreen #form { width: 100%; height: 100%; max-height: 100%; }
    AccessEditorScreen #form-buttons { margin-top: 0; }
    AccessEditorScreen #form-buttons Button { height: 1; border: none; min-width: 8; }
    AccessEditorScreen #editor-individual { color: $warning; height: auto; }
    AccessEditorScreen #editor-individual.-hidden { display: none; }
    AccessEditorScreen #editor-summary { height: 1; color: $text-muted; }
    AccessEditorScreen #lesson-preview { height: 1fr; min-height: 4; }
    AccessEditorScreen FieldRow .field-help { height: 1; }
    AccessEditorScreen YesNoSwitch Switch { height: 1; border: none; padding: 0; }
    AccessEditorScreen YesNoSwitch > Static { padding: 0 0 0 1; }
    """

    def __init__(self, ctx, detail):
        super().__init__(ctx)
        self.detail = detail
        self.cache = access_service.PreviewCache()
        self._timer: Timer | None = None
        self.preview = None

    # -- what the form declares --------------------------------------------------------

    def title_text(self) -> str:
        d = self.detail
        return _("Access #{id}: {product} · {offer}").format(
            id=d.id, product=escape(d.product), offer=escape(d.offer))

    def fields(self) -> list[FieldSpec]:
        lessons = [(f"{r.position} {r.title or r.key}", r.key) for r in self.detail.lessons]
        return [
            FieldSpec("open_mode", _("Lessons"), kind="select", radio=True,
                      choices=[(_("all"), "all"), (_("first N"), "first"),
                               (_("chosen"), "only")]),
            FieldSpec("first", _("First N"), placeholder="3", parse=parse_first,
                      visible_when=lambda raw: raw.get("open_mode") == "first"),
            FieldSpec("only", _("Chosen"), kind="multi", choices=lessons,
                      visible_when=lambda raw: raw.get("open_mode") == "only"),
            FieldSpec("release", _("Release"), kind="select", radio=True,
                      choices=[(_("none (all open)"), "none"), (_("delays"), "delays"),
                               (_("dates"), "dates")]),
            FieldSpec("review", _("Review"), kind="select", radio=True,
                      choices=[(_("none"), "none"), (_("automatic"), "automatic"),
                               (_("curator"), "curator")]),
            FieldSpec("checkpoints", _("Checkpoints"), kind="switch"),
            FieldSpec("duration", _("Access end"), placeholder=_("unlimited, 30d or 3m"),
                      parse=parse_duration),
        ]

    def values(self) -> dict[str, Any]:
        return _values(self.detail)

    def intro(self) -> ComposeResult:
        yield Static(_("individual: offer changes no longer reach this access"),
                     id="editor-individual",
                     classes="" if self.detail.individual else "-hidden")

    def extra(self) -> ComposeResult:
        yield Static("", id="editor-summary")
        yield LessonTable(id="lesson-preview", cursor_type="row")

    def error_field(self, key: str) -> str:
        return {"open_lessons": "open_mode", "template": "open_mode",
                "lesson": "open_mode"}.get(key, key)

    def submit(self, data: dict[str, Any]):
        return (access_service.update_template, (self.ctx, self.detail.id, draft_of(data)),
                {"expected_version": self.detail.version})

    def saved(self, detail) -> None:
        """Stay open: the preview is now the saved access, and it is individual."""
        self._take(detail)
        self.notify(_("Saved: the access is individual now."))

    def reload_call(self):
        return access_service.get_access, (self.ctx, self.detail.id)

    def loaded(self, detail) -> dict[str, Any]:
        self._take(detail)
        return _values(detail)

    def _take(self, detail) -> None:
        self.detail = detail
        self.cache = access_service.PreviewCache()
        self.query_one("#editor-individual", Static).set_class(not detail.individual,
                                                               "-hidden")
        self._refresh_preview()

    # -- the lesson preview ------------------------------------------------------------

    def on_mount(self) -> None:
        super().on_mount()
        form = self.query_one("#form")  # the app's forms.tcss sizes #form for small forms
        form.styles.width = "100%"
        form.styles.height = "100%"
        table = self.query_one("#lesson-preview", DataTable)
        table.add_column("#", key="pos", width=3)
        table.add_column(_("Lesson"), key="title", width=26)
        table.add_column(_("State"), key="state", width=14)
        table.add_column(_("Opens"), key="opens", width=17)
        table.add_column("✓", key="accepted", width=2)
        self._refresh_preview()

    def changed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(PREVIEW_DELAY, self._refresh_preview)

    def _refresh_preview(self) -> None:
        self._timer = None
        data, errors = self.data()
        if errors:
            self.query_one("#editor-summary", Static).update(
                _("The preview waits for valid values: {problems}").format(
                    problems=escape("; ".join(errors.values()))))
            return
        run_service(self, access_service.preview_template, self.ctx, self.detail.id,
                    draft_of(data), cache=self.cache, on_done=self._show_preview,
                    on_error=self._preview_failed, group="access-preview", exclusive=True)

    def _preview_failed(self, exc: Exception) -> None:
        from core.errors import ValidationFailed

        text = "; ".join(exc.fields.values()) if isinstance(exc, ValidationFailed) else str(exc)
        self.query_one("#editor-summary", Static).update("⚠ " + escape(text))

    def _show_preview(self, preview) -> None:
        self.preview = preview
        end = format_short_date(preview.ends_at) if preview.ends_at else _("unlimited")
        self.query_one("#editor-summary", Static).update(
            _("Open today: {open} of {total} · ends {end} · preview, not saved").format(
                open=preview.open_lessons, total=preview.lessons_in_tariff, end=end)
            if self.dirty else
            _("Open today: {open} of {total} · ends {end}").format(
                open=preview.open_lessons, total=preview.lessons_in_tariff, end=end))
        table = self.query_one("#lesson-preview", DataTable)
        keep = table.cursor_row
        table.clear()
        for r in preview.lessons:
            opens = format_short_datetime(r.opens_at) if r.opens_at else ""
            mark = "✓" if r.accepted else ("·" if r.practice or r.checkpoint else "")
            table.add_row(str(r.position), (r.title or r.key)[:26], state_label(r.state),
                          opens, mark, key=r.key)
        if preview.lessons:
            table.move_cursor(row=min(max(keep, 0), len(preview.lessons) - 1))

    # -- accept a lesson's practice ------------------------------------------------------

    def action_accept(self) -> None:
        table = self.query_one("#lesson-preview", DataTable)
        if self.preview is None or not self.preview.lessons:
            return
        if not self.ctx.can("access.write"):
            self.notify(_("Viewers cannot accept a practice."), severity="warning")
            return
        lesson = self.preview.lessons[table.cursor_row]
        run_service(self, access_service.accept_practice, self.ctx, self.detail.id,
                    lesson.key, on_done=self._accepted)

    def _accepted(self, detail) -> None:
        self.notify(_("Practice accepted."))
        self.detail = detail
        self.cache = access_service.PreviewCache()
        self._refresh_preview()
