"""The catalogue's transition table: what a product's or offer's state allows, and why not.

States: active (sold, editable), archived (kept because orders, accesses, offers or bundles
refer to it; not offered for new sales, read only until unarchived). Actions: edit, archive,
unarchive, delete (`delete_product`/`delete_offer` delete an unreferenced record and archive a
referenced one). Fact `role_may_edit`: whether the operator's role edits the catalogue (admins):
a viewer or agent reads it, and every action names that reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.i18n import _
from core.rules import TransitionTable

STATES = ("active", "archived")


def _role(facts: Mapping[str, Any]) -> str | None:
    if not facts.get("role_may_edit", False):
        return _("Admins edit the catalogue; agents and viewers read it.")
    return None


def _edit(state: str, facts: Mapping[str, Any]) -> str | None:
    if state == "archived":
        return _role(facts) or _("Archived: unarchive it to change it.")
    return _role(facts)


def _archive(state: str, facts: Mapping[str, Any]) -> str | None:
    return _role(facts) or (_("Already archived.") if state == "archived" else None)


def _unarchive(state: str, facts: Mapping[str, Any]) -> str | None:
    return _role(facts) or (None if state == "archived" else _("Not archived."))


def _delete(state: str, facts: Mapping[str, Any]) -> str | None:
    return _role(facts)


TABLE = TransitionTable(name="catalogue", states=STATES,
                        rules={"edit": _edit, "archive": _archive, "unarchive": _unarchive,
                               "delete": _delete})
ACTIONS = TABLE.actions


def allowed_actions(state: str, *, role_may_edit: bool) -> dict[str, str | None]:
    return TABLE.allowed_actions(state, role_may_edit=role_may_edit)


def check(action: str, state: str) -> None:
    """The services' guard for the state (the role is checked by `require` first)."""
    TABLE.check(action, state, role_may_edit=True)


__all__ = ["ACTIONS", "STATES", "TABLE", "allowed_actions", "check"]
