"""Seat arithmetic in both limit modes, the live rule, the monthly equivalent, the downgrade
proposal and the group/member transition tables (core/rules/groups.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.rules import Refused
from core.rules import groups as rules

T0 = datetime(2026, 1, 15, tzinfo=UTC)

steps = st.lists(st.one_of(st.tuples(st.just("enrol"), st.booleans()),
                           st.tuples(st.just("remove"), st.just(False)),
                           st.tuples(st.just("upgrade"), st.integers(1, 5))), max_size=60)


def _run(limited: bool, start: int, ops) -> rules.Seats:
    seats = rules.Seats(total=start)
    for op, arg in ops:
        try:
            if op == "enrol":
                seats = seats.enrol(limited, returning=bool(arg) and seats.removed > 0)
            elif op == "remove":
                seats = seats.remove()
            else:
                seats = seats.upgrade(arg)
        except Refused:
            pass
        assert seats.active >= 0 and seats.removed >= 0
        if limited:
            assert seats.used(True) <= seats.total
        assert seats.used(False) <= seats.total
    return seats


@given(st.integers(0, 10), steps)
def test_limited_mode_never_uses_more_seats_than_bought(start, ops):
    _run(True, start, ops)


@given(st.integers(0, 10), steps)
def test_open_mode_frees_a_seat_on_removal(start, ops):
    seats = _run(False, start, ops)
    assert seats.free(False) == seats.total - seats.active
    assert seats.free(True) <= seats.free(False)


def test_a_removal_frees_the_seat_only_when_the_limit_is_not_active():
    s = rules.Seats(total=2).enrol(False).enrol(False).remove()
    assert (s.used(False), s.used(True)) == (1, 2)
    s.enrol(False)  # open: a seat is free
    with pytest.raises(Refused):
        s.enrol(True)  # limited: the removed participant keeps it
    assert s.enrol(True, returning=True).used(True) == 2  # they come back to their own seat


def test_seat_range_of_an_offer():
    assert rules.check_seat_range(3, 2, 10) is None
    assert "at least 2" in rules.check_seat_range(1, 2, 10)
    assert "at most 10" in rules.check_seat_range(11, 2, 10)


def test_live_rule():
    later = T0 + timedelta(days=30)
    assert rules.purchase_live(payment="one_time", at=later, live_until=None)
    assert not rules.purchase_live(payment="one_time", at=later, live_until=T0)
    assert not rules.purchase_live(payment="one_time", at=later, ended_at=T0)
    assert rules.purchase_live(payment="subscription", at=later, subscription_state="active")
    assert rules.purchase_live(payment="subscription", at=later,
                               subscription_state="pending_cancellation")
    assert not rules.purchase_live(payment="subscription", at=later,
                                   subscription_state="expired")
    assert rules.purchase_live(payment="instalments", at=later, subscription_state="expired",
                               paid_off=True)
    assert not rules.purchase_live(payment="instalments", at=later,
                                   subscription_state="cancelled")


def test_monthly_equivalent():
    assert rules.monthly_equivalent(12000, "month_startdate", 12) == 1000
    assert rules.monthly_equivalent(1000, "month_fixedday", 1) == 1000
    assert rules.monthly_equivalent(1000, "month_lastday", 3) == 333
    assert rules.monthly_equivalent(1200, "weekly_fixedday", 1) == 5200
    assert rules.monthly_equivalent(100, "daily", 1) == 3042  # 100 × 365 / 12 = 3041.67
    assert rules.monthly_equivalent(100, "manual", 1) == 0


def _c(i, seats, day):
    return rules.Candidate(i, seats, T0 + timedelta(days=day))


def test_downgrade_proposal_cancels_whole_subscriptions_closest_to_the_target():
    subs = [_c(1, 5, 0), _c(2, 3, 15)]
    p = rules.propose_downgrade(8, 0, 5, 4, False, subs)
    assert (p.cancel, p.seats_after, p.refusal, p.losing) == ((2,), 5, None, 0)
    # 8 → 4: cancelling the 5 would go below 4; the 3 leaves 5 (closest without going under)
    p = rules.propose_downgrade(8, 0, 4, 2, False, subs)
    assert (p.cancel, p.seats_after) == ((2,), 5)
    # newest first on a tie
    p = rules.propose_downgrade(6, 0, 3, 0, False, [_c(1, 3, 0), _c(2, 3, 1)])
    assert p.cancel == (2,)
    # below the seats in use: refused when limited, the losers counted when not
    assert rules.propose_downgrade(8, 0, 3, 4, True, subs).refusal
    p = rules.propose_downgrade(8, 0, 0, 4, False, subs)
    assert (p.cancel, p.seats_after, p.losing) == ((1, 2), 0, 4)
    # the agent's override
    p = rules.propose_downgrade(8, 0, 0, 0, False, subs, override=[1])
    assert (p.cancel, p.seats_after) == ((1,), 3)
    assert rules.propose_downgrade(8, 0, 0, 0, False, subs, override=[9]).refusal
    assert rules.propose_downgrade(8, 0, 9, 0, False, subs).refusal  # cannot add seats


def test_tables():
    assert rules.GROUP_TABLE.allowed_actions("online", free=1, total=5)["rename"]
    assert rules.group_actions("online", free=0, total=5, subscriptions=1,
                               going_offline=False)["enrol"]
    assert rules.group_actions("online", free=1, total=5, subscriptions=1,
                               going_offline=False)["enrol"] is None
    assert rules.group_actions("offline", free=1, total=5, subscriptions=0,
                               going_offline=True)["reactivate"] is None
    assert rules.group_actions("online", free=1, total=5, subscriptions=0,
                               going_offline=False)["downgrade"]
    assert rules.MEMBER_TABLE.allowed_actions("removed")["remove"]
    assert rules.group_state(T0, T0) == "offline"
    assert rules.group_state(T0, T0 - timedelta(seconds=1)) == "online"
    assert rules.used_text(5, 8) == "5 of 8 seats used"
