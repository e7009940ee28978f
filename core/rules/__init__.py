"""Pure business rules: which action a record's state allows, and why not.

One transition table per stateful aggregate (`subscriptions`, `invoices` now; accesses and
groups add `accesses.py`, `groups.py` the same way). A table maps each state to the actions it
allows; every other action gets a reason — a translated sentence the screen shows and the
service raises. Nothing here imports SQLAlchemy or Textual: the services ask the table before
they write (their guard), the output schemas ship its answer (`allowed_actions`), and a screen's
`check_action` is a lookup in that answer, never a restatement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.errors import ValidationFailed

# A rule: (state, facts) -> None when the action is allowed, else the reason (translated).
Rule = Callable[[str, Mapping[str, Any]], "str | None"]


class Refused(ValidationFailed):
    """A state action the transition table refuses; `fields["_"]` is the reason.

    A ValidationFailed, so every front end shows it as today (CLI exit status 2)."""

    def __init__(self, action: str, reason: str, *, field_name: str = "_"):
        self.action = action
        self.reason = reason
        super().__init__({field_name: reason})


@dataclass(frozen=True)
class TransitionTable:
    """`rules[action](state, facts)`: None (allowed) or the reason why not."""

    name: str
    states: tuple[str, ...]
    rules: Mapping[str, Rule] = field(default_factory=dict)
    # The field a refusal is reported on (subscriptions: "_", invoices: "state").
    field_name: str = "_"

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(self.rules)

    def reason(self, action: str, state: str, **facts: Any) -> str | None:
        if state not in self.states:
            raise ValueError(f"{self.name}: unknown state {state!r}")
        return self.rules[action](state, facts)

    def allowed_actions(self, state: str, **facts: Any) -> dict[str, str | None]:
        """Every action of the table: None when allowed in `state`, else the reason."""
        return {action: self.reason(action, state, **facts) for action in self.rules}

    def check(self, action: str, state: str, **facts: Any) -> None:
        """The services' guard: raise `Refused` with the reason unless allowed."""
        why = self.reason(action, state, **facts)
        if why is not None:
            raise Refused(action, why, field_name=self.field_name)


__all__ = ["Refused", "Rule", "TransitionTable"]
