"""The subscription transition table: which state action each state allows, and why not.

States (`core.models.subscriptions.SUBSCRIPTION_STATES`): trial, active, pending_cancellation,
cancelled, expired, on_hold. On hold is a state like the others (billing is stopped until
reactivated), not a flag the screens check. The state is the one at the moment of the action
(`core.services.subscriptions.state_at`), so a fixed-count subscription past its last period
counts as expired before the billing run has stored it.

Actions (the services of core/services/subscriptions.py) and the states that allow them:

* cancel: trial, active (pending_cancellation: already cancelled; on_hold: reactivate or
  expire first);
* uncancel: pending_cancellation;
* expire: every live state (trial, active, pending_cancellation, on_hold);
* hold: active only (not in trial, not cancelled);
* reactivate: on_hold;
* change_plan: every live state, when another period follows (fact `next_period`);
* change_plan_now: trial, active, pending_cancellation (on hold: only at renewal);
* cancel_pending_change: every live state, when a move is scheduled (fact `pending_change`).

Cancelled and expired allow nothing ("has already ended").
`change_plan` is the change at the next renewal, `change_plan_now` the immediate one. The
engine still refuses what depends on dates finer than a fact (an uncancel once the final
partial period has begun).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.i18n import _
from core.rules import TransitionTable

STATES = ("trial", "active", "pending_cancellation", "cancelled", "expired", "on_hold")
LIVE = ("trial", "active", "pending_cancellation", "on_hold")
ENDED = ("cancelled", "expired")


def _ended() -> str:
    return _("The subscription has already ended.")


def _cancel(state: str, facts: Mapping[str, Any]) -> str | None:
    if state in ENDED:
        return _ended()
    if state == "on_hold":
        return _("The subscription is on hold; reactivate or expire it.")
    if state == "pending_cancellation":
        return _("The subscription is already cancelled.")
    return None


def _uncancel(state: str, facts: Mapping[str, Any]) -> str | None:
    if state in ENDED:
        return _ended()
    if state != "pending_cancellation":
        return _("The subscription is not cancelled.")
    return None


def _expire(state: str, facts: Mapping[str, Any]) -> str | None:
    return _ended() if state in ENDED else None


def _hold(state: str, facts: Mapping[str, Any]) -> str | None:
    if state in ENDED:
        return _ended()
    if state != "active":
        return _("Only an active subscription (not in trial, not cancelled) can be put on "
                 "hold; it is {state}.").format(state=state)
    return None


def _reactivate(state: str, facts: Mapping[str, Any]) -> str | None:
    if state in ENDED:
        return _ended()
    if state != "on_hold":
        return _("The subscription is not on hold.")
    return None


def _change_plan(state: str, facts: Mapping[str, Any]) -> str | None:
    if state in ENDED:
        return _ended()
    if not facts.get("next_period", True):
        return _("The subscription ends before its next period.")
    return None


def _change_plan_now(state: str, facts: Mapping[str, Any]) -> str | None:
    if state in ENDED:
        return _ended()
    if state == "on_hold":
        return _("An on-hold subscription can only change plan at renewal.")
    return None


def _cancel_pending_change(state: str, facts: Mapping[str, Any]) -> str | None:
    if state in ENDED:
        return _ended()
    if not facts.get("pending_change"):
        return _("No plan change is scheduled.")
    return None


TABLE = TransitionTable(
    name="subscription", states=STATES,
    rules={"cancel": _cancel, "uncancel": _uncancel, "expire": _expire, "hold": _hold,
           "reactivate": _reactivate, "change_plan": _change_plan,
           "change_plan_now": _change_plan_now,
           "cancel_pending_change": _cancel_pending_change})

ACTIONS = TABLE.actions


def allowed_actions(state: str, *, pending_change: bool = False,
                    next_period: bool = True) -> dict[str, str | None]:
    """action -> None (allowed) or the translated reason why not, for a subscription in
    `state`; facts: `pending_change` (a plan move is scheduled), `next_period` (another
    period starts after the current one, so a change at renewal can apply)."""
    return TABLE.allowed_actions(state, pending_change=pending_change, next_period=next_period)


def check(action: str, state: str, *, pending_change: bool = False,
          next_period: bool = True) -> None:
    """Raise `core.rules.Refused` (a ValidationFailed on "_") unless `action` is allowed."""
    TABLE.check(action, state, pending_change=pending_change, next_period=next_period)


__all__ = ["ACTIONS", "ENDED", "LIVE", "STATES", "TABLE", "allowed_actions", "check"]
