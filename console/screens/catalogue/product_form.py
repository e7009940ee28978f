"""Create or edit a product: handle (new only), name, kind, bundle_of, and its lessons
(the lessons editor). Saved in one call with the version shown; a conflict shows the banner
and ctrl+r reloads. Read only when the product's `allowed_actions["edit"]` says why."""

from __future__ import annotations

import re
from typing import Any

from textual.app import ComposeResult

from console.forms import FieldSpec, FormScreen
from console.screens.catalogue.lessons_editor import LessonsEditor, lesson_dict
from core.i18n import _
from core.schemas.catalogue import Product
from core.services import catalogue
from core.services.context import ServiceContext

LESSON_PATH = re.compile(r"^lessons\[(\d+)\]\.?(.*)$")


def kind_options() -> list[tuple[str, str]]:
    return [(_("course"), "course"), (_("membership"), "membership")]


def _handles(raw: Any) -> list[str]:
    return [h.strip() for h in str(raw or "").replace(";", ",").split(",") if h.strip()]


class ProductForm(FormScreen):

    def __init__(self, ctx: ServiceContext, product: Product | None):
        super().__init__(ctx)
        self.product = product
        self.read_only = (product.allowed_actions.get("edit") if product is not None
                          else None)
        self._initial_lessons: list[dict[str, Any]] = []

    def title_text(self) -> str:
        p = self.product
        return _("Edit product {handle}").format(handle=p.handle) if p else _("New product")

    def fields(self) -> list[FieldSpec]:
        handle = [FieldSpec("handle", _("Handle"), placeholder=_("e.g. italiano-a1"),
                            max_length=255)]
        return [*(handle if self.product is None else []),
                FieldSpec("name", _("Name"), max_length=200),
                FieldSpec("kind", _("Kind"), "select", radio=True, choices=kind_options),
                FieldSpec("bundle_of", _("Bundle of"),
                          placeholder=_("product handles, comma-separated (a bundle)"),
                          parse=_handles, format=lambda v: ", ".join(v or ()))]

    def values(self) -> dict[str, Any]:
        p = self.product
        if p is None:
            return {"kind": "course"}
        return {"name": p.name, "kind": p.kind, "bundle_of": p.bundle_of}

    def extra(self) -> ComposeResult:
        yield LessonsEditor(self.product.lessons if self.product else [],
                            read_only=self.read_only is not None)

    @property
    def editor(self) -> LessonsEditor:
        return self.query_one(LessonsEditor)

    def on_mount(self) -> None:
        super().on_mount()
        self._initial_lessons = [dict(x) for x in self.editor.lessons]
        if self.read_only:
            self.banner(self.read_only)
            for r in self.rows():
                r.control.disabled = True
            self.editor.table.focus()

    @property
    def dirty(self) -> bool:
        return super().dirty or self.editor.lessons != self._initial_lessons

    def on_lessons_editor_changed(self, event: LessonsEditor.Changed) -> None:
        self.changed()

    def data(self) -> tuple[dict[str, Any], dict[str, str]]:
        data, errors = super().data()
        data["lessons"] = [{k: v for k, v in x.items() if not (k == "key" and v is None)}
                           for x in self.editor.lessons]
        return data, errors

    def show_errors(self, errors: dict[str, str]) -> None:
        shown: dict[str, str] = {}
        for key, why in errors.items():
            m = LESSON_PATH.match(key)
            if m:
                n = int(m.group(1)) + 1
                shown[f"lesson-{n}-{m.group(2)}"] = _("Lesson {n}: {field}: {error}").format(
                    n=n, field=m.group(2) or "", error=why)
            elif key == "lessons":
                shown["lessons-general"] = _("Lessons: {error}").format(error=why)
            else:
                shown[key] = why
        super().show_errors(shown)

    def check(self, data: dict[str, Any]) -> None:
        # The service's own rules before the round trip; the keys are the service's to give.
        lessons = [{k: v for k, v in x.items() if k != "key"} for x in data["lessons"]]
        handle = {"handle": self.product.handle} if self.product else {}
        catalogue.parse_product({**handle, **data, "lessons": lessons})

    def action_save(self) -> None:
        if self.read_only:
            self.notify(self.read_only, severity="warning")
            return
        super().action_save()

    def submit(self, data: dict[str, Any]):
        if self.product is None:
            return catalogue.create_product, (self.ctx, data), {}
        return (catalogue.update_product, (self.ctx, self.product.handle, data),
                {"expected_version": self.product.version})

    def reload_call(self):
        if self.product is None:
            return None
        return catalogue.get_product, (self.ctx, self.product.handle)

    def loaded(self, record: Product) -> dict[str, Any]:
        self.product = record
        self.editor.set_lessons(record.lessons)
        self._initial_lessons = [lesson_dict(x) for x in record.lessons]
        return self.values()
