"""Group seats and states (SPEC §8, issue 12): pure arithmetic, the live rule, the downgrade
proposal and the transition tables. No SQLAlchemy, no Textual.

Seats used follow the global setting `group_limit_active`:

* limit active ("limited"): a removed participant keeps using the seat —
  used = active + removed;
* not active (the default): a removal frees the seat — used = active.

free = total - used (negative: over quota, e.g. after a subscription ended). An enrolment
needs free > 0; re-enrolling a removed participant in limited mode takes back their own seat.

Group states: `online` (some purchase live) and `offline` (none left: participants lost
access at `offline_at`). Member states: `active` and `removed`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction
from typing import Any

from core.i18n import _
from core.rules import Refused, TransitionTable

GROUP_STATES = ("online", "offline")
MEMBER_STATES = ("active", "removed")
PAYMENTS = ("one_time", "subscription", "instalments")
LIVE_SUBSCRIPTION_STATES = ("trial", "active", "pending_cancellation")


def seats_used(active: int, removed: int, limited: bool) -> int:
    """Seats in use under the setting: limited counts the removed participants too."""
    return active + removed if limited else active


def seats_free(total: int, active: int, removed: int, limited: bool) -> int:
    """Free seats (negative: over quota)."""
    return total - seats_used(active, removed, limited)


def used_text(used: int, total: int) -> str:
    """"5 of 8 seats used" (translated)."""
    return _("{used} of {total} seats used").format(used=used, total=total)


@dataclass(frozen=True)
class Seats:
    """A group's seat counters; each step returns the next state or raises Refused."""

    total: int = 0
    active: int = 0
    removed: int = 0

    def used(self, limited: bool) -> int:
        return seats_used(self.active, self.removed, limited)

    def free(self, limited: bool) -> int:
        return seats_free(self.total, self.active, self.removed, limited)

    def enrol(self, limited: bool, *, returning: bool = False) -> Seats:
        """One more active participant; `returning`: a removed participant comes back."""
        after = replace(self, active=self.active + 1,
                        removed=self.removed - 1 if returning else self.removed)
        if after.used(limited) > self.total:
            raise Refused("enrol", no_seat_reason(self.total), field_name="seats")
        return after

    def remove(self) -> Seats:
        if self.active <= 0:
            raise Refused("remove", _("Nobody is enrolled."))
        return replace(self, active=self.active - 1, removed=self.removed + 1)

    def upgrade(self, seats: int) -> Seats:
        if seats <= 0:
            raise Refused("upgrade", _("Buy at least one seat."), field_name="seats")
        return replace(self, total=self.total + seats)

    def lose(self, seats: int) -> Seats:
        """A purchase of `seats` ended."""
        return replace(self, total=max(0, self.total - seats))


def no_seat_reason(total: int) -> str:
    return _("All {total} seats are used; buy more seats first.").format(total=total)


def check_seat_range(seats: int, min_seats: int | None, max_seats: int | None) -> str | None:
    """Why `seats` may not be bought under the offer's limits (None: it may)."""
    if seats < 1:
        return _("Buy at least one seat.")
    if min_seats is not None and seats < min_seats:
        return _("This offer sells at least {n} seats per purchase.").format(n=min_seats)
    if max_seats is not None and seats > max_seats:
        return _("This offer sells at most {n} seats per purchase.").format(n=max_seats)
    return None


# -- the live rule ---------------------------------------------------------------------------


def purchase_live(*, payment: str, at: datetime, live_until: datetime | None = None,
                  ended_at: datetime | None = None, subscription_state: str | None = None,
                  paid_off: bool = False) -> bool:
    """Whether a purchase counts towards the quota at `at`.

    one_time: until the offer's access duration ends (`live_until`, None = unlimited) and
    the order is not ended (`ended_at`); subscription: while the subscription is live
    (trial, active, pending cancellation); instalments: as a subscription, and for good
    once paid off."""
    if ended_at is not None and ended_at <= at:
        return False
    if payment == "one_time":
        return live_until is None or at < live_until
    if payment == "instalments" and paid_off:
        return True
    return subscription_state in LIVE_SUBSCRIPTION_STATES


# -- money -----------------------------------------------------------------------------------


def _round_half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


def monthly_equivalent(amount: int, schedule_type: str, interval_length: int) -> int:
    """The per-month equivalent of `amount` billed every `interval_length` units of the
    schedule (a yearly plan counts a twelfth), minor units rounded half-up; manual: 0."""
    n = max(1, interval_length or 1)
    if schedule_type in ("month_startdate", "month_fixedday", "month_lastday"):
        per_month = Fraction(amount, n)
    elif schedule_type == "weekly_fixedday":
        per_month = Fraction(amount * 52, 12 * n)
    elif schedule_type == "daily":
        per_month = Fraction(amount * 365, 12 * n)
    else:
        return 0
    return _round_half_up(per_month)


# -- the downgrade proposal ------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A live subscription purchase that could be cancelled: its id, seats and start."""

    subscription_id: int
    seats: int
    bought_at: datetime


@dataclass(frozen=True)
class Proposal:
    cancel: tuple[int, ...]  # subscription ids
    seats_after: int
    refusal: str | None = None  # set when the target cannot be met (limited mode)
    losing: int = 0  # participants who would lose access (target below the seats in use)


def propose_downgrade(total: int, keep: int, target: int, used: int, limited: bool,
                      candidates: Sequence[Candidate],
                      override: Sequence[int] | None = None) -> Proposal:
    """Which subscriptions to cancel to bring `total` seats down to `target`.

    `keep`: seats that cannot be cancelled here (one-time purchases). Subscriptions are never
    merged or shrunk, so the proposal ends whole ones: the set whose seats come closest to
    total - target without going below the target, the newest first on a tie. In limited
    mode a target below the seats in use is refused; otherwise the participants beyond the
    target lose access (`losing`). `override`: the agent's own choice of subscription ids."""
    if target < 0:
        return Proposal((), total, _("The target cannot be negative."))
    if target > total:
        return Proposal((), total, _("The group has {total} seats; a downgrade cannot add "
                                     "seats.").format(total=total))
    if limited and target < used:
        return Proposal((), total, _("{used} seats are in use and the group limit is active: "
                                     "the target cannot be below {used}.").format(used=used))
    by_id = {c.subscription_id: c for c in candidates}
    if override is not None:
        unknown = [i for i in override if i not in by_id]
        if unknown:
            return Proposal((), total, _("Subscription {id} is not a live subscription of "
                                         "this group.").format(id=unknown[0]))
        chosen = tuple(sorted(set(override)))
    else:
        chosen = _closest(total - target, candidates)
    after = total - sum(by_id[i].seats for i in chosen)
    if limited and after < used:
        return Proposal(chosen, after, _("{used} seats are in use and the group limit is "
                                         "active: cancelling these leaves {after}.").format(
                                             used=used, after=after))
    if override is None and after < target:
        after = total
        chosen = ()
    return Proposal(chosen, after, None, max(0, used - after))


def _closest(reduce_by: int, candidates: Sequence[Candidate]) -> tuple[int, ...]:
    """The subset of candidates with the largest seat sum ≤ reduce_by (newest first)."""
    best: dict[int, tuple[int, ...]] = {0: ()}
    for c in sorted(candidates, key=lambda c: (c.bought_at, c.subscription_id), reverse=True):
        for s, ids in list(best.items()):
            n = s + c.seats
            if n <= reduce_by and n not in best:
                best[n] = ids + (c.subscription_id,)
    return tuple(sorted(best[max(best)]))


# -- transition tables -----------------------------------------------------------------------


def _rename(state: str, facts: Mapping[str, Any]) -> str | None:
    return _("The group name cannot be changed after the purchase.")


def _enrol(state: str, facts: Mapping[str, Any]) -> str | None:
    if state == "offline":
        return _("The group is offline: it has no live purchase. Reactivate it first.")
    if facts.get("free", 0) <= 0:
        return no_seat_reason(facts.get("total", 0))
    return None


def _upgrade(state: str, facts: Mapping[str, Any]) -> str | None:
    return None


def _downgrade(state: str, facts: Mapping[str, Any]) -> str | None:
    if state == "offline":
        return _("The group is offline; there is nothing to cancel.")
    if not facts.get("subscriptions"):
        return _("The group has no live subscription to cancel.")
    return None


def _reactivate(state: str, facts: Mapping[str, Any]) -> str | None:
    if state == "online" and not facts.get("going_offline"):
        return _("The group is online; there is nothing to reactivate.")
    return None


GROUP_TABLE = TransitionTable(
    name="group", states=GROUP_STATES,
    rules={"rename": _rename, "enrol": _enrol, "upgrade": _upgrade, "downgrade": _downgrade,
           "reactivate": _reactivate})


def _remove(state: str, facts: Mapping[str, Any]) -> str | None:
    if state == "removed":
        return _("This participant has already been removed.")
    return None


def _re_enrol(state: str, facts: Mapping[str, Any]) -> str | None:
    if state == "active":
        return _("This participant is already enrolled.")
    return None


MEMBER_TABLE = TransitionTable(
    name="group_member", states=MEMBER_STATES,
    rules={"remove": _remove, "enrol": _re_enrol})


def group_state(offline_at: datetime | None, at: datetime) -> str:
    return "offline" if offline_at is not None and offline_at <= at else "online"


def group_actions(state: str, *, free: int, total: int, subscriptions: int,
                  going_offline: bool) -> dict[str, str | None]:
    return GROUP_TABLE.allowed_actions(state, free=free, total=total,
                                       subscriptions=subscriptions,
                                       going_offline=going_offline)


__all__ = [
    "GROUP_STATES",
    "GROUP_TABLE",
    "LIVE_SUBSCRIPTION_STATES",
    "MEMBER_STATES",
    "MEMBER_TABLE",
    "PAYMENTS",
    "Candidate",
    "Proposal",
    "Seats",
    "check_seat_range",
    "group_actions",
    "group_state",
    "monthly_equivalent",
    "no_seat_reason",
    "propose_downgrade",
    "purchase_live",
    "seats_free",
    "seats_used",
    "used_text",
]
