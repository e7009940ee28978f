"""`FormScreen`: the behaviour every form shares, so a new form only declares its fields.

A subclass gives `title_text()`, `fields()` (FieldSpecs), `values()` (the stored values shown
at first) and `submit(data)` (which service to call); optionally `check(data)` (the service's
own validation, run before the round trip), `reload_call()` / `loaded(record)` for ctrl+r,
`extra()` (widgets shown under the fields, e.g. a preview) and `saved(result)`.

The base owns:
* ctrl+s saves (a priority binding, so it works from inside an input) and `Save` button;
* esc closes an unchanged form at once and asks "Discard your changes?" (No focused)
  for a changed one;
* a field's parse error and `ValidationFailed(fields)` go to the error line of that field
  (a key no row has goes to the banner); the first field in error gets the focus;
* `Conflict` shows a banner; ctrl+r loads the saved version (`reload_call`);
* `visible_when` hides rows (and does not send them) as the other values change.
* F1 opens help from inside any field (a modal screen does not reach the app's binding,
  so the form binds it itself); "?" types a "?".
* keys typed while the form opens are held and replayed once it is focused
  (`console/keys.py`), so a burst such as `n` Tab `x` lands where it would on an open form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import (
    Button,
    Input,
    RadioSet,
    Select,
    SelectionList,
    Static,
    Switch,
    TextArea,
)

from console.calls import run_service, show_error
from console.forms.row import FieldRow
from console.forms.spec import FieldSpec
from console.keys import ready_for_keys
from console.widgets.confirm import ConfirmDialog
from console.widgets.styled_once import StyledOnce
from core.errors import Conflict, ValidationFailed
from core.i18n import _


class FormScreen(StyledOnce, ModalScreen):
    BINDINGS: ClassVar = [
        Binding("ctrl+s", "save", _("Save"), priority=True),
        Binding("escape", "cancel", _("Cancel")),
        Binding("ctrl+r", "reload", _("Reload"), show=False),
        # A modal screen cuts the app's bindings off, so F1 is bound here again; "?" is not:
        # in a field it types "?".
        Binding("f1", "app.help", _("Help"), show=False),
    ]
    # Where the focus goes first (a field name); None: the first visible field.
    FIRST: ClassVar[str | None] = None

    def __init__(self, ctx: Any = None):
        super().__init__()
        self.ctx = ctx
        # Keys typed before the fields are mounted and focused wait (console/keys.py).
        self.keys_ready = False
        self.saving = False
        self._initial: dict[str, Any] = {}

    # -- what a form declares ------------------------------------------------------------

    def title_text(self) -> str:
        raise NotImplementedError

    def fields(self) -> list[FieldSpec]:
        raise NotImplementedError

    def values(self) -> dict[str, Any]:
        """Stored values by field name (not yet formatted); {} for a new record."""
        return {}

    def save_label(self) -> str:
        return _("Save")

    def intro(self) -> ComposeResult:
        """Widgets between the title and the fields (a description)."""
        return iter(())

    def extra(self) -> ComposeResult:
        """Widgets between the fields and the buttons (a preview)."""
        return iter(())

    def check(self, data: dict[str, Any]) -> None:
        """The service's validation before the round trip; raises ValidationFailed."""

    def submit(self, data: dict[str, Any]) -> tuple[Callable, tuple, dict]:
        """(service function, args, kwargs) that saves `data`."""
        raise NotImplementedError

    def reload_call(self) -> tuple[Callable, tuple] | None:
        """(service function, args) that reads the saved record; None: no reload."""
        return None

    def loaded(self, record: Any) -> dict[str, Any]:
        """Take a freshly read record; return the values to show."""
        return {}

    def saved(self, result: Any) -> None:
        self.dismiss(result)

    def error_field(self, key: str) -> str:
        """The row that shows a service error keyed `key` (a service may name it otherwise)."""
        return key

    # -- the shared behaviour ------------------------------------------------------------

    def compose(self) -> ComposeResult:
        values = self.values()
        with Vertical(id="form"):
            yield Static(f"[b]{self.title_text()}[/b]", id="form-title")
            yield from self.intro()
            yield Static("", id="form-banner", classes="-empty")
            for spec in self.fields():
                yield FieldRow(spec, values.get(spec.name))
            yield from self.extra()
            with Horizontal(id="form-buttons"):
                yield Button(self.save_label() + " \\[ctrl+s]", id="save", variant="primary")
                yield Button(_("Cancel") + " \\[esc]", id="cancel")

    def on_mount(self) -> None:
        self._initial = self.raw()
        self._apply_visibility()
        target = self.first_focus()
        if target is not None:
            target.focus()
        ready_for_keys(self)

    def first_focus(self) -> Widget | None:
        """The widget focused when the form opens: FIRST's input, else the first shown one."""
        row = self._row(self.FIRST) if self.FIRST else None
        if row is None:
            row = next((r for r in self.rows() if r.display), None)
        return row.control if row is not None else None

    _rows: list[FieldRow] | None = None  # composed once; found once the form is mounted

    def rows(self) -> list[FieldRow]:
        # Every value, visibility and filter-label pass asks for rows by name: a DOM query
        # each time walked the whole form once per row.
        if self._rows is None:
            rows = list(self.query(FieldRow))
            if not self.is_mounted:
                return rows
            self._rows = rows
        return self._rows

    def _row(self, name: str) -> FieldRow | None:
        return next((r for r in self.rows() if r.spec.name == name), None)

    def row(self, name: str) -> FieldRow:
        row = self._row(name)
        if row is None:
            raise KeyError(name)
        return row

    def raw(self) -> dict[str, Any]:
        return {r.spec.name: r.raw for r in self.rows()}

    @property
    def dirty(self) -> bool:
        return self.raw() != self._initial

    def _apply_visibility(self) -> None:
        raw = self.raw()
        for r in self.rows():
            if r.spec.visible_when is not None:
                r.display = bool(r.spec.visible_when(raw))

    def _changed(self) -> None:
        self._apply_visibility()
        self.changed()

    def changed(self) -> None:
        """Called after any control changed (a preview may refresh)."""

    def on_input_changed(self, event: Input.Changed) -> None:
        self._changed()

    def on_select_changed(self, event: Select.Changed) -> None:
        self._changed()

    def on_switch_changed(self, event: Switch.Changed) -> None:
        self._changed()

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        self._changed()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._changed()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self._changed()

    def data(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The values of the shown fields, and the messages of those that do not parse."""
        data: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for r in self.rows():
            if not r.display:
                continue
            try:
                data[r.spec.name] = r.spec.value_of(r.raw)
            except ValueError as exc:
                errors[r.spec.name] = str(exc)
        return data, errors

    def show_errors(self, errors: dict[str, str]) -> None:
        first = None
        mapped = {self.error_field(k): v for k, v in errors.items()}
        names = set()
        for r in self.rows():
            names.add(r.spec.name)
            message = mapped.get(r.spec.name)
            r.set_error(message)
            if message and first is None and r.display:
                first = r
        general = [v for k, v in mapped.items() if k not in names]
        self.banner("\n".join(general) if general else None)
        if first is not None:
            first.control.focus()

    def banner(self, text: str | None) -> None:
        banner = self.query_one("#form-banner", Static)
        banner.update(text or "")
        banner.set_class(not text, "-empty")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            event.stop()
            self.action_save()
        elif event.button.id == "cancel":
            event.stop()
            self.action_cancel()

    def action_save(self) -> None:
        if self.saving:
            return
        data, errors = self.data()
        if errors:
            self.show_errors(errors)
            return
        try:
            self.check(data)
        except ValidationFailed as exc:
            self.show_errors(exc.fields)
            return
        self.show_errors({})
        fn, args, kwargs = self.submit(data)
        self.saving = True
        run_service(self, fn, *args, **kwargs, on_done=self._saved, on_error=self._failed)

    def _saved(self, result: Any) -> None:
        self.saving = False
        self._initial = self.raw()
        self.saved(result)

    def _failed(self, exc: Exception) -> None:
        self.saving = False
        if isinstance(exc, ValidationFailed):
            self.show_errors(exc.fields)
        elif isinstance(exc, Conflict):
            hint = (_("ctrl+r loads the saved version (your typing is discarded); esc cancels.")
                    if self.reload_call() is not None else "")
            self.banner("⚠ " + str(exc) + ("\n" + hint if hint else ""))
        else:
            self.failed(exc)

    def failed(self, exc: Exception) -> None:
        """Anything but a validation error or a conflict."""
        show_error(self, exc)

    def action_reload(self) -> None:
        call = self.reload_call()
        if call is None:
            return
        fn, args = call

        def done(record: Any) -> None:
            values = self.loaded(record)
            for r in self.rows():
                if r.spec.name in values:
                    r.show(values[r.spec.name])
            self._initial = self.raw()
            self._apply_visibility()
            self.show_errors({})
            version = getattr(record, "version", None)
            if version is not None:
                self.notify(_("Loaded the saved version {v}.").format(v=version))

        run_service(self, fn, *args, on_done=done)

    def action_cancel(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return
        self.app.push_screen(ConfirmDialog(_("Discard your changes?"),
                                           _("Nothing of them has been saved."),
                                           yes=_("Discard")),
                             callback=lambda yes: yes and self.dismiss(None))
