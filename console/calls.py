"""The one worker path: run a core service call off the event loop and hand its result back.

`run_service` never loses an error: one raised by the service goes to `on_error` (default
`show_error`), one raised by `on_done` is logged and shown too. A result arriving for a
cancelled worker, or for a screen that has gone (popped, unmounted), is dropped. A successful
write announces `EntityChanged(kind, id)` to every open screen (see WRITES and console/messages.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from textual.dom import DOMNode

from core.errors import Conflict, KontorError, NotFound, PermissionDenied, ValidationFailed
from core.i18n import _

log = logging.getLogger("kontor.console")

# Service functions that write, by name → the kind of record they change. The record's id is the
# result's `id` (a plan's `handle`), else the first argument after the context.
WRITES: dict[str, str] = {
    "create_contact": "contact", "update_contact": "contact", "delete_contact": "contact",
    "create_plan": "plan", "edit_plan": "plan", "create_plan_version": "plan",
    "delete_plan": "plan", "undelete_plan": "plan", "import_plans": "plan",
    "create_subscription": "subscription", "cancel_subscription": "subscription",
    "uncancel_subscription": "subscription", "expire_subscription": "subscription",
    "put_on_hold": "subscription", "reactivate_subscription": "subscription",
    "change_plan": "subscription", "cancel_pending_change": "subscription",
    "record_payment": "invoice", "record_failed_payment": "invoice",
    "credit_invoice": "invoice",
    "add_operator": "operator", "update_operator": "operator",
    "set_setting": "setting",
    "create_product": "product", "update_product": "product", "reorder_lessons": "product",
    "move_lesson": "product", "delete_product": "product", "archive_product": "product",
    "unarchive_product": "product", "import_catalogue": "product",
    "create_offer": "offer", "update_offer": "offer", "delete_offer": "offer",
    "archive_offer": "offer", "unarchive_offer": "offer",
    "create_order": "order", "pay_order": "order", "cancel_order": "order",
    "refund_order": "order",
    "update_template": "access", "switch_tariff": "access", "delete_access": "access",
    "extend_access": "access", "pause_access": "access", "resume_access": "access",
    "accept_practice": "access",
}


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


def is_gone(node: DOMNode) -> bool:
    """True when `node` no longer shows anywhere: unmounted, or its screen left every stack."""
    from textual.screen import Screen

    if not node.is_attached:
        return True
    screen = node if isinstance(node, Screen) else getattr(node, "screen", None)
    if screen is None:
        return True
    stacks = getattr(node.app, "_screen_stacks", None) or {"_": node.app.screen_stack}
    return not any(screen in stack for stack in stacks.values())


def changed_record(fn: Callable[..., Any], args: tuple, result: Any) -> tuple[str, Any] | None:
    """(kind, id) when `fn` is a write of WRITES, else None."""
    kind = WRITES.get(getattr(fn, "__name__", ""))
    if kind is None:
        return None
    for attr in ("id", "handle"):
        if kind == "plan" and attr == "id" and getattr(result, "handle", None) is not None:
            continue
        value = getattr(result, attr, None)
        if value is not None:
            return kind, value
    return kind, args[1] if len(args) > 1 else None


def deliver(node: DOMNode, callback: Callable[[Any], Any], value: Any, worker=None) -> None:
    """Run `callback(value)` on the UI thread unless `node` has gone or `worker` was cancelled;
    an exception it raises is logged and shown, never lost."""
    if (worker is not None and worker.is_cancelled) or is_gone(node):
        log.debug("dropped a result for %r: it has gone", node)
        return
    try:
        callback(value)
    except Exception as exc:  # a bug in a callback: tell the user, keep the app running
        log.exception("callback %r failed", callback)
        try:
            show_error(node, exc)
        except Exception:  # the app itself is closing
            log.exception("could not show the error")


# Workers of a flow of several confirmations (`run_flow`): they wait for the person, not for
# the database, so a test's "let the workers finish" leaves them out.
FLOW_GROUP = "flow"


def run_flow(node: DOMNode, flow: Callable[[], Any]) -> None:
    """Run the coroutine function `flow` as a worker, so it can `await
    app.push_screen_wait(dialog)` for each answer instead of nesting callbacks. An exception it
    raises is logged and shown."""

    async def guarded() -> None:
        try:
            await flow()
        except Exception as exc:
            log.exception("flow %r failed", flow)
            if not is_gone(node):
                show_error(node, exc)

    node.run_worker(guarded(), group=FLOW_GROUP, exclusive=True, exit_on_error=False)


def run_service(node: DOMNode, fn: Callable[..., Any], *args: Any,
                on_done: Callable[[Any], None] | None = None,
                on_error: Callable[[Exception], None] | None = None,
                group: str = "service", exclusive: bool = False,
                changed: tuple[str, Any] | None = None, **kwargs: Any) -> None:
    """Call `fn(*args, **kwargs)` in a thread worker; `on_done`/`on_error` run on the UI thread.

    A write (WRITES, or `changed=(kind, id)` given) announces EntityChanged on success, before
    `on_done` runs."""
    from textual.worker import get_current_worker

    def job() -> None:
        worker = get_current_worker()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # every failure reaches the user as a message
            if not worker.is_cancelled:
                node.app.call_from_thread(
                    deliver, node, on_error or (lambda e: show_error(node, e)), exc, worker)
            return
        record = changed or changed_record(fn, args, result)
        if record is not None:
            from console.messages import announce

            node.app.call_from_thread(announce, node.app, *record)
        if worker.is_cancelled:
            return
        if on_done is not None:
            node.app.call_from_thread(deliver, node, on_done, result, worker)

    node.run_worker(job, thread=True, group=group, exclusive=exclusive, exit_on_error=False)
