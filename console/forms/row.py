"""One form row: the label, the input its kind asks for, a help line and the error line."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, RadioSet, Select, SelectionList, Static, TextArea

from console.forms.spec import FieldSpec
from console.widgets.choice import Choice
from console.widgets.lists import MarkedSelectionList, YesNoSwitch
from console.widgets.picker import Picker
from core.i18n import _


class FieldRow(Vertical):
    """`#field-NAME` holds `#input-NAME` and `#error-NAME` (empty when the value is fine)."""

    DEFAULT_CSS = """
    FieldRow { height: auto; }
    FieldRow > Horizontal { height: auto; }
    FieldRow Label { width: 12; padding: 0 1 0 0; }
    FieldRow Input { width: 1fr; }
    FieldRow Picker { width: 1fr; }
    FieldRow Select { width: 1fr; }
    FieldRow RadioSet { layout: horizontal; width: 1fr; height: auto; }
    FieldRow RadioSet > RadioButton { width: auto; margin-right: 3; }
    FieldRow SelectionList { width: 1fr; height: auto; max-height: 6; }
    FieldRow TextArea { width: 1fr; height: 4; }
    FieldRow .field-help { color: $text-muted; padding-left: 12; height: auto; }
    FieldRow .field-error { color: $error; padding-left: 12; height: auto; }
    FieldRow .field-error.-empty { display: none; }
    """

    def __init__(self, spec: FieldSpec, value: Any = None):
        super().__init__(id=f"field-{spec.name}")
        self.spec = spec
        self.initial = spec.shown_value(value)

    # `field` keeps the name FormField rows had, for code that reads `row.field.name`.
    @property
    def field(self) -> FieldSpec:
        return self.spec

    def compose(self) -> ComposeResult:
        spec, ident = self.spec, f"input-{self.spec.name}"
        with Horizontal():
            yield Label(spec.label)
            if spec.kind == "switch":
                yield YesNoSwitch(bool(self.initial), id=ident)
            elif spec.kind == "select" and spec.radio:
                options = spec.options()
                chosen = self.initial if any(v == self.initial for _l, v in options) else (
                    options[0][1])
                with RadioSet(id=ident, compact=True):
                    for label, v in options:
                        yield Choice(label, value=v == chosen, id=v)
            elif spec.kind == "select":
                options = spec.options()
                value = self.initial if any(v == self.initial for _l, v in options) else (
                    Select.NULL if spec.allow_blank or not options else options[0][1])
                yield Select(options, value=value, allow_blank=spec.allow_blank, id=ident,
                             prompt=_("— none —"), compact=True)
            elif spec.kind == "multi":
                chosen = set(self.initial or ())
                # An unticked box is drawn empty: the choice reads without colour too.
                yield MarkedSelectionList(*[(label, v, v in chosen)
                                            for label, v in spec.options()],
                                          id=ident, compact=True)
            elif spec.kind == "picker":
                yield Picker(spec.source, self.initial, id=ident,
                             placeholder=spec.placeholder)
            elif spec.multiline:
                yield TextArea(self.initial, id=ident, compact=True)
            else:
                yield Input(self.initial, placeholder=spec.placeholder, id=ident, compact=True,
                            max_length=spec.max_length)
        if spec.help:
            yield Static(spec.help, classes="field-help", id=f"help-{spec.name}")
        yield Static("", classes="field-error -empty", id=f"error-{spec.name}")

    @property
    def control(self) -> Widget:
        return self.query_one(f"#input-{self.spec.name}")

    @property
    def raw(self) -> Any:
        """The control's value as it is: text, bool, a choice or a list of choices."""
        c = self.control
        if isinstance(c, TextArea):
            return c.text
        if isinstance(c, SelectionList):
            return list(c.selected)
        if isinstance(c, Select):
            return None if c.value is Select.NULL else c.value
        if isinstance(c, RadioSet):
            return c.pressed_button.id if c.pressed_button else None
        return c.value

    @raw.setter
    def raw(self, v: Any) -> None:
        c = self.control
        if isinstance(c, TextArea):
            c.text = v
        elif isinstance(c, SelectionList):
            c.deselect_all()
            for item in v or ():
                c.select(item)
        elif isinstance(c, Select):
            c.value = Select.NULL if v is None else v
        elif isinstance(c, RadioSet):
            for button in c.query(Choice):
                button.value = button.id == v
        else:
            c.value = v

    # Rows of text read and write `value` like FormField did.
    @property
    def value(self) -> Any:
        return self.raw

    @value.setter
    def value(self, v: Any) -> None:
        self.raw = v

    def show(self, stored: Any) -> None:
        """Show a stored value (formatted by the spec)."""
        self.raw = self.spec.shown_value(stored)

    def set_error(self, message: str | None) -> None:
        err = self.query_one(".field-error", Static)
        err.update(("✗ " + message) if message else "")
        err.set_class(not message, "-empty")
