"""The plan list's dialogs: filter panel, sort, columns, saved views, export.

The filter panel (a FormScreen of console/forms/) edits the same `PlanFilter` the query line
does: each of its rows is one `key:value` term that `core.plan_query.parse` reads, so both
ways of filtering share one grammar.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Select, SelectionList, Static, Switch
from textual.widgets.option_list import Option

from console.forms import FieldRow, FieldSpec, FormScreen
from console.widgets.lists import MarkedSelectionList, YesNoSwitch
from core import plan_query
from core.i18n import _, decimal_mark, format_number, ngettext
from core.plan_query import (
    CREATED_PRESETS,
    ENUM_LABELS,
    ENUMS,
    KEYS,
    LABELS,
    MONEY,
    NUMBERS,
    PRESET_LABELS,
    PlanFilter,
    QueryError,
)
from core.services.plan_catalogue import COLUMN_LABELS, COLUMNS, PlanSort


def merge_term(f: PlanFilter, key: str, value: str, *, today) -> PlanFilter:
    """`f` with `key` set to `value` as typed in the query language ("" removes it)."""
    base = plan_query.remove(f, key) if plan_query.is_set(f, key) else f
    if not value.strip():
        return base
    text = plan_query.format(base)
    term = f"{key}:{value.strip()}"
    if key not in ENUMS and key != "created" and (" " in value or '"' in value):
        term = f'{key}:"' + value.strip().replace("\\", "\\\\").replace('"', '\\"') + '"'
    try:
        return plan_query.parse(f"{text} {term}".strip(), today=today)
    except QueryError as exc:
        # Point at the typed value: the rest of the query was valid already.
        raise QueryError(max(exc.position - len(text) - 1 - len(key) - 1, 0), exc.length,
                         exc.message) from None


def hint(key: str) -> str:
    if key in MONEY:
        return _("amount in major units: 10, 9.99 or a range 10-50")
    if key in NUMBERS:
        return _("a number or a range: 3, 1-12, 5- (at least), -5 (at most)")
    if key == "created":
        return _("or a custom range: 2025-01-01..2025-06-30")
    if key in plan_query.WORD_TEXT:
        return _("every word must appear")
    if key in plan_query.FRAGMENT_TEXT:
        return _("any part of the name, any case")
    return _("exact value")


class FilterPanel(FormScreen):
    """Pick a field on the left, set its value on the right; ctrl+s applies them all.

    A form of the forms layer: one declared field (FieldSpec, one `FieldRow` with its inline
    error) per filter key, of which the editor pane shows the one picked. Every row keeps its
    value while another is edited, so every field set in one visit is applied together
    (defect 8); the field list marks set fields with "●" and shows their values, translated.
    esc leaves the editor for the field list, and on the list closes the panel (asking first
    when something changed: the FormScreen's dirty check).
    """

    BINDINGS: ClassVar = [
        Binding("ctrl+s", "save", _("Apply"), priority=True),
        Binding("escape", "cancel", _("Back")),
        # Priority: it works from inside the value's input too (whose own ctrl+d deletes a
        # character), as the panel's header promises.
        Binding("ctrl+d", "clear", _("Remove this filter"), priority=True),
    ]

    def __init__(self, f: PlanFilter, today, key: str | None = None):
        super().__init__()
        self.filter, self.today, self.key = f, today, key

    # -- what the form declares --------------------------------------------------------

    def title_text(self) -> str:
        return escape(_("Filters"))

    def fields(self) -> list[FieldSpec]:
        specs = []
        for key in KEYS:
            shown = (lambda raw, k=key: self.key == k)
            if key in ENUMS:
                specs.append(FieldSpec(key, _(LABELS[key]), "multi", visible_when=shown,
                                       choices=[(escape(_(ENUM_LABELS[key][v])), v)
                                                for v in ENUMS[key]],
                                       parse=",".join, help=hint(key)))
            elif key == "created":
                specs.append(FieldSpec(key, _(LABELS[key]), "select", visible_when=shown,
                                       choices=[(_(PRESET_LABELS[p]), p) for p in CREATED_PRESETS]
                                       + [(_("custom range"), "custom")]))
                specs.append(FieldSpec(
                    "created_range", _("Range"), visible_when=lambda raw: (
                        self.key == "created" and raw.get("created") == "custom"),
                    placeholder="2025-01-01..2025-06-30", help=hint(key)))
            else:
                specs.append(FieldSpec(key, _(LABELS[key]), visible_when=shown,
                                       help=hint(key)))
        return specs

    def values(self) -> dict[str, object]:
        f, values = self.filter, {}
        for key in KEYS:
            if key in ENUMS:
                values[key] = list(getattr(f, key))
            elif key == "created":
                values[key] = f.created
                values["created_range"] = (plan_query.format_value(f, key)
                                           if f.created == "custom" else "")
            elif plan_query.is_set(f, key):
                values[key] = plan_query.format_value(f, key)
                if key in MONEY:  # "9,99-20" in German; the query language reads both marks
                    values[key] = values[key].replace(".", decimal_mark())
        return values

    # -- the two panes -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        values = self.values()
        with Vertical(id="filter-panel"):
            yield Static("[b]" + self.title_text() + "[/b]  " + escape(
                _("enter picks a field · ctrl+s applies · ctrl+d removes · esc back")))
            yield Static("", id="form-banner", classes="-empty")
            with Horizontal():
                yield OptionList(id="filter-fields")
                with Vertical(id="filter-editor"):
                    yield Static(escape(_("Choose a field on the left.")), id="filter-title")
                    for spec in self.fields():
                        yield FieldRow(spec, values.get(spec.name))

    def first_focus(self):
        self._refresh_fields()
        if self.key:
            key, self.key = self.key, None
            self.query_one("#filter-fields", OptionList).highlighted = KEYS.index(key)
            return self._open(key)
        return self.query_one("#filter-fields", OptionList)

    def _typed(self, key: str) -> str:
        """The value of `key`'s row(s) in the query language ("" when not set)."""
        if key == "created":
            preset = self.row("created").raw
            if preset == "custom":
                return str(self.row("created_range").raw or "")
            return "" if preset in (None, "all") else str(preset)
        return str(self.row(key).spec.value_of(self.row(key).raw) or "")

    def _term(self, key: str, base: PlanFilter) -> PlanFilter:
        """`base` with `key` set as its row says; QueryError when the row does not parse."""
        return merge_term(base, key, self._typed(key), today=self.today)

    def data(self) -> tuple[dict[str, object], dict[str, str]]:
        """Every row, shown or not (the draft of the whole filter), and the rows in error."""
        f, errors = PlanFilter(), {}
        for key in KEYS:
            try:
                f = self._term(key, f)
            except QueryError as exc:
                errors["created_range" if key == "created" else key] = exc.message
        return {"filter": f}, errors

    def _field_options(self) -> list[Option]:
        options = []
        for key in KEYS:
            try:
                alone = self._term(key, PlanFilter())
            except QueryError:
                alone = PlanFilter()
            if plan_query.is_set(alone, key):
                label = "● " + _(LABELS[key]) + ": " + value_text(alone, key)
            else:
                label = "  " + _(LABELS[key])
            options.append(Option(escape(label), id=key))
        return options

    def _refresh_fields(self) -> None:
        fields = self.query_one("#filter-fields", OptionList)
        highlighted = fields.highlighted
        fields.clear_options()
        fields.add_options(self._field_options())
        fields.highlighted = highlighted if highlighted is not None else 0

    def _open(self, key: str | None):
        """Show `key`'s row in the editor (None: none) and return the control to focus."""
        self.key = key
        self._apply_visibility()
        self.query_one("#filter-title", Static).display = key is None
        if key is None:
            return self.query_one("#filter-fields", OptionList)
        control = self.row(key).control
        if isinstance(control, SelectionList):
            control.highlighted = 0  # space toggles at once
        return control

    def _keep_editor(self) -> bool:
        """The open row's value is good (the marks show it), else its error and False."""
        if self.key is None:
            return True
        try:
            self._term(self.key, PlanFilter())
        except QueryError as exc:
            name = "created_range" if self.key == "created" else self.key
            self.show_errors({name: exc.message})
            return False
        self.show_errors({})
        self._refresh_fields()
        return True

    def changed(self) -> None:
        if self.is_mounted:
            self._refresh_fields()  # the marks follow what is typed or ticked

    @on(OptionList.OptionSelected, "#filter-fields")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if self._keep_editor():
            self._open(event.option.id).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    # -- the form's keys -----------------------------------------------------------------

    def action_save(self) -> None:
        (data, errors) = self.data()
        if errors:
            first = next(k for k in KEYS if k in errors or (
                k == "created" and "created_range" in errors))
            self._open(first)
            self.show_errors(errors)
            return
        self._initial = self.raw()
        self.dismiss(data["filter"])

    def action_clear(self) -> None:
        if self.key is None:
            return
        rows = [self.row(self.key)] + ([self.row("created_range")]
                                       if self.key == "created" else [])
        for r in rows:
            r.raw = [] if r.spec.kind == "multi" else ("all" if r.spec.kind == "select" else "")
        self.show_errors({})
        self._refresh_fields()
        self._open(self.key).focus()

    def action_cancel(self) -> None:
        fields = self.query_one("#filter-fields", OptionList)
        if self.key is not None and not fields.has_focus:
            if self._keep_editor():
                self._open(None).focus()
            return
        super().action_cancel()  # unchanged: close; changed: "Discard your changes?"


def value_text(f: PlanFilter, key: str) -> str:
    """A filter's value as the panel lists it: choices by their translated labels."""
    if key in ENUMS:
        return ", ".join(_(ENUM_LABELS[key][v]) for v in getattr(f, key))
    return plan_query.value_label(f, key)


class SortPicker(ModalScreen[PlanSort | None]):
    BINDINGS = [Binding("escape", "dismiss_none", _("Cancel"))]

    def __init__(self, current: PlanSort):
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        options = []
        for col in COLUMNS:
            for desc in (False, True):
                mark = "↓" if desc else "↑"
                now = "  ●" if (col == self.current.column and desc == self.current.descending) \
                    else ""
                options.append(Option(f"{_(COLUMN_LABELS[col])} {mark}{now}",
                                      id=f"{col}:{'desc' if desc else 'asc'}"))
        with Vertical(id="picker"):
            yield Static("[b]" + escape(_("Sort by")) + "[/b]")
            yield OptionList(*options, id="sort-options")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = COLUMNS.index(self.current.column) * 2 + int(
            self.current.descending)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(PlanSort.parse(event.option.id))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class ColumnsPicker(ModalScreen[list[str] | None]):
    """space toggles a column, ctrl+s or enter applies (at least one column stays)."""

    BINDINGS = [Binding("ctrl+s", "apply", _("Apply"), priority=True),
                Binding("escape", "dismiss_none", _("Cancel"))]

    def __init__(self, visible: list[str]):
        super().__init__()
        self.shown_columns = visible

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("[b]" + escape(_("Columns")) + "[/b]  " + escape(
                _("space shows/hides · ctrl+s applies")))
            yield MarkedSelectionList(*[(_(COLUMN_LABELS[c]), c, c in self.shown_columns)
                                  for c in COLUMNS], id="columns")
            yield Static("", id="columns-error", classes="field-error -empty")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_apply(self) -> None:
        chosen = [c for c in COLUMNS if c in self.query_one(SelectionList).selected]
        if not chosen:
            err = self.query_one("#columns-error", Static)
            err.update("✗ " + escape(_("Keep at least one column.")))
            err.remove_class("-empty")
            return
        self.dismiss(chosen)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class SaveViewDialog(ModalScreen[tuple[str, bool] | None]):
    BINDINGS = [Binding("ctrl+s", "save", _("Save"), priority=True),
                Binding("escape", "dismiss_none", _("Cancel"))]

    def __init__(self, name: str = "", *, can_share: bool):
        super().__init__()
        self.initial, self.can_share = name, can_share

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("[b]" + escape(_("Save view")) + "[/b]  " + escape(
                _("filters, columns and sort, under a name")))
            yield Input(self.initial, placeholder=_("Name of the view"), id="view-name",
                        compact=True)
            yield Static("", id="view-error", classes="field-error -empty")
            if self.can_share:
                with Horizontal(classes="form-row"):
                    yield Static(_("Share"), classes="form-label")
                    yield YesNoSwitch(False, id="view-shared")

    def on_mount(self) -> None:
        self.query_one("#view-name", Input).focus()

    def on_input_submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        name = self.query_one("#view-name", Input).value.strip()
        if not name:
            err = self.query_one("#view-error", Static)
            err.update("✗ " + escape(_("Give the view a name.")))
            err.remove_class("-empty")
            return
        shared = self.query_one("#view-shared", Switch).value if self.can_share else False
        self.dismiss((name, shared))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class ViewsDialog(ModalScreen[tuple[str, object] | None]):
    """enter opens a view; d deletes it. Returns ("open"|"delete", view)."""

    BINDINGS = [Binding("escape", "dismiss_none", _("Cancel")),
                Binding("d", "delete", _("Delete view"))]

    def __init__(self, views: list, operator: str):
        super().__init__()
        self.views, self.operator = views, operator

    def compose(self) -> ComposeResult:
        options = []
        for v in self.views:
            owner = "" if v.owner == self.operator else " " + _("(shared by {who})").format(
                who=v.owner)
            shared = " " + _("[shared]") if v.shared and v.owner == self.operator else ""
            options.append(Option(escape(f"{v.name}{owner}{shared}"), id=str(v.id)))
        with Vertical(id="picker"):
            yield Static("[b]" + escape(_("Saved views")) + "[/b]  " + escape(
                _("enter opens · d deletes")))
            if options:
                yield OptionList(*options, id="views")
            else:
                yield Static(escape(_("No saved views yet: v saves the current one.")))

    def on_mount(self) -> None:
        if self.views:
            self.query_one(OptionList).focus()

    def _current(self):
        if not self.views:
            return None
        index = self.query_one(OptionList).highlighted
        return self.views[index] if index is not None else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(("open", self._current()))

    def action_delete(self) -> None:
        view = self._current()
        if view is not None:
            self.dismiss(("delete", view))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


def default_export_path(fmt: str) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return str(Path(os.environ.get("KONTOR_EXPORT_DIR") or Path.home())
               / f"kontor-plans-{stamp}.{fmt}")


class ExportDialog(ModalScreen[tuple[str, str] | None]):
    """Format and file; exactly the rows the filter shows, in the list's order."""

    BINDINGS = [Binding("ctrl+s", "export", _("Export"), priority=True),
                Binding("escape", "dismiss_none", _("Cancel"))]

    def __init__(self, count: int):
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("[b]" + escape(ngettext("Export {n} plan", "Export {n} plans", self.count)
                                        .format(n=format_number(self.count))) + "[/b]")
            with Horizontal(classes="form-row"):
                yield Static(_("Format"), classes="form-label")
                yield Select([("CSV", "csv"), ("JSON (Reepay plan objects)", "json")],
                             value="csv", allow_blank=False, id="export-format",
                             compact=True)
            with Horizontal(classes="form-row"):
                yield Static(_("File"), classes="form-label")
                yield Input(default_export_path("csv"), id="export-path", compact=True)
            yield Static("", id="export-error", classes="field-error -empty")
            yield Static(escape(_("ctrl+s exports · esc cancels")))

    def on_mount(self) -> None:
        self.query_one("#export-format", Select).focus()

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        path = self.query_one("#export-path", Input)
        stem, _dot, ext = path.value.rpartition(".")
        if ext in ("csv", "json"):
            path.value = f"{stem}.{event.value}"

    def action_export(self) -> None:
        path = self.query_one("#export-path", Input).value.strip()
        parent = Path(path).expanduser().parent
        if not path or not parent.is_dir():
            err = self.query_one("#export-error", Static)
            err.update("✗ " + escape(_("The folder {folder} does not exist.").format(
                folder=parent)))
            err.remove_class("-empty")
            return
        self.dismiss((str(self.query_one("#export-format", Select).value),
                      str(Path(path).expanduser())))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
