"""The footer, laid out again only when what it shows changes.

Textual's `Footer` rebuilds all its keys (a dozen widgets, each styled) whenever the screen's
bindings are updated - on every focus change, although moving between two fields of a form
changes nothing it shows. `KontorFooter` compares what it would show (key, label, action,
enabled, tooltip, group, the palette key) with what it shows and rebuilds only on a
difference: on the plan form that was about a twentieth of the CPU of a Tab.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer


class KontorFooter(Footer):
    _shown: tuple | None = None  # what the keys were composed for (None: nothing yet)

    def _what_it_shows(self) -> tuple | None:
        if not self._bindings_ready:
            return None
        app = self.app
        bindings = self.screen.active_bindings
        shown = tuple(
            (b.key, app.get_key_display(b), b.description, b.action, enabled, tooltip,
             b.group)
            for (_node, b, enabled, tooltip) in bindings.values() if b.show)
        palette = None
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            found = bindings.get(app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _node, b, enabled, _tooltip = found
                palette = (b.key, app.get_key_display(b), b.description, b.action, enabled,
                           b.tooltip)
        return shown, palette, self.compact

    def compose(self) -> ComposeResult:
        self._shown = self._what_it_shows()
        yield from super().compose()

    def bindings_changed(self, screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if not self.is_attached:
            return
        if self._shown is None or self._what_it_shows() != self._shown:
            await self.recompose()


__all__ = ["KontorFooter"]
