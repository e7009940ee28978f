"""The plan list's dialogs: filter panel, sort, columns, saved views, export.

The filter panel edits the same `PlanFilter` the query line does: it writes one `key:value`
term and lets `core.plan_query.parse` read it, so both ways of filtering share one grammar.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Select, SelectionList, Static, Switch
from textual.widgets.option_list import Option

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


class FilterPanel(ModalScreen[PlanFilter | None]):
    """Pick a field, then its value with the input that fits it; ctrl+s applies them all.

    The panel edits a draft of the whole filter: leaving a field's editor (esc, or picking
    another field) keeps its value in the draft, so every field set in one visit is applied
    together. The field list marks set fields with "●" and shows their values.
    """

    BINDINGS = [
        Binding("ctrl+s", "apply", _("Apply"), priority=True),
        Binding("escape", "back", _("Back")),
        Binding("ctrl+d", "clear", _("Remove this filter")),
        Binding("f1", "app.help", _("Help"), show=False),
    ]

    def __init__(self, f: PlanFilter, today, key: str | None = None):
        super().__init__()
        self.filter, self.today, self.key = f, today, key
        self.draft = f

    def compose(self) -> ComposeResult:
        with Vertical(id="filter-panel"):
            yield Static("[b]" + escape(_("Filters")) + "[/b]  " + escape(
                _("enter picks a field · ctrl+s applies · ctrl+d removes · esc back")))
            with Horizontal():
                yield OptionList(*self._field_options(), id="filter-fields")
                with Vertical(id="filter-editor"):
                    yield Static("", id="filter-title")
                    yield MarkedSelectionList(id="filter-choices")
                    yield Select([(_(PRESET_LABELS[p]), p) for p in CREATED_PRESETS]
                                 + [(_("custom range"), "custom")], value=self.filter.created,
                                 id="filter-preset", allow_blank=False, compact=True)
                    yield Input(id="filter-value", compact=True)
                    yield Static("", id="filter-hint")
                    yield Static("", id="filter-error", classes="field-error -empty")

    def _field_options(self) -> list[Option]:
        options = []
        for key in KEYS:
            if plan_query.is_set(self.draft, key):
                label = "● " + _(LABELS[key]) + ": " + self._value_text(key)
            else:
                label = "  " + _(LABELS[key])
            options.append(Option(escape(label), id=key))
        return options

    def _value_text(self, key: str) -> str:
        if key in ENUMS:
            return ", ".join(_(ENUM_LABELS[key][v]) for v in getattr(self.draft, key))
        return plan_query.value_label(self.draft, key)

    def _refresh_fields(self) -> None:
        fields = self.query_one("#filter-fields", OptionList)
        highlighted = fields.highlighted
        fields.clear_options()
        fields.add_options(self._field_options())
        fields.highlighted = highlighted

    def on_mount(self) -> None:
        self._show_editor(None)
        fields = self.query_one("#filter-fields", OptionList)
        if self.key:
            fields.highlighted = KEYS.index(self.key)
            self._open(self.key)
        else:
            fields.focus()

    def _show_editor(self, key: str | None) -> None:
        choices = self.query_one("#filter-choices", SelectionList)
        preset = self.query_one("#filter-preset", Select)
        value = self.query_one("#filter-value", Input)
        choices.display = key in ENUMS
        preset.display = key == "created"
        value.display = key is not None and key not in ENUMS
        self.query_one("#filter-title", Static).update(
            "[b]" + escape(_(LABELS[key])) + "[/b]" if key else escape(
                _("Choose a field on the left.")))
        self.query_one("#filter-hint", Static).update(escape(hint(key)) if key else "")
        self._error(None)

    def _error(self, message: str | None) -> None:
        err = self.query_one("#filter-error", Static)
        err.update(("✗ " + escape(message)) if message else "")
        err.set_class(not message, "-empty")

    @on(OptionList.OptionSelected, "#filter-fields")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if self._keep_editor():
            self._open(event.option.id)

    def _open(self, key: str) -> None:
        self.key = key
        self._show_editor(key)
        current = plan_query.format_value(self.draft, key) if plan_query.is_set(
            self.draft, key) else ""
        if key in ENUMS:
            choices = self.query_one("#filter-choices", SelectionList)
            choices.clear_options()
            selected = set(getattr(self.draft, key))
            for v in ENUMS[key]:
                choices.add_option((escape(_(ENUM_LABELS[key][v])), v, v in selected))
            choices.highlighted = 0  # space toggles at once
            choices.focus()
        elif key == "created":
            preset = self.query_one("#filter-preset", Select)
            preset.value = self.draft.created
            value = self.query_one("#filter-value", Input)
            value.value = current if self.draft.created == "custom" else ""
            preset.focus()
        else:
            value = self.query_one("#filter-value", Input)
            value.value = current.strip('"')
            if key in MONEY:  # "9,99-20" in German; the query language reads both marks
                value.value = value.value.replace(".", decimal_mark())
            value.focus()

    def _typed_value(self) -> str:
        key = self.key
        if key in ENUMS:
            return ",".join(self.query_one("#filter-choices", SelectionList).selected)
        if key == "created":
            preset = self.query_one("#filter-preset", Select).value
            if preset == "custom":
                return self.query_one("#filter-value", Input).value
            return "" if preset == "all" else str(preset)
        return self.query_one("#filter-value", Input).value

    def _keep_editor(self) -> bool:
        """Put the open editor's value into the draft; False (and the message) if it is bad."""
        if self.key is None:
            return True
        try:
            self.draft = merge_term(self.draft, self.key, self._typed_value(), today=self.today)
        except QueryError as exc:
            self._error(exc.message)
            return False
        self._refresh_fields()
        return True

    @on(Input.Submitted, "#filter-value")
    def _submitted(self) -> None:
        self.action_apply()

    def action_apply(self) -> None:
        if self._keep_editor():
            self.dismiss(self.draft)

    def action_clear(self) -> None:
        if self.key and plan_query.is_set(self.draft, self.key):
            self.draft = plan_query.remove(self.draft, self.key)
            self._refresh_fields()
            self._open(self.key)

    def action_back(self) -> None:
        fields = self.query_one("#filter-fields", OptionList)
        if self.key is not None and not fields.has_focus:
            if not self._keep_editor():
                return
            self.key = None
            self._show_editor(None)
            fields.focus()
        elif self.draft == self.filter:
            self.dismiss(None)
        else:
            from console.widgets.confirm import ConfirmDialog

            self.app.push_screen(ConfirmDialog(_("Discard your changes?"),
                                               _("Nothing of them has been saved."),
                                               yes=_("Discard")),
                                 callback=lambda yes: yes and self.dismiss(None))


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
                yield Select([("CSV", "csv"), (_("JSON (Reepay plan objects)"), "json")],
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
