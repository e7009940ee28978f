"""Copy a value to the agent's clipboard."""

from __future__ import annotations

from core.i18n import _


def copy_to_clipboard(node, value: str) -> None:
    """OSC 52: reaches the agent's own clipboard through SSH and tmux (set-clipboard on)."""
    node.app.copy_to_clipboard(value)
    node.notify(_("Copied {value}").format(value=value))
