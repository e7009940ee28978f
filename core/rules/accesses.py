"""The access status machine and transition table (SPEC §5, issues 10 and 11).

Status is a function of the access's dates and the moment asked about — it follows time
without anyone pressing a key. `status(...)` decides it, in this order:

1. deleted, or cancelled at or before `at`            -> cancelled
2. a pending cancellation whose date has passed        -> cancelled
3. an end (`ends_at`) at or before `at`                -> expired
   the subscription behind it has ended at or before `at` -> cancelled (it was cancelled)
   or expired (a fixed term, an expiry)
4. a pause running at `at` (from <= at < to, or no to) -> paused
5. a subscription payment behind it failed (fact)      -> overdue
6. a pending cancellation still ahead (the access's, or its subscription's: cancelled on
   the subscription screen)                            -> pending_cancellation
7. otherwise                                           -> active

`grants_content` says whether a status shows content (overdue only with the setting
`overdue_keeps_access`; a locked contact never). Actions, and the states that allow them:

* cancel: active, paused, overdue (pending_cancellation: already cancelled);
* undo_cancel: pending_cancellation;
* set_end: every status but deleted (a past date ends it, a future one makes it pending);
* extend: active, pending_cancellation, paused, overdue, expired (an expiry moved on);
* pause: active, overdue; resume: paused;
* edit (the order editor), switch (switch tariff), accept (a lesson's practice): every live
  status (active, pending_cancellation, paused, overdue);
* delete: every status but deleted.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from core import i18n
from core.i18n import N_, _
from core.rules import TransitionTable

STATUSES = ("active", "pending_cancellation", "cancelled", "expired", "paused", "overdue")
LIVE = ("active", "pending_cancellation", "paused", "overdue")
ENDED = ("cancelled", "expired")
STATUS_LABELS = {
    "active": N_("active"), "pending_cancellation": N_("pending cancellation"),
    "cancelled": N_("cancelled"), "expired": N_("expired"), "paused": N_("paused"),
    "overdue": N_("overdue"), "trial": N_("trial"), "on_hold": N_("on hold"),
}


def status_label(state: str) -> str:
    """An access (or subscription) status in the operator's language."""
    return _(STATUS_LABELS[state]) if state in STATUS_LABELS else state


def running_pause(pauses: Sequence[Mapping[str, Any]], at: datetime) -> Mapping[str, Any] | None:
    """The pause running at `at` ({"from", "to"} as aware datetimes or ISO strings)."""
    for pause in pauses:
        start = _dt(pause.get("from"))
        end = _dt(pause.get("to"))
        if start is not None and start <= at and (end is None or at < end):
            return pause
    return None


def _dt(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def status(*, at: datetime, ends_at: datetime | None = None,
           pending_cancellation_at: datetime | None = None,
           cancelled_at: datetime | None = None, deleted_at: datetime | None = None,
           pauses: Sequence[Mapping[str, Any]] = (), overdue: bool = False,
           subscription_ends: datetime | None = None,
           subscription_cancelled: bool = False) -> str:
    """The access status at `at` (see the module docstring for the order).
    `subscription_ends`: when the subscription behind the access ends (its expiry);
    `subscription_cancelled`: that end is a cancellation (else a fixed term)."""
    if deleted_at is not None and deleted_at <= at:
        return "cancelled"
    if cancelled_at is not None and cancelled_at <= at:
        return "cancelled"
    if pending_cancellation_at is not None and pending_cancellation_at <= at:
        return "cancelled"
    if ends_at is not None and ends_at <= at:
        return "expired"
    if subscription_ends is not None and subscription_ends <= at:
        return "cancelled" if subscription_cancelled else "expired"
    if running_pause(pauses, at) is not None:
        return "paused"
    if overdue:
        return "overdue"
    if pending_cancellation_at is not None or (subscription_cancelled
                                               and subscription_ends is not None):
        return "pending_cancellation"
    return "active"


def grants_content(state: str, *, locked: bool = False,
                   overdue_keeps_access: bool = False) -> bool:
    """Whether an access in `state` shows its content now."""
    if locked:
        return False
    if state in ("active", "pending_cancellation"):
        return True
    return state == "overdue" and overdue_keeps_access


def _ended(state: str) -> str:
    return (_("The access has been cancelled.") if state == "cancelled"
            else _("The access has expired."))


def _deleted(facts: Mapping[str, Any]) -> str | None:
    return _("The access has been deleted.") if facts.get("deleted") else None


def _cancel(state: str, facts: Mapping[str, Any]) -> str | None:
    if why := _deleted(facts):
        return why
    if state in ENDED:
        return _ended(state)
    if state == "pending_cancellation":
        return _("The access is already pending cancellation.")
    return None


def _undo_cancel(state: str, facts: Mapping[str, Any]) -> str | None:
    if why := _deleted(facts):
        return why
    if state == "cancelled":
        return _("The cancellation date has passed; the access has ended.")
    if state != "pending_cancellation":
        return _("The access is not pending cancellation.")
    return None


def _set_end(state: str, facts: Mapping[str, Any]) -> str | None:
    return _deleted(facts)


def _extend(state: str, facts: Mapping[str, Any]) -> str | None:
    if why := _deleted(facts):
        return why
    if state == "cancelled":
        return _ended(state)
    return None


def _pause(state: str, facts: Mapping[str, Any]) -> str | None:
    if why := _deleted(facts):
        return why
    if state in ENDED:
        return _ended(state)
    if state == "paused":
        return _("The access is already paused.")
    if state == "pending_cancellation":
        return _("The access is pending cancellation; undo the cancellation first.")
    return None


def _resume(state: str, facts: Mapping[str, Any]) -> str | None:
    if why := _deleted(facts):
        return why
    if state != "paused" and not facts.get("pause_planned"):
        return _("The access is not paused.")
    return None


def _live(state: str, facts: Mapping[str, Any]) -> str | None:
    if why := _deleted(facts):
        return why
    if state in ENDED:
        return _ended(state)
    return None


TABLE = TransitionTable(
    name="access", states=STATUSES,
    rules={"cancel": _cancel, "undo_cancel": _undo_cancel, "set_end": _set_end,
           "extend": _extend, "pause": _pause, "resume": _resume, "edit": _live,
           "switch": _live, "accept": _live, "delete": _set_end})

ACTIONS = TABLE.actions


def allowed_actions(state: str, *, deleted: bool = False,
                    pause_planned: bool = False) -> dict[str, str | None]:
    """action -> None (allowed) or the translated reason why not; facts: `deleted` (the
    access was deleted or replaced), `pause_planned` (a pause starts later: resume cancels it).
    A fresh dict each call (callers may keep it); the answer is remembered per facts and
    language — a card of 200 accesses asks the same few questions 200 times."""
    return dict(_allowed_cached(state, deleted, pause_planned, i18n.language()))


@functools.lru_cache(maxsize=256)
def _allowed_cached(state: str, deleted: bool, pause_planned: bool, _language: str
                    ) -> tuple[tuple[str, str | None], ...]:
    return tuple(TABLE.allowed_actions(state, deleted=deleted, pause_planned=pause_planned)
                 .items())


def check(action: str, state: str, *, deleted: bool = False, pause_planned: bool = False) -> None:
    """Raise `core.rules.Refused` unless `action` is allowed."""
    TABLE.check(action, state, deleted=deleted, pause_planned=pause_planned)


__all__ = ["ACTIONS", "ENDED", "LIVE", "STATUSES", "STATUS_LABELS", "TABLE",
           "allowed_actions", "check", "grants_content", "running_pause", "status",
           "status_label"]
