"""The Kontor console: areas switched with number keys, help, palette, themes."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding

import styles
from core.i18n import _
from core.services.context import ServiceContext

STYLES = Path(styles.__file__).resolve().parent


def kontor_commands():
    """The palette's provider, imported when the palette first opens (saves ~35 ms at start)."""
    from console.commands_palette import KontorCommands

    return KontorCommands


class KontorApp(App):
    """Holds the operator's context; every screen calls core services with it."""

    CSS_PATH = [STYLES / "app.tcss", STYLES / "contacts.tcss", STYLES / "forms.tcss",
                STYLES / "plans.tcss", STYLES / "plan_list.tcss"]
    COMMANDS = App.COMMANDS | {kontor_commands}
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("1", "area('contacts')", _("Contacts"), show=False),
        Binding("2", "area('plans')", _("Plans"), show=False),
        Binding("9", "area('operators')", _("Operators"), show=False),
        Binding("question_mark,f1", "help", _("Help"), key_display="?"),
        # Textual adds ctrl+p only when no binding names the palette; we add ":" as well,
        # so ctrl+p is bound here explicitly. ":" is printable: never a priority binding.
        Binding("ctrl+p", "command_palette", _("Commands"), priority=True, key_display="^p",
                show=False),  # the footer shows its own palette hint
        Binding("colon", "command_palette", _("Commands"), show=False),
        Binding("ctrl+q", "quit", _("Quit"), priority=True, show=False),  # in ? help
    ]

    def __init__(self, ctx: ServiceContext, *, demo: bool = False, theme: str | None = None):
        super().__init__()
        self.ctx = ctx
        self.demo = demo
        self._requested_theme = theme
        # One mode per area: each keeps its own screen stack, so coming back to an area
        # finds it as it was left (search, cursor, open card).
        for area, factory in self.areas().items():
            self.add_mode(area, factory)

    def areas(self) -> dict:
        """Area name -> screen factory; a screen's module is imported when first shown."""

        def contacts():
            from console.screens.contacts import ContactsScreen

            return ContactsScreen(self.ctx)

        def plans():
            from console.screens.plans import PlanListScreen

            return PlanListScreen(self.ctx)

        def operators():
            from console.screens.operators import OperatorsScreen

            return OperatorsScreen(self.ctx)

        return {"contacts": contacts, "plans": plans, "operators": operators}

    def on_mount(self) -> None:
        self.switch_mode("contacts")
        self.title = "Kontor" + (" — " + _("demo") if self.demo else "")
        if self._requested_theme:
            if self._requested_theme in self.available_themes:
                self.theme = self._requested_theme
            else:
                self.notify(_("Unknown theme {name}.").format(name=self._requested_theme),
                            severity="warning")

    def global_commands(self) -> list[tuple[str, str, str]]:
        """(label, help, action) offered by the palette on every screen."""
        return [
            (_("Go to contacts"), "1", "area('contacts')"),
            (_("Go to plans"), "2", "area('plans')"),
            (_("Go to operators"), "9", "area('operators')"),
            (_("Account settings"), _("9, then s"), "settings"),
            (_("Help: keys of this screen"), "? / F1", "help"),
            (_("Switch to the 16-colour theme"), "ansi-dark", "set_theme('ansi-dark')"),
            (_("Switch to the dark theme"), "textual-dark", "set_theme('textual-dark')"),
            (_("Switch to the light theme"), "textual-light", "set_theme('textual-light')"),
            (_("Quit"), "ctrl+q", "quit"),
        ]

    def action_area(self, area: str) -> None:
        if self.current_mode != area:
            self.switch_mode(area)

    def action_settings(self) -> None:
        """The settings screen, on top of the operators area."""
        from console.screens.settings import SettingsScreen

        if self.screen.__class__.__name__ == "SettingsScreen":
            return
        self.action_area("operators")
        self.push_screen(SettingsScreen(self.ctx))

    def action_set_theme(self, name: str) -> None:
        self.theme = name

    def action_help(self) -> None:
        from console.screens.help import HelpScreen, describe_bindings

        screen = self.screen
        if screen.__class__.__name__ == "HelpScreen":
            return
        self.push_screen(HelpScreen(_("Keys — {screen}").format(
            screen=screen.title or screen.__class__.__name__), describe_bindings(screen)))
