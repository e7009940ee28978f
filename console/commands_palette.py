"""The command palette: every action of the screen underneath plus the global ones."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from console.screens.help import HIDDEN_ACTIONS, describe_bindings
from core.i18n import _


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


__all__ = ["KontorCommands", "describe_bindings"]
