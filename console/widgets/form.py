"""Form rows declared once: label, input, and the error line right under the input."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Static, TextArea


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    placeholder: str = ""
    multiline: bool = False
    max_length: int = 0


class FormField(Vertical):
    """One field: label and input on a line, its error message beneath (empty when fine)."""

    DEFAULT_CSS = """
    FormField { height: auto; }
    FormField > Horizontal { height: auto; }
    FormField Label { width: 12; padding: 0 1 0 0; }
    FormField Input { width: 1fr; }
    FormField TextArea { width: 1fr; height: 4; }
    FormField .field-error { color: $error; padding-left: 12; height: auto; }
    FormField .field-error.-empty { display: none; }
    """

    def __init__(self, field: Field, value: str = ""):
        super().__init__(id=f"field-{field.name}")
        self.field, self.initial = field, value

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.field.label)
            if self.field.multiline:
                yield TextArea(self.initial, id=f"input-{self.field.name}", compact=True)
            else:
                yield Input(self.initial, placeholder=self.field.placeholder,
                            id=f"input-{self.field.name}", compact=True,
                            max_length=self.field.max_length)
        yield Static("", classes="field-error -empty", id=f"error-{self.field.name}")

    @property
    def control(self) -> Widget:
        return self.query_one(f"#input-{self.field.name}")

    @property
    def value(self) -> str:
        control = self.control
        return control.text if isinstance(control, TextArea) else control.value

    @value.setter
    def value(self, v: str) -> None:
        control = self.control
        if isinstance(control, TextArea):
            control.text = v
        else:
            control.value = v

    def set_error(self, message: str | None) -> None:
        err = self.query_one(".field-error", Static)
        err.update(("✗ " + message) if message else "")
        err.set_class(not message, "-empty")
