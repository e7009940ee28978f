"""The invoice transition table: open → paid | failed | credited, failed → paid | credited.

Paid and credited invoices are final. A refusal is reported on the field "state" (as the
invoice services always did).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.i18n import _
from core.rules import TransitionTable

STATES = ("open", "paid", "failed", "credited")
# action -> (the state it leads to, the states it starts from)
_MOVES = {"record_payment": ("paid", ("open", "failed")),
          "record_failed_payment": ("failed", ("open",)),
          "credit": ("credited", ("open", "failed"))}


def _rule(action: str):
    target, sources = _MOVES[action]

    def rule(state: str, facts: Mapping[str, Any]) -> str | None:
        if state in sources:
            return None
        return _("A {current} invoice cannot become {new}.").format(current=state, new=target)

    return rule


TABLE = TransitionTable(name="invoice", states=STATES,
                        rules={action: _rule(action) for action in _MOVES},
                        field_name="state")
ACTIONS = TABLE.actions


def target_state(action: str) -> str:
    return _MOVES[action][0]


def allowed_actions(state: str) -> dict[str, str | None]:
    return TABLE.allowed_actions(state)


def check(action: str, state: str) -> None:
    TABLE.check(action, state)


__all__ = ["ACTIONS", "STATES", "TABLE", "allowed_actions", "check", "target_state"]
