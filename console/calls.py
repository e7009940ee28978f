"""Run a core service call off the event loop and hand its result back to the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.dom import DOMNode

from core.errors import Conflict, KontorError, NotFound, PermissionDenied, ValidationFailed
from core.i18n import _


def show_error(node: DOMNode, exc: Exception) -> None:
    """A notification a person can act on; unexpected errors say so instead of crashing."""
    if isinstance(exc, PermissionDenied):
        node.app.notify(str(exc), title=_("Not allowed"), severity="error")
    elif isinstance(exc, Conflict):
        node.app.notify(str(exc), title=_("Changed meanwhile"), severity="warning", timeout=10)
    elif isinstance(exc, NotFound):
        node.app.notify(str(exc), title=_("Not found"), severity="warning")
    elif isinstance(exc, ValidationFailed):
        node.app.notify("\n".join(exc.fields.values()), title=_("Not saved"), severity="error")
    elif isinstance(exc, KontorError):
        node.app.notify(str(exc), severity="error")
    else:
        node.app.notify(f"{type(exc).__name__}: {exc}", title=_("Unexpected error"),
                        severity="error", timeout=15)


def run_service(node: DOMNode, fn: Callable[..., Any], *args: Any,
                on_done: Callable[[Any], None] | None = None,
                on_error: Callable[[Exception], None] | None = None,
                group: str = "service", exclusive: bool = False, **kwargs: Any) -> None:
    """Call `fn(*args, **kwargs)` in a thread worker; `on_done`/`on_error` run on the UI thread."""

    def job() -> None:
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # every failure reaches the user as a message
            handler = on_error or (lambda e: show_error(node, e))
            node.app.call_from_thread(handler, exc)
            return
        if on_done is not None:
            node.app.call_from_thread(on_done, result)

    node.run_worker(job, thread=True, group=group, exclusive=exclusive, exit_on_error=False)
