"""The access status machine and transition table (core/rules/accesses.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.rules import Refused
from core.rules import accesses as rules

T = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({}, "active"),
    ({"ends_at": T + DAY}, "active"),
    ({"ends_at": T}, "expired"),
    ({"pending_cancellation_at": T + 15 * DAY}, "pending_cancellation"),
    ({"pending_cancellation_at": T}, "cancelled"),
    ({"cancelled_at": T - DAY}, "cancelled"),
    ({"deleted_at": T - DAY}, "cancelled"),
    ({"pauses": [{"from": T - DAY, "to": None}]}, "paused"),
    ({"pauses": [{"from": (T - DAY).isoformat(), "to": T.isoformat()}]}, "active"),
    ({"pauses": [{"from": T + DAY, "to": None}]}, "active"),
    ({"overdue": True}, "overdue"),
    ({"overdue": True, "pending_cancellation_at": T + DAY}, "overdue"),
    ({"overdue": True, "ends_at": T - DAY}, "expired"),
])
def test_status_at_a_moment(kwargs, expected):
    assert rules.status(at=T, **kwargs) == expected


def test_content_follows_status_lock_and_the_overdue_setting():
    assert rules.grants_content("active")
    assert rules.grants_content("pending_cancellation")
    assert not rules.grants_content("active", locked=True)
    assert not rules.grants_content("overdue")
    assert rules.grants_content("overdue", overdue_keeps_access=True)
    assert not rules.grants_content("paused")
    assert not rules.grants_content("expired")


def test_undo_is_refused_after_the_date_with_the_reason():
    assert rules.allowed_actions("pending_cancellation")["undo_cancel"] is None
    with pytest.raises(Refused) as exc:
        rules.check("undo_cancel", "cancelled")
    assert "passed" in exc.value.reason
    assert rules.allowed_actions("active", deleted=True)["set_end"] == (
        "The access has been deleted.")


@given(st.lists(st.sampled_from(list(rules.STATUSES)), min_size=1, max_size=1),
       st.booleans(), st.booleans())
def test_every_action_answers_for_every_status(states, deleted, planned):
    answer = rules.allowed_actions(states[0], deleted=deleted, pause_planned=planned)
    assert set(answer) == set(rules.ACTIONS)
    if deleted:
        assert all(why is not None for why in answer.values())
