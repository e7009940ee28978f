"""The Kontor console: areas switched with number keys, help, palette, themes."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding

import styles
from console.areas import AREAS
from console.keys import KeyHold
from core.i18n import _

if TYPE_CHECKING:  # SQLAlchemy (under the services) is imported after the first frame
    from core.first_window import FirstWindow
    from core.services.context import ServiceContext

# `benchmarks/startup.py` sets this to a file: the app appends when it drew its first frame
# and its first rows, then quits.
STARTUP_PROBE = "KONTOR_STARTUP_PROBE"

STYLES = Path(styles.__file__).resolve().parent


def kontor_commands():
    """The palette's provider, imported when the palette first opens (saves ~35 ms at start)."""
    from console.commands_palette import KontorCommands

    return KontorCommands


class KontorApp(KeyHold, App):
    """Holds the operator's context; every screen calls core services with it."""

    CSS_PATH = [STYLES / "app.tcss", STYLES / "contacts.tcss", STYLES / "forms.tcss",
                STYLES / "plans.tcss", STYLES / "plan_list.tcss"]
    # Kontor's provider only: it offers Textual's system commands too, translated (see
    # console/commands_palette.py), so no English entry comes first.
    COMMANDS = {kontor_commands}
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        *(Binding(a.key, f"area('{a.mode}')", _(a.label), show=False) for a in AREAS),
        Binding("question_mark", "help", _("Help"), key_display="?"),
        # F1 is a priority binding: it opens help inside forms and inputs too.
        Binding("f1", "help", _("Help"), priority=True, show=False),
        # Textual adds ctrl+p only when no binding names the palette; we add ":" as well,
        # so ctrl+p is bound here explicitly. ":" is printable: never a priority binding.
        Binding("ctrl+p", "command_palette", _("Commands"), priority=True, key_display="^p",
                show=False),  # the footer shows its own palette hint
        Binding("colon", "command_palette", _("Commands"), show=False),
        Binding("ctrl+q", "quit", _("Quit"), priority=True, show=False),  # in ? help
    ]

    def __init__(self, ctx: ServiceContext | None = None, *, demo: bool = False,
                 theme: str | None = None,
                 connect: Callable[[Callable[[str], None]], ServiceContext] | None = None,
                 preview: Callable[[], FirstWindow | None] | None = None):
        """`ctx`, or `connect(progress)` run in a thread after the first frame is drawn (it
        opens the database and signs in; `progress` shows a line on the start screen).

        `preview()`, run in that thread first, reads the first contacts without the services
        (core/first_window.py): the contact list shows them before `connect` has imported
        the services, and gets its context when `connect` returns."""
        super().__init__()
        if self.no_color:
            # Textual's NO_COLOR filter for non-ANSI themes is Monochrome, which still sends
            # 256-colour greys; NO_COLOR means the terminal's own colours only.
            from textual.filter import Monochrome, NoColor

            self._filters = [NoColor() if isinstance(f, Monochrome) else f
                             for f in self._filters]
        self.ctx = ctx
        self._connect = connect
        self._preview = preview
        self._first_window: FirstWindow | None = None
        self._waiting_for_ctx: list = []  # screens made before the database was open
        self._preview_drawn = threading.Event()
        self._probe = os.environ.get(STARTUP_PROBE)
        self.demo = demo
        self._requested_theme = theme
        # One mode per area: each keeps its own screen stack, so coming back to an area
        # finds it as it was left (search, cursor, open card).
        for mode, factory in self.areas().items():
            self.add_mode(mode, factory)

    async def on_event(self, event) -> None:
        # Keys typed while a screen opens wait for it, then arrive in order (console/keys.py).
        if self._hold_key(event):
            return
        await super().on_event(event)

    def areas(self) -> dict:
        """Mode -> screen factory (console/areas.py); a screen's module is imported when
        first shown."""
        return {a.mode: (lambda a=a: self._make_area(a)) for a in AREAS}

    def _make_area(self, area):
        if self.ctx is not None or area.mode != "contacts":
            return area.make(self.ctx)
        from console.screens.contacts import ContactsScreen

        screen = ContactsScreen(None, self._first_window)
        self._waiting_for_ctx.append(screen)
        return screen

    def on_mount(self) -> None:
        self.title = "Kontor" + (" — " + _("demo") if self.demo else "")
        if self.ctx is None:
            from console.screens.start import StartScreen

            self.push_screen(StartScreen())
            # After the first frame: the worker's imports would hold the GIL while it draws.
            self.call_after_refresh(self.run_worker, self._open, thread=True,
                                    exit_on_error=False)
        else:
            self.switch_mode("contacts")
        if self._probe:
            self.call_after_refresh(self._probe_event, "first_frame")
        if self._requested_theme:
            if self._requested_theme in self.available_themes:
                self.theme = self._requested_theme
            else:
                self.notify(_("Unknown theme {name}.").format(name=self._requested_theme),
                            severity="warning")

    def _open(self) -> None:
        """Worker: open the database and sign in, then show the first area."""

        def progress(message: str) -> None:
            self.call_from_thread(self._start_progress, message)

        if self._preview is not None:
            try:
                first = self._preview()
                if first is not None:
                    self._warm_up()
            except Exception:  # noqa: BLE001 - no preview: the list comes with the context
                first = None
            if first is not None:
                self.call_from_thread(self._show_preview, first)
                # Let the rows be drawn before this thread's imports compete for the GIL.
                self._preview_drawn.wait(1.0)
        try:
            ctx = self._connect(progress)
        except Exception as exc:  # a KontorError says what is wrong; anything else too
            message = _("kontor: {error}").format(error=exc)
            self.call_from_thread(self.exit, None, 1, message)
            return
        self.call_from_thread(self._connected, ctx)

    @staticmethod
    def _warm_up() -> None:
        """What showing the preview needs, loaded off the event loop: the contact list's
        module and the locale data its dates and numbers are formatted with."""
        from datetime import date

        from console.screens.contacts import contact_columns
        from core.i18n import format_number, format_short_date

        contact_columns()
        format_short_date(date(2000, 1, 1))
        format_number(1000)

    def _show_preview(self, first: FirstWindow) -> None:
        from console.screens.start import StartScreen

        if self.ctx is not None or not isinstance(self.screen, StartScreen):
            self._preview_drawn.set()
            return
        self._first_window = first
        self.switch_mode("contacts")
        self.call_after_refresh(self._preview_drawn.set)

    def _start_progress(self, message: str) -> None:
        from console.screens.start import StartScreen

        if isinstance(self.screen, StartScreen):
            self.screen.show(message)

    def _connected(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._first_window = None
        waiting, self._waiting_for_ctx = self._waiting_for_ctx, []
        for screen in waiting:
            screen.connected(ctx)
        if not waiting:
            self.switch_mode("contacts")

    def on_windowed_table_cursor_moved(self, event) -> None:
        if not self._preview_drawn.is_set():
            self.call_after_refresh(self._preview_drawn.set)
        if self._probe and event.row is not None:
            self._probe, probe = None, self._probe
            self.call_after_refresh(self._probe_event, "first_rows", probe, True)

    def _probe_event(self, event: str, path: str | None = None, done: bool = False) -> None:
        path = path or self._probe
        if path:
            with open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps({"event": event, "t": time.time(),
                                    "cpu": time.process_time()}) + "\n")
        if done:
            self.exit()

    def global_commands(self) -> list[tuple[str, str, str]]:
        """(label, help, action) offered by the palette on every screen."""
        return [
            *((_(a.command), a.key, f"area('{a.mode}')") for a in AREAS),
            (_("Pending cancellations"), _("7, then p"), "follow_up('pending')"),
            (_("Expiring soon"), _("7, then x"), "follow_up('expiring')"),
            (_("Overdue accesses"), _("7, then o"), "follow_up('overdue')"),
            (_("Account settings"), _("9, then s"), "settings"),
            (_("Help: keys of this screen"), "? / F1", "help"),
            (_("Switch to the 16-colour theme"), "ansi-dark", "set_theme('ansi-dark')"),
            (_("Switch to the dark theme"), "textual-dark", "set_theme('textual-dark')"),
            (_("Switch to the light theme"), "textual-light", "set_theme('textual-light')"),
            (_("Quit"), "ctrl+q", "quit"),
        ]

    def action_area(self, area: str) -> None:
        if self.ctx is None:  # the database is still opening: the start screen stays
            return
        if self.current_mode != area:
            self.switch_mode(area)

    def action_follow_up(self, which: str) -> None:
        """Area 7 on one of its lists (the palette's "Pending cancellations" …)."""
        if self.ctx is None:
            return
        from console.screens.follow_up import FollowUpScreen

        self.action_area("follow_up")
        while len(self.screen_stack) > 1 and not isinstance(self.screen, FollowUpScreen):
            self.pop_screen()
        self.screen.action_show_list(which)

    def show_subscriptions(self, filter_text: str) -> None:
        """The subscriptions area, filtered (e.g. `plan:gold` from the plan list's `b`)."""
        from console.screens.subscriptions import SubscriptionsScreen

        self.action_area("subscriptions")
        while len(self.screen_stack) > 1 and not isinstance(self.screen, SubscriptionsScreen):
            self.pop_screen()
        self.screen.apply_filter(filter_text)

    def action_settings(self) -> None:
        """The settings screen, on top of the operators area."""
        from console.screens.settings import SettingsScreen

        if self.screen.__class__.__name__ == "SettingsScreen" or self.ctx is None:
            return
        self.action_area("operators")
        self.push_screen(SettingsScreen(self.ctx))

    def action_command_palette(self) -> None:
        """The palette with its prompt in the operator's language."""
        from textual.command import CommandPalette

        from console.commands_palette import KontorPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(KontorPalette(id="--command-palette"))

    def search_themes(self) -> None:
        from textual.theme import ThemeProvider

        from console.commands_palette import KontorPalette

        self.push_screen(KontorPalette(providers=[ThemeProvider],
                                       placeholder=_("Search for themes…")))

    def action_help_quit(self) -> None:
        """ctrl+c does not quit: say which key does (Textual says it in English)."""
        self.notify(_("Press {key} to quit Kontor.").format(key="ctrl+q"),
                    title=_("Do you want to quit?"))

    def action_set_theme(self, name: str) -> None:
        self.theme = name

    def action_help(self) -> None:
        from console.screens.help import HelpScreen, describe_bindings, screen_name

        screen = self.screen
        if isinstance(screen, HelpScreen):  # F1 again closes it
            screen.dismiss(None)
            return
        self.push_screen(HelpScreen(_("Keys — {screen}").format(screen=screen_name(screen)),
                                    describe_bindings(screen)))
