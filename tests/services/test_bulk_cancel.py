"""The bulk helper on a real bulk action: cancel many subscriptions, all or nothing."""

import pytest

from core.billing import BillingError
from core.errors import PermissionDenied, ValidationFailed
from core.services import _bulk, audit, plans
from core.services import subscriptions as subs
from tests.services.billing_helpers import MONTHLY_1ST, berlin, contact

START = berlin(2026, 3, 14, 10)
AT = berlin(2026, 3, 20, 12)


@pytest.fixture
def five(admin, agent):
    """Three active subscriptions, one pending cancellation, one on hold (14 March 2026)."""
    plans.create_plan(admin, {**MONTHLY_1ST, "vat": "0.19"})
    ids = [subs.create_subscription(agent, {"contact_id": contact(agent), "plan": "gold",
                                            "start": START}, now=START).id for _ in range(5)]
    subs.cancel_subscription(agent, ids[3], at=berlin(2026, 3, 16), now=berlin(2026, 3, 16))
    subs.put_on_hold(agent, ids[4], now=berlin(2026, 3, 16))
    return ids


def _cancels(ctx, ids):
    return [len([h for h in audit.history(ctx, "subscription", i) if h.action == "cancel"])
            for i in ids]


def test_preview_counts_what_would_change_and_says_why_not(agent, five):
    p = subs.preview_bulk_cancel(agent, [*five, 999999, five[0]], at=AT, now=AT)
    assert (p.action, p.total, p.allowed) == ("cancel", 6, 3)  # the repeated id counts once
    assert [(r.id, r.reason) for r in p.refused] == [
        (five[3], "The subscription is already cancelled."),
        (five[4], "The subscription is on hold; reactivate or expire it."),
        (999999, "Subscription 999999 does not exist.")]


def test_one_refusal_writes_nothing_and_lists_every_refused_row(agent, five):
    versions = [subs.get_subscription(agent, i).row_version for i in five]
    with pytest.raises(_bulk.BulkRefused) as exc:
        subs.bulk_cancel_subscriptions(agent, five, AT, now=AT)
    assert isinstance(exc.value, ValidationFailed)  # the CLI exits 2, the screen shows it
    assert [r.id for r in exc.value.refused] == [five[3], five[4]]
    assert exc.value.fields["_"].startswith("2 of 5 cannot be changed, nothing was changed: ")
    after = [subs.get_subscription(agent, i, at=AT) for i in five]
    assert [s.state for s in after[:3]] == ["active"] * 3
    assert [s.row_version for s in after] == versions
    assert _cancels(agent, five) == [0, 0, 0, 1, 0]


def test_all_allowed_cancels_each_in_one_transaction_with_an_audit_record_each(agent, five):
    result = subs.bulk_cancel_subscriptions(agent, five[:3], AT, now=AT)
    assert (result.done, result.ids) == (3, five[:3])
    for i in five[:3]:
        s = subs.get_subscription(agent, i, at=AT)
        # Monthly on the 1st, cancelled 20 March: it ends with the paid period, 1 April.
        assert (s.state, s.expires, s.cancelled_at) == (
            "pending_cancellation", berlin(2026, 4, 1), AT)
        entry = audit.history(agent, "subscription", i)[0]
        assert (entry.action, entry.operator) == ("cancel", "agent")
        assert entry.before["state"] == "active"
        assert entry.after["state"] == "pending_cancellation"
    assert _cancels(agent, five) == [1, 1, 1, 1, 0]
    assert subs.preview_bulk_cancel(agent, five[:3], at=AT, now=AT).allowed == 0


def test_a_failure_halfway_writes_nothing(agent, five, monkeypatch):
    """Every row passes the check; the engine fails on the second: the first is rolled back."""
    real = subs.billing.cancel
    calls = []

    def cancel(terms, state, at):
        calls.append(at)
        if len(calls) == 2:
            raise BillingError("the engine refuses this one")
        return real(terms, state, at)

    monkeypatch.setattr(subs.billing, "cancel", cancel)
    with pytest.raises(ValidationFailed) as exc:
        subs.bulk_cancel_subscriptions(agent, five[:3], AT, now=AT)
    assert exc.value.fields == {"_": "the engine refuses this one"}
    assert len(calls) == 2
    monkeypatch.undo()
    assert [subs.get_subscription(agent, i, at=AT).state for i in five[:3]] == ["active"] * 3
    assert _cancels(agent, five[:3]) == [0, 0, 0]


def test_a_viewer_cannot_and_an_empty_list_is_bad_input(viewer, agent, five):
    with pytest.raises(PermissionDenied):
        subs.bulk_cancel_subscriptions(viewer, five[:3], AT, now=AT)
    with pytest.raises(ValidationFailed) as exc:
        subs.bulk_cancel_subscriptions(agent, [], AT, now=AT)
    assert list(exc.value.fields) == ["ids"]
