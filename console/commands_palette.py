"""The command palette: every action of the screen underneath plus the global ones.

Kontor's provider is the palette's only one: Textual's system commands ("Theme", "Keys",
"Screenshot" … in English) are replaced by translated entries of Kontor's own, and every entry
is listed in the order of its translated title, so no language lists its entries first.
"""

from __future__ import annotations

import unicodedata
from functools import partial

from rich.align import Align
from rich.text import Text
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.widgets.option_list import Option

from console.screens.help import HIDDEN_ACTIONS, describe_bindings
from core.i18n import _


def title_order(title: str) -> tuple[str, str]:
    """Sort key of a palette title: letters without their accents, any case ("Ä" by "A")."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", title)
                    if not unicodedata.combining(c))
    return plain.casefold(), title


class KontorPalette(CommandPalette):
    """The palette with a translated prompt and "no matches" line."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("placeholder", _("Search for commands…"))
        super().__init__(**kwargs)

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual's own countdown adds an English "No matches found"; this one says it in the
        # operator's language (same timer, same option id).
        from textual.command import CommandList

        self._stop_no_matches_countdown()

        def show() -> None:
            if search_value:
                self.query_one(CommandList).add_option(Option(
                    Align.center(Text(_("No matches found"), style="not bold")),
                    disabled=True, id=self._NO_MATCHES))
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show)


class KontorCommands(Provider):
    def _commands(self) -> list[tuple[str, str, object]]:
        screen = self.screen
        app = self.app
        out: list[tuple[str, str, object]] = []
        seen = set()
        for key, active in screen.active_bindings.items():
            b = active.binding
            if not b.description or not active.enabled or b.action in seen:
                continue
            if not (b.show or b.tooltip) or b.action in HIDDEN_ACTIONS:
                continue  # cursor movement and the like: listed in ? help, not commands
            if (b.key, b.action) not in _declared(active.node):
                continue  # Textual's own (a menu's "Dismiss menu"): English, not Kontor's
            seen.add(b.action)
            target = active.node
            out.append((b.tooltip or b.description,
                        _("key: {key}").format(key=app.get_key_display(b)),
                        partial(target.run_action, b.action)))
        extra = getattr(screen, "palette_commands", None)
        if callable(extra):
            out.extend(extra())
        for label, help_text, action in app.global_commands():
            out.append((label, help_text, partial(app.run_action, action)))
        out.extend(self._system_commands())
        return sorted(out, key=lambda c: title_order(c[0]))

    def _system_commands(self) -> list[tuple[str, str, object]]:
        """What Textual's system commands offer, in the operator's language."""
        screen, app = self.screen, self.app
        out: list[tuple[str, str, object]] = [
            (_("Theme"), _("Choose a colour theme"), app.search_themes),
            (_("Screenshot"), _("Save an SVG picture of the screen"),
             lambda: app.set_timer(0.1, app.deliver_screenshot)),
        ]
        if screen.maximized is not None:
            out.append((_("Minimize"), _("Show the widget at its normal size again"),
                        screen.action_minimize))
        elif screen.focused is not None and screen.focused.allow_maximize:
            out.append((_("Maximize"), _("Show the focused widget on the whole screen"),
                        screen.action_maximize))
        return out

    async def discover(self) -> Hits:
        for label, help_text, callback in self._commands():
            yield DiscoveryHit(label, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, callback in self._commands():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), callback, help=help_text)


def _declared(node) -> set[tuple[str, str]]:
    """(key, action) of the bindings Kontor's own classes declare on `node`."""
    from console.screens.help import _own_bindings

    return {(b.key, b.action) for b in _own_bindings(node)}


__all__ = ["KontorCommands", "KontorPalette", "describe_bindings", "title_order"]
