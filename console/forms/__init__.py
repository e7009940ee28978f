"""The form layer: declare the fields (`FieldSpec`), subclass `FormScreen`; see ARCHITECTURE.md."""

from console.forms.row import FieldRow
from console.forms.screen import FormScreen
from console.forms.spec import KINDS, FieldSpec

__all__ = ["KINDS", "FieldRow", "FieldSpec", "FormScreen"]
