"""The order transition table (core/rules/orders.py): pay only pending, cancel pending or
paid, refund paid, final states refuse everything with a reason."""

import pytest

from core.rules import Refused
from core.rules import orders as rules


@pytest.mark.parametrize("state, allowed", [
    ("pending", {"pay", "cancel"}),
    ("paid", {"cancel", "refund"}),
    ("cancelled", set()),
    ("refunded", set()),
])
def test_allowed_actions_per_state(state, allowed):
    actions = rules.allowed_actions(state)
    assert {a for a, why in actions.items() if why is None} == allowed
    assert all(isinstance(why, str) and why for a, why in actions.items() if a not in allowed)


def test_edit_access_needs_a_paid_order_with_an_access():
    assert rules.allowed_actions("paid", has_access=True)["edit_access"] is None
    assert rules.allowed_actions("paid")["edit_access"] == "The order has no access."
    assert "not paid" in rules.allowed_actions("pending", has_access=True)["edit_access"]


def test_paying_twice_is_refused_with_the_reason():
    with pytest.raises(Refused) as exc:
        rules.check("pay", "paid")
    assert exc.value.fields == {"_": "The order is already paid."}
