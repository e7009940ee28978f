""""Create version": who is affected by a change that needs a new plan version."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    RadioButton,
    RadioSet,
    Static,
)

from console.screens.plan.fields import (
    describe_changes,
)
from console.widgets.choice import Choice
from core.i18n import _, ngettext
from core.schemas.plans import (
    AffectedSubscribers,
)
from core.schemas.plans import Plan as PlanOut


class NewVersionDialog(ModalScreen[str | None]):
    """Create new version: who is affected and how many, then confirm (ctrl+s)."""

    DEFAULT_CSS = """
    NewVersionDialog { align: center middle; }
    NewVersionDialog #version-dialog { width: 76; max-width: 100%; height: auto;
        max-height: 100%; padding: 0 1; background: $panel; border: thick $warning; }
    NewVersionDialog #version-changes { height: auto; max-height: 6; }
    NewVersionDialog RadioSet { width: 100%; height: auto; }
    NewVersionDialog #version-count { height: auto; margin-top: 1; }
    NewVersionDialog #version-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    NewVersionDialog #version-buttons Button { margin-left: 2; width: auto; }
    """

    BINDINGS = [
        Binding("ctrl+s", "confirm", _("Create version"), priority=True),
        Binding("escape", "cancel", _("Cancel")),
        Binding("1", "scope('new_only')", _("Only new subscribers"), show=False),
        Binding("2", "scope('new_and_existing')", _("New and existing"), show=False),
    ]

    def __init__(self, plan: PlanOut, changes: dict[str, Any],
                 affected: AffectedSubscribers):
        super().__init__()
        self.plan, self.changes, self.affected = plan, changes, affected
        self.scope = "new_only"

    def compose(self) -> ComposeResult:
        p = self.plan
        with Vertical(id="version-dialog"):
            yield Static("[b]" + escape(_("Create version {n} of {name} ({handle})").format(
                n=p.version + 1, name=p.name, handle=p.handle)) + "[/b]")
            yield Static(escape(_("These changes need a new version:")))
            with VerticalScroll(id="version-changes"):
                yield Static(escape("\n".join("  " + line for line in describe_changes(
                    p, self.changes))))
            yield Static("[b]" + escape(_("Who is affected?")) + "[/b]")
            with RadioSet(id="version-scope", compact=True):
                yield Choice(_("[1] Only new subscribers — existing ones stay on "
                               "version {v}").format(v=p.version), value=True,
                             id="scope-new_only")
                yield Choice(_("[2] New and existing subscribers (moved at the end of "
                               "their period)"), id="scope-new_and_existing")
            yield Static("", id="version-count")
            with Horizontal(id="version-buttons"):
                yield Button(_("Cancel") + " \\[esc]", id="version-cancel", compact=True)
                yield Button(_("Create version") + " \\[ctrl+s]", id="version-confirm",
                             variant="warning", compact=True)

    def on_mount(self) -> None:
        self._count()
        self.query_one(RadioSet).focus()

    def _count(self) -> None:
        total = self.affected.total
        if self.scope == "new_only":
            text = _("Chosen: only new subscribers.") + " " + ngettext(
                "{n} live subscriber stays on its current version.",
                "{n} live subscribers stay on their current version.", total).format(n=total)
        else:
            text = _("Chosen: new and existing subscribers.") + " " + ngettext(
                "{n} live subscriber moves to version {v} at the end of its current period.",
                "{n} live subscribers move to version {v} at the end of their current period.",
                total).format(n=total, v=self.plan.version + 1)
        by_version = ", ".join(f"v{v}: {n}" for v, n in sorted(self.affected.by_version.items()))
        if by_version:
            text += " (" + by_version + ")"
        self.query_one("#version-count", Static).update(escape(text))

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self.scope = event.pressed.id.removeprefix("scope-")
        self._count()

    def action_scope(self, scope: str) -> None:
        self.query_one(f"#scope-{scope}", RadioButton).value = True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_confirm() if event.button.id == "version-confirm" else self.action_cancel()

    def action_confirm(self) -> None:
        self.dismiss(self.scope)

    def action_cancel(self) -> None:
        self.dismiss(None)
