"""Delete and undelete a plan: ask (No focused), then let the service have the last word."""

from __future__ import annotations

from collections.abc import Callable

from rich.markup import escape
from textual.screen import Screen

from console.calls import run_service
from console.widgets.confirm import ConfirmDialog
from core.i18n import _, ngettext
from core.schemas.plans import Plan as PlanOut
from core.services import plans as plan_service
from core.services.context import ServiceContext


def _current_and_affected(ctx: ServiceContext, handle: str):
    return (plan_service.get_plan(ctx, handle),
            plan_service.count_affected_subscribers(ctx, handle))


def _refused(screen: Screen, current: PlanOut, action: str) -> bool:
    """Say why the plan's state refuses `action` (core's table, shipped on the plan) rather
    than asking a question whose Yes the service would refuse."""
    reason = current.allowed_actions.get(action)
    if reason is not None:
        screen.notify(reason, severity="warning")
    return reason is not None


def confirm_delete_plan(screen: Screen, ctx: ServiceContext, plan: PlanOut,
                        on_done: Callable[[PlanOut], None] | None = None) -> None:
    """Ask (No focused), then delete the plan's current version; the service has the last word."""

    def ask(found) -> None:
        current, affected = found
        if _refused(screen, current, "delete"):
            return
        if affected.total:
            detail = ngettext(
                "New subscriptions to it are refused. Its {n} live subscriber keeps being "
                "billed on its version.",
                "New subscriptions to it are refused. Its {n} live subscribers keep being "
                "billed on their versions.", affected.total).format(n=affected.total)
        else:
            detail = _("New subscriptions to it are refused. Nobody subscribes to it now.")
        detail += "\n" + _("Undelete brings it back.")
        screen.app.push_screen(
            ConfirmDialog(_("Delete plan {name} ({handle}), version {v}?").format(
                name=current.name, handle=current.handle, v=current.version),
                escape(detail), yes=_("Delete")),
            callback=lambda yes: yes and run_service(
                screen, plan_service.delete_plan, ctx, current.handle,
                expected_row_version=current.row_version, on_done=done))

    def done(result: PlanOut) -> None:
        screen.notify(_("Plan {handle} deleted.").format(handle=result.handle))
        if on_done is not None:
            on_done(result)

    run_service(screen, _current_and_affected, ctx, plan.handle, on_done=ask)


def confirm_undelete_plan(screen: Screen, ctx: ServiceContext, plan: PlanOut,
                          on_done: Callable[[PlanOut], None] | None = None) -> None:
    """Ask (No focused), then make the deleted plan active again."""

    def ask(current: PlanOut) -> None:
        if _refused(screen, current, "undelete"):
            return
        screen.app.push_screen(
            ConfirmDialog(_("Undelete plan {name} ({handle})?").format(
                name=current.name, handle=current.handle),
                escape(_("It becomes active again: new subscriptions are accepted.")),
                yes=_("Undelete")),
            callback=lambda yes: yes and run_service(
                screen, plan_service.undelete_plan, ctx, current.handle,
                expected_row_version=current.row_version, on_done=done))

    def done(result: PlanOut) -> None:
        screen.notify(_("Plan {handle} is active again.").format(handle=result.handle))
        if on_done is not None:
            on_done(result)

    run_service(screen, plan_service.get_plan, ctx, plan.handle, on_done=ask)
