"""The transition tables of core/rules: every state × action, written out from SPEC's rules."""

import pytest

from core.errors import ValidationFailed
from core.rules import Refused, TransitionTable
from core.rules import invoices as invoice_rules
from core.rules import plans as plan_rules
from core.rules import subscriptions as rules

ENDED = "The subscription has already ended."
ON_HOLD_CANCEL = "The subscription is on hold; reactivate or expire it."
ALREADY = "The subscription is already cancelled."
NOT_CANCELLED = "The subscription is not cancelled."
NOT_HELD = "The subscription is not on hold."
HOLD_ONLY = ("Only an active subscription (not in trial, not cancelled) can be put on hold; "
             "it is {state}.")
RENEWAL_ONLY = "An on-hold subscription can only change plan at renewal."
NO_CHANGE = "No plan change is scheduled."
NO_PERIOD = "The subscription ends before its next period."

# state -> action -> reason (None: allowed), with no plan move scheduled and a next period.
# SPEC: a cancellation pends until its effective date and can be withdrawn until then;
# only an active subscription (not in trial) is put on hold, and a held one cancels only
# after reactivation (or is expired); an immediate plan change bills now, so a held one
# changes only at renewal; cancelled and expired subscriptions take no action.
EXPECTED = {
    "trial": {"cancel": None, "uncancel": NOT_CANCELLED, "expire": None,
              "hold": HOLD_ONLY.format(state="trial"), "reactivate": NOT_HELD,
              "change_plan": None, "change_plan_now": None,
              "cancel_pending_change": NO_CHANGE},
    "active": {"cancel": None, "uncancel": NOT_CANCELLED, "expire": None, "hold": None,
               "reactivate": NOT_HELD, "change_plan": None, "change_plan_now": None,
               "cancel_pending_change": NO_CHANGE},
    "pending_cancellation": {
        "cancel": ALREADY, "uncancel": None, "expire": None,
        "hold": HOLD_ONLY.format(state="pending_cancellation"), "reactivate": NOT_HELD,
        "change_plan": None, "change_plan_now": None, "cancel_pending_change": NO_CHANGE},
    "cancelled": dict.fromkeys(rules.ACTIONS, ENDED),
    "expired": dict.fromkeys(rules.ACTIONS, ENDED),
    "on_hold": {"cancel": ON_HOLD_CANCEL, "uncancel": NOT_CANCELLED, "expire": None,
                "hold": HOLD_ONLY.format(state="on_hold"), "reactivate": None,
                "change_plan": None, "change_plan_now": RENEWAL_ONLY,
                "cancel_pending_change": NO_CHANGE},
}


@pytest.mark.parametrize("state", rules.STATES)
def test_every_state_allows_exactly_its_actions(state):
    assert rules.allowed_actions(state) == EXPECTED[state]


@pytest.mark.parametrize("state", rules.STATES)
def test_a_scheduled_move_can_be_dropped_in_every_live_state(state):
    got = rules.allowed_actions(state, pending_change=True)["cancel_pending_change"]
    assert got == (ENDED if state in ("cancelled", "expired") else None)


def test_no_next_period_refuses_only_the_change_at_renewal():
    table = rules.allowed_actions("pending_cancellation", next_period=False)
    assert table == {**EXPECTED["pending_cancellation"], "change_plan": NO_PERIOD}


def test_the_guard_raises_the_reason_as_a_validation_failure():
    with pytest.raises(Refused) as exc:
        rules.check("hold", "trial")
    assert isinstance(exc.value, ValidationFailed)
    assert exc.value.fields == {"_": HOLD_ONLY.format(state="trial")}
    assert exc.value.action == "hold"
    rules.check("hold", "active")  # allowed: no exception


def test_unknown_state_is_a_programming_error():
    with pytest.raises(ValueError):
        rules.allowed_actions("paused")


def test_states_match_the_models_states():
    from core.models.subscriptions import LIVE_STATES, SUBSCRIPTION_STATES

    assert rules.STATES == SUBSCRIPTION_STATES and rules.LIVE == LIVE_STATES


@pytest.mark.parametrize("lang", ["de", "it"])
def test_reasons_are_translated_when_asked(lang):
    from core import i18n

    before = i18n.language()
    try:
        i18n.set_language(lang)
        reasons = rules.allowed_actions("on_hold")
    finally:
        i18n.set_language(before)
    assert reasons["cancel"] != ON_HOLD_CANCEL and reasons["expire"] is None


@pytest.mark.parametrize(("state", "expected"), [
    ("open", {"record_payment": None, "record_failed_payment": None, "credit": None}),
    ("failed", {"record_payment": None,
                "record_failed_payment": "A failed invoice cannot become failed.",
                "credit": None}),
    ("paid", {"record_payment": "A paid invoice cannot become paid.",
              "record_failed_payment": "A paid invoice cannot become failed.",
              "credit": "A paid invoice cannot become credited."}),
    ("credited", {"record_payment": "A credited invoice cannot become paid.",
                  "record_failed_payment": "A credited invoice cannot become failed.",
                  "credit": "A credited invoice cannot become credited."}),
])
def test_invoice_table(state, expected):
    assert invoice_rules.allowed_actions(state) == expected


def test_invoice_refusal_names_the_state_field():
    with pytest.raises(Refused) as exc:
        invoice_rules.check("credit", "paid")
    assert list(exc.value.fields) == ["state"]


def test_a_new_table_is_a_dict_of_rules():
    """What accesses and groups will add: states and one rule per action."""
    table = TransitionTable("access", ("granted", "revoked"), {
        "revoke": lambda s, f: None if s == "granted" else "Already revoked."})
    assert table.allowed_actions("granted") == {"revoke": None}
    assert table.allowed_actions("revoked") == {"revoke": "Already revoked."}


# -- plans (core/rules/plans.py) ----------------------------------------------------------------

SUPERSEDED = "Version 3 is superseded: open the current version to change the plan."
PLAN_EXPECTED = {
    # The current version: edit in place, a new version, delete; undelete has nothing to do.
    "active": {"edit": None, "new_version": None, "delete": None,
               "undelete": "The plan is not deleted."},
    # An older version: every action belongs to the current one.
    "superseded": {"edit": SUPERSEDED, "new_version": SUPERSEDED, "delete": SUPERSEDED,
                   "undelete": "The plan is not deleted."},
    # A deleted plan comes back by undelete only.
    "deleted": {"edit": "The plan is deleted: undelete it to change it.",
                "new_version": "The plan is deleted; undelete it first.",
                "delete": "The plan is already deleted.", "undelete": None},
}


@pytest.mark.parametrize("state", plan_rules.STATES)
def test_every_plan_state_allows_exactly_its_actions(state):
    assert plan_rules.allowed_actions(state, version=3) == PLAN_EXPECTED[state]


def test_the_plan_table_knows_the_models_states():
    from core.models.plans import PLAN_STATES

    assert plan_rules.STATES == PLAN_STATES
    assert plan_rules.ACTIONS == ("edit", "new_version", "delete", "undelete")


def test_a_refused_plan_action_is_a_refused_validation_on_underscore():
    with pytest.raises(Refused) as exc:
        plan_rules.check("delete", "deleted")
    assert exc.value.action == "delete"
    assert exc.value.fields == {"_": "The plan is already deleted."}
    plan_rules.check("undelete", "deleted")  # allowed: no error
