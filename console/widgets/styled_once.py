"""A screen is styled once when it first opens, not twice.

Textual styles every widget as it is mounted, and then, when the new screen resumes (becomes
the current one), styles the whole screen again (`ScreenResume.refresh_styles`). For a screen
pushed for the first time that second pass finds what the first one found: on the plan form
(~240 widgets) it was a tenth of the CPU its opening took. `StyledOnce` skips it on the first
resume only; later resumes (coming back to the screen, perhaps after a theme change) restyle
as Textual does.
"""

from __future__ import annotations

from textual import events


class StyledOnce:
    """Screen mixin: no second styling pass when the screen first becomes current. List it
    before `Screen`: Textual calls the `_on_screen_resume` of every class of the MRO in order,
    so this one marks the event before `Screen`'s reads it (no super() call)."""

    _resumed_before = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._resumed_before:
            self._resumed_before = True
            event.refresh_styles = False


__all__ = ["StyledOnce"]
