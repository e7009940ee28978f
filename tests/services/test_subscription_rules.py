"""The services refuse exactly what core.rules.subscriptions refuses, in every state; state
actions run under a row lock (two agents at once: one success, one refusal or conflict)."""

import threading

import pytest

from core.errors import Conflict, ValidationFailed
from core.rules import subscriptions as rules
from core.services import plans
from core.services import subscriptions as subs
from core.services.billing_run import run_billing
from tests.services.billing_helpers import MONTHLY_1ST, berlin, contact

START = berlin(2026, 3, 14, 10)


@pytest.fixture
def catalogue(admin):
    plans.create_plan(admin, {**MONTHLY_1ST, "vat": "0.19"})
    plans.create_plan(admin, {**MONTHLY_1ST, "handle": "trial", "name": "Trial",
                              "trial_interval_length": 7, "trial_interval_unit": "days"})
    plans.create_plan(admin, {**MONTHLY_1ST, "handle": "silver", "name": "Silver",
                              "amount": 5000})


def _in_state(agent, state: str):
    """A subscription of 14 March 2026 brought into `state`; the moment to act at."""
    plan = "trial" if state == "trial" else "gold"
    s = subs.create_subscription(agent, {"contact_id": contact(agent), "plan": plan,
                                         "start": START}, now=START)
    at = berlin(2026, 3, 25)
    if state == "trial":
        at = berlin(2026, 3, 16)  # the 7-day trial runs until 21 March
    elif state in ("pending_cancellation", "cancelled"):
        subs.cancel_subscription(agent, s.id, at=berlin(2026, 3, 20), now=berlin(2026, 3, 20))
        if state == "cancelled":  # effective 1 April; the run stores it
            run_billing(agent, berlin(2026, 4, 2).date())
            at = berlin(2026, 4, 5)
    elif state == "expired":
        subs.expire_subscription(agent, s.id, now=berlin(2026, 3, 20))
    elif state == "on_hold":
        subs.put_on_hold(agent, s.id, now=berlin(2026, 3, 20))
    got = subs.get_subscription(agent, s.id, at=at)
    assert got.state == state
    return got, at


def _act(agent, action: str, sub, at):
    v = sub.row_version
    calls = {
        "cancel": lambda: subs.cancel_subscription(agent, sub.id, at=at, now=at,
                                                   expected_row_version=v),
        "uncancel": lambda: subs.uncancel_subscription(agent, sub.id, now=at,
                                                       expected_row_version=v),
        "expire": lambda: subs.expire_subscription(agent, sub.id, now=at,
                                                   expected_row_version=v),
        "hold": lambda: subs.put_on_hold(agent, sub.id, now=at, expected_row_version=v),
        "reactivate": lambda: subs.reactivate_subscription(agent, sub.id, now=at,
                                                           expected_row_version=v),
        "change_plan": lambda: subs.change_plan(agent, sub.id, plan="silver", at=at, now=at,
                                                timing="renewal", expected_row_version=v),
        "change_plan_now": lambda: subs.change_plan(agent, sub.id, plan="silver", at=at,
                                                    now=at, timing="immediate",
                                                    expected_row_version=v),
        "cancel_pending_change": lambda: subs.cancel_pending_change(
            agent, sub.id, now=at, expected_row_version=v),
    }
    return calls[action]()


@pytest.mark.parametrize("action", rules.ACTIONS)
@pytest.mark.parametrize("state", rules.STATES)
def test_service_refuses_exactly_what_the_table_refuses(agent, catalogue, state, action):
    sub, at = _in_state(agent, state)
    # The schema ships the table's verdict for the subscription's state and facts.
    # A cancellation effective 1 April: no period follows, so no change at renewal.
    assert sub.allowed_actions == rules.allowed_actions(
        state, next_period=state != "pending_cancellation")
    reason = sub.allowed_actions[action]
    if reason is None:
        _act(agent, action, sub, at)
        assert subs.get_subscription(agent, sub.id).row_version > sub.row_version
    else:
        with pytest.raises(ValidationFailed) as exc:
            _act(agent, action, sub, at)
        assert exc.value.fields == {"_": reason}
        assert subs.get_subscription(agent, sub.id).row_version == sub.row_version


def test_a_scheduled_move_is_allowed_to_be_dropped(agent, catalogue):
    sub, at = _in_state(agent, "active")
    moved = subs.change_plan(agent, sub.id, plan="silver", at=at, now=at,
                             expected_row_version=sub.row_version).subscription
    assert moved.allowed_actions["cancel_pending_change"] is None
    kept = subs.cancel_pending_change(agent, sub.id, now=at,
                                      expected_row_version=moved.row_version)
    assert kept.pending_plan_id is None
    assert kept.allowed_actions["cancel_pending_change"] == "No plan change is scheduled."


def test_change_plan_needs_the_version_the_form_showed(agent, catalogue):
    sub, at = _in_state(agent, "active")
    with pytest.raises(TypeError):
        subs.change_plan(agent, sub.id, plan="silver", at=at, now=at)  # no version: a bug
    subs.put_on_hold(agent, sub.id, now=at)
    with pytest.raises(Conflict):
        subs.change_plan(agent, sub.id, plan="silver", at=at, now=at,
                         expected_row_version=sub.row_version)


def test_two_agents_cancelling_at_once_one_wins(db, agent, catalogue):
    """Two connections cancel the same subscription at the same moment, without a version
    (a script's `subscriptions cancel`): the row lock serialises them, the second sees the
    first's cancellation and is refused by the table."""
    sub, at = _in_state(agent, "active")
    barrier = threading.Barrier(2)
    results: list[object] = []

    def cancel() -> None:
        barrier.wait()
        try:
            results.append(subs.cancel_subscription(agent, sub.id, at=at, now=at))
        except (ValidationFailed, Conflict) as exc:
            results.append(exc)

    threads = [threading.Thread(target=cancel) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(done) == 1 and len(refused) == 1
    assert isinstance(refused[0], ValidationFailed)
    assert refused[0].fields == {"_": "The subscription is already cancelled."}
    after = subs.get_subscription(agent, sub.id, at=at)
    assert after.state == "pending_cancellation" and after.row_version == sub.row_version + 1
