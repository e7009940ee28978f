"""The plan transition table: what a plan version's state allows, and why not.

States (`core.models.plans.PLAN_STATES`) of one stored plan version:

* active: the handle's current version — it can be edited (fields that change in place), get
  a new version, and be deleted;
* superseded: an older version (a newer one exists) — nothing is done to it; actions go to
  the current version;
* deleted: the current version of a deleted plan — only undelete; existing subscriptions
  continue, new ones are refused (that refusal is the subscription service's).

Actions (the services of core/services/plans.py): edit (`edit_plan`), new_version
(`create_plan_version`), delete (`delete_plan`), undelete (`undelete_plan`). Fact: `version`,
the version number (named in the superseded reason). Who may act (admins, `plans.write`) is
the role check, not a rule of the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.i18n import _
from core.rules import TransitionTable

STATES = ("active", "superseded", "deleted")


def _superseded(facts: Mapping[str, Any]) -> str:
    return _("Version {v} is superseded: open the current version to change the "
             "plan.").format(v=facts.get("version", "?"))


def _edit(state: str, facts: Mapping[str, Any]) -> str | None:
    if state == "superseded":
        return _superseded(facts)
    if state == "deleted":
        return _("The plan is deleted: undelete it to change it.")
    return None


def _new_version(state: str, facts: Mapping[str, Any]) -> str | None:
    if state == "superseded":
        return _superseded(facts)
    if state == "deleted":
        return _("The plan is deleted; undelete it first.")
    return None


def _delete(state: str, facts: Mapping[str, Any]) -> str | None:
    if state == "superseded":
        return _superseded(facts)
    if state == "deleted":
        return _("The plan is already deleted.")
    return None


def _undelete(state: str, facts: Mapping[str, Any]) -> str | None:
    if state == "deleted":
        return None
    return _("The plan is not deleted.")


TABLE = TransitionTable(name="plan", states=STATES,
                        rules={"edit": _edit, "new_version": _new_version, "delete": _delete,
                               "undelete": _undelete})
ACTIONS = TABLE.actions


def allowed_actions(state: str, *, version: int | None = None) -> dict[str, str | None]:
    """action -> None (allowed) or the translated reason why not, for a plan version in
    `state` (`version` is its number, named in a reason)."""
    return TABLE.allowed_actions(state, version=version)


def check(action: str, state: str, *, version: int | None = None) -> None:
    """Raise `core.rules.Refused` (a ValidationFailed on "_") unless `action` is allowed."""
    TABLE.check(action, state, version=version)


__all__ = ["ACTIONS", "STATES", "TABLE", "allowed_actions", "check"]
