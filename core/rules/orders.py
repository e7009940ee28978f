"""The order transition table (SPEC §4, issue 10).

    pending --pay--> paid --refund--> refunded
       |              |
       +--cancel--> cancelled <--cancel--+

* pay: pending only (paying twice is refused with the reason, never a second access);
* cancel: pending (nothing was created) or paid (the access it created ends, its
  subscription is cancelled);
* refund: paid only (the access ends, the subscription ends now);
* edit_access (the order editor of the access it created): paid, with an access.
Cancelled and refunded orders are final.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.i18n import _
from core.rules import TransitionTable

STATES = ("pending", "paid", "cancelled", "refunded")
FINAL = ("cancelled", "refunded")


def _final(state: str) -> str:
    return (_("The order has been cancelled.") if state == "cancelled"
            else _("The order has been refunded."))


def _pay(state: str, facts: Mapping[str, Any]) -> str | None:
    if state == "paid":
        return _("The order is already paid.")
    if state in FINAL:
        return _final(state)
    return None


def _cancel(state: str, facts: Mapping[str, Any]) -> str | None:
    if state in FINAL:
        return _final(state)
    return None


def _refund(state: str, facts: Mapping[str, Any]) -> str | None:
    if state == "pending":
        return _("The order is not paid; cancel it instead.")
    if state in FINAL:
        return _final(state)
    return None


def _edit_access(state: str, facts: Mapping[str, Any]) -> str | None:
    if state == "pending":
        return _("The order is not paid; it has created no access yet.")
    if state in FINAL:
        return _final(state)
    if not facts.get("has_access"):
        return _("The order has no access.")
    return None


TABLE = TransitionTable(name="order", states=STATES,
                        rules={"pay": _pay, "cancel": _cancel, "refund": _refund,
                               "edit_access": _edit_access})
ACTIONS = TABLE.actions


def allowed_actions(state: str, *, has_access: bool = False) -> dict[str, str | None]:
    """action -> None (allowed) or the translated reason why not."""
    return TABLE.allowed_actions(state, has_access=has_access)


def check(action: str, state: str, *, has_access: bool = False) -> None:
    """Raise `core.rules.Refused` unless `action` is allowed."""
    TABLE.check(action, state, has_access=has_access)


__all__ = ["ACTIONS", "FINAL", "STATES", "TABLE", "allowed_actions", "check"]
