"""Plans: validation per field, edit in place vs new version, delete/undelete, roles, audit."""

from datetime import UTC, datetime

import pytest

from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.services import audit, plans
from core.services import subscriptions as subs
from tests.services.billing_helpers import MONTHLY_1ST, berlin, contact


def test_create_plan_keeps_reepay_fields_and_starts_at_version_1(admin):
    p = plans.create_plan(admin, {**MONTHLY_1ST, "vat": 0.19, "setup_fee": 2500,
                                  "entitlements": ["video", "forum"]})
    assert (p.handle, p.version, p.state, p.currency) == ("gold", 1, "active", "EUR")
    assert str(p.vat) == "0.19" and p.entitlements == ["video", "forum"]
    assert p.to_reepay()["vat"] == 0.19
    assert plans.get_plan(admin, "gold").id == p.id
    assert p.billing_frequency == "monthly on day 1"  # the plan list's wording


@pytest.mark.parametrize("data, field", [
    ({"handle": "with space"}, "handle"),
    ({"handle": "x" * 256}, "handle"),
    ({"amount": -1}, "amount"),
    ({"amount": 10.5}, "amount"),
    ({"currency": "EURO"}, "currency"),
    ({"vat": 19}, "vat"),
    ({"interval_length": 12001}, "interval_length"),
    ({"schedule_fixed_day": None}, "schedule_fixed_day"),
    ({"schedule_fixed_day": 29}, "schedule_fixed_day"),
    ({"schedule_type": "weekly_fixedday", "schedule_fixed_day": 8}, "schedule_fixed_day"),
    ({"schedule_type": "month_startdate"}, "schedule_fixed_day"),
    ({"schedule_type": "daily", "schedule_fixed_day": None, "base_month": 1}, "base_month"),
    ({"trial_interval_length": 7}, "trial_interval_unit"),
    ({"subscription_duration": "contract_end"}, "contract_period_length"),
    ({"subscription_duration": "renew", "fixed_count": 3}, "fixed_count"),
    ({"renewal_contract_period_length": 6, "renewal_contract_period_unit": "months"},
     "renewal_contract_period_length"),
    ({"partial_period_handling": "bill_half"}, "partial_period_handling"),
    ({"unknown_field": 1}, "unknown_field"),
])
def test_invalid_plans_name_the_field_and_write_nothing(admin, data, field):
    with pytest.raises(ValidationFailed) as exc:
        plans.create_plan(admin, {**MONTHLY_1ST, **data})
    assert field in exc.value.fields, exc.value.fields
    with pytest.raises(NotFound):
        plans.get_plan(admin, MONTHLY_1ST["handle"])


def test_several_bad_fields_are_reported_together(admin):
    with pytest.raises(ValidationFailed) as exc:
        plans.create_plan(admin, {"handle": "a b", "name": "", "amount": -5,
                                  "schedule_type": "month_fixedday"})
    assert {"handle", "name", "amount", "schedule_fixed_day"} <= set(exc.value.fields)


def test_handle_is_unique_across_versions(admin):
    plans.create_plan(admin, MONTHLY_1ST)
    with pytest.raises(ValidationFailed) as exc:
        plans.create_plan(admin, MONTHLY_1ST)
    assert "handle" in exc.value.fields


def test_only_admins_write_plans(agent, viewer):
    for ctx in (agent, viewer):
        with pytest.raises(PermissionDenied):
            plans.create_plan(ctx, MONTHLY_1ST)


def test_edit_in_place_changes_allowed_fields_and_refuses_the_rest(admin):
    p = plans.create_plan(admin, MONTHLY_1ST)
    edited = plans.edit_plan(admin, "gold", {"name": "Gold+", "vat": "0.07", "setup_fee": 100},
                             expected_row_version=p.row_version)
    assert (edited.name, str(edited.vat), edited.setup_fee, edited.version) == (
        "Gold+", "0.07", 100, 1)
    with pytest.raises(ValidationFailed) as exc:
        plans.edit_plan(admin, "gold", {"amount": 1, "interval_length": 2},
            expected_row_version=plans.get_plan(admin, "gold").row_version)
    assert set(exc.value.fields) == {"amount", "interval_length"}
    with pytest.raises(Conflict):
        plans.edit_plan(admin, "gold", {"name": "stale"}, expected_row_version=p.row_version)
    history = audit.history(admin, "plan", p.id)
    assert [h.action for h in history] == ["update", "create"]
    assert history[0].before["name"] == "Gold" and history[0].after["name"] == "Gold+"


def test_new_version_for_new_subscribers_only_keeps_existing_ones(admin):
    plans.create_plan(admin, MONTHLY_1ST)
    s = subs.create_subscription(admin, {"contact_id": contact(admin), "plan": "gold",
                                         "start": berlin(2026, 3, 14, 10)}, now=berlin(2026, 3, 14, 10))
    res = plans.create_plan_version(admin, "gold", {"amount": 12000}, scope="new_only",
        expected_row_version=plans.get_plan(admin, "gold").row_version)
    assert (res.plan.version, res.plan.state, res.superseded, res.subscribers_moving) == (
        2, "active", [1], 0)
    assert plans.get_plan(admin, "gold", 1).state == "superseded"
    assert subs.get_subscription(admin, s.id).pending_plan_id is None
    assert [v.version for v in plans.list_plan_versions(admin, "gold")] == [1, 2]


def test_new_version_for_existing_subscribers_moves_them_at_their_next_period(admin):
    plans.create_plan(admin, MONTHLY_1ST)
    s = subs.create_subscription(admin, {"contact_id": contact(admin), "plan": "gold",
                                         "start": berlin(2026, 3, 14, 10)}, now=berlin(2026, 3, 14, 10))
    assert plans.count_affected_subscribers(admin, "gold").total == 1
    res = plans.create_plan_version(admin, "gold", {"amount": 12000}, scope="new_and_existing",
                                    now=berlin(2026, 4, 10),
                                        expected_row_version=plans.get_plan(admin, "gold").row_version)
    assert res.subscribers_moving == 1
    after = subs.get_subscription(admin, s.id)
    assert after.pending_plan_id == res.plan.id
    assert after.pending_change_at == berlin(2026, 5, 1)


def test_new_version_refuses_a_currency_or_handle_change(admin):
    plans.create_plan(admin, MONTHLY_1ST)
    for change, field in (({"currency": "USD"}, "currency"), ({"handle": "other"}, "handle")):
        with pytest.raises(ValidationFailed) as exc:
            plans.create_plan_version(admin, "gold", change, scope="new_only",
                expected_row_version=plans.get_plan(admin, "gold").row_version)
        assert field in exc.value.fields
    with pytest.raises(ValidationFailed):
        plans.create_plan_version(admin, "gold", {}, scope="everyone",
            expected_row_version=plans.get_plan(admin, "gold").row_version)


def test_deleted_plan_refuses_new_subscriptions_but_keeps_existing_ones(admin):
    plans.create_plan(admin, MONTHLY_1ST)
    cid = contact(admin)
    s = subs.create_subscription(admin, {"contact_id": cid, "plan": "gold"})
    deleted = plans.delete_plan(admin, "gold")
    assert deleted.state == "deleted" and deleted.deleted is not None
    with pytest.raises(ValidationFailed) as exc:
        subs.create_subscription(admin, {"contact_id": cid, "plan": "gold"})
    assert "deleted" in exc.value.fields["plan"]
    assert subs.get_subscription(admin, s.id).state == "active"
    assert plans.undelete_plan(admin, "gold").state == "active"
    subs.create_subscription(admin, {"contact_id": cid, "plan": "gold"})


def test_dunning_plan_must_exist(admin):
    with pytest.raises(ValidationFailed) as exc:
        plans.create_plan(admin, {**MONTHLY_1ST, "dunning_plan": "soft"})
    assert "dunning_plan" in exc.value.fields
    plans.create_dunning_plan(admin, {"handle": "soft", "name": "Soft", "steps": [3, 10]})
    assert plans.create_plan(admin, {**MONTHLY_1ST, "dunning_plan": "soft"}).dunning_plan == "soft"
    assert [d.handle for d in plans.list_dunning_plans(admin)] == ["soft"]


def test_list_plans_newest_first_with_state_filter(admin):
    for i in range(3):
        plans.create_plan(admin, {**MONTHLY_1ST, "handle": f"p{i}"},
                          now=datetime(2026, 1, 1 + i, tzinfo=UTC))
    plans.delete_plan(admin, "p1")
    assert [p.handle for p in plans.list_plans(admin)] == ["p2", "p1", "p0"]
    assert [p.handle for p in plans.list_plans(admin, states=("active",))] == ["p2", "p0"]


@pytest.mark.parametrize("field,value", [
    ("partial_period_handling", "bill_full"), ("partial_proration_days", False),
    ("minimum_prorated_amount", 100), ("renewal_reminder_email_days", 5),
    ("trial_reminder_email_days", 2), ("fixed_trial_days", True), ("prepaid", True),
    ("tax_policy", "dk-standard"), ("account_funding", True), ("schedule_fixed_hour", 6),
    ("include_zero_amount", True)])
def test_fields_outside_seed_004_need_a_new_version(admin, field, value):
    from core.schemas.plans import EDITABLE_IN_PLACE, needs_new_version

    plans.create_plan(admin, {"handle": "gold", "name": "Gold", "amount": 1000,
                              "schedule_type": "month_fixedday", "schedule_fixed_day": 1})
    assert needs_new_version({field: value}) and field not in EDITABLE_IN_PLACE
    with pytest.raises(ValidationFailed) as exc:
        plans.edit_plan(admin, "gold", {field: value},
            expected_row_version=plans.get_plan(admin, "gold").row_version)
    assert field in exc.value.fields
    result = plans.create_plan_version(admin, "gold", {field: value}, scope="new_only",
        expected_row_version=plans.get_plan(admin, "gold").row_version)
    assert getattr(result.plan, field) == value


def test_seed_004_fields_change_in_place(admin):
    from core.schemas.plans import EDITABLE_IN_PLACE

    assert set(EDITABLE_IN_PLACE) == {"name", "description", "vat", "dunning_plan",
                                      "setup_fee", "setup_fee_text", "setup_fee_handling"}


def test_plan_services_are_guarded_by_the_plan_table_and_ship_its_answer(admin):
    """core/rules/plans.py is the guard (Refused on "_") and `allowed_actions` its answer."""
    from core.rules import Refused
    from core.rules import plans as plan_rules

    v1 = plans.create_plan(admin, MONTHLY_1ST)
    assert v1.allowed_actions == plan_rules.allowed_actions("active", version=1)
    assert v1.allowed_actions["delete"] is None and v1.allowed_actions["undelete"]
    v2 = plans.create_plan_version(admin, "gold", {"amount": 1200}, scope="new_only",
                                   expected_row_version=v1.row_version).plan
    old = plans.get_plan(admin, "gold", 1)
    assert old.allowed_actions["edit"] == (
        "Version 1 is superseded: open the current version to change the plan.")
    deleted = plans.delete_plan(admin, "gold", expected_row_version=v2.row_version)
    assert deleted.allowed_actions == plan_rules.allowed_actions("deleted", version=2)
    # Every action the table refuses is refused by its service with the table's reason,
    # and nothing is written.
    for action, call in [
            ("edit", lambda rv: plans.edit_plan(admin, "gold", {"name": "Gold+"},
                                                expected_row_version=rv)),
            ("new_version", lambda rv: plans.create_plan_version(
                admin, "gold", {"amount": 1300}, scope="new_only", expected_row_version=rv)),
            ("delete", lambda rv: plans.delete_plan(admin, "gold", expected_row_version=rv))]:
        with pytest.raises(Refused) as exc:
            call(deleted.row_version)
        assert exc.value.action == action
        assert exc.value.fields == {"_": deleted.allowed_actions[action]}
    assert plans.get_plan(admin, "gold").row_version == deleted.row_version
    assert [p.version for p in plans.list_plan_versions(admin, "gold")] == [1, 2]
    back = plans.undelete_plan(admin, "gold", expected_row_version=deleted.row_version)
    assert back.allowed_actions["undelete"] == "The plan is not deleted."
    with pytest.raises(Refused):
        plans.undelete_plan(admin, "gold")
