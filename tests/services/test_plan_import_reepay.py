"""Reepay fidelity of `plans import` (issue 7 items 6–13, issue 8 items 1–3, 5): every plan
Reepay accepts imports whole, every field survives export → import, bad input is refused
naming the plan and field, nothing is half-written — on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from benchmarks.reepay_catalogue import SCHEDULES, catalogue
from core.errors import KontorError, ValidationFailed
from core.limits import INT32_MAX
from core.schemas.plans import KONTOR_FIELDS, KONTOR_KEY, PLAN_INPUT_FIELDS
from core.services import plans

# One plan with every field of Reepay's plan object set, plus Kontor's own under `kontor`.
FULL = {
    "handle": "full-plan", "version": 2, "state": "superseded",
    "created": "2026-01-05T10:00:00.000+00:00", "name": "Full plan",
    "description": "Alle Felder\nzwei Zeilen", "amount": 29900, "currency": "DKK",
    "vat": 0.25, "amount_incl_vat": False, "include_zero_amount": True, "quantity": 2,
    "renewal_reminder_email_days": 7, "trial_reminder_email_days": 3,
    "dunning_plan": "soft-dunning", "schedule_type": "month_fixedday", "interval_length": 3,
    "schedule_fixed_day": 5, "base_month": 2, "partial_period_handling": "bill_full",
    "partial_proration_days": True, "minimum_prorated_amount": 500, "setup_fee": 4900,
    "setup_fee_text": "Einrichtung", "setup_fee_handling": "separate_conditional",
    "fixed_count": 8, "fixed_life_time_length": 24, "fixed_life_time_unit": "months",
    "trial_interval_length": 14, "trial_interval_unit": "days", "notice_periods": 1,
    "notice_periods_after_current": False, "fixation_periods": 4,
    "fixation_periods_full": True, "entitlements": ["videos", "forum"], "prepaid": True,
    "fixed_trial_days": True, "tax_policy": "dk-standard", "schedule_fixed_hour": 6,
    "account_funding": True,
    KONTOR_KEY: {"contract_period_length": 12, "contract_period_unit": "months",
                 "renewal_contract_period_length": 6, "renewal_contract_period_unit": "months",
                 "minimum_contract_period_length": 3, "minimum_contract_period_unit": "months",
                 "notice_period_length": 4, "notice_period_unit": "weeks",
                 "subscription_duration": "fixed_count"},
}
BASIC = {"handle": "basic", "name": "Basic", "amount": 900, "schedule_type": "month_startdate",
         "created": "2026-01-05T10:00:00.000+00:00", "vat": 0.19, "currency": "EUR"}


def plan_count(ctx) -> int:
    from sqlalchemy import func, select

    from core.models import Plan

    with ctx.db.reading() as session:
        return session.scalar(select(func.count()).select_from(Plan))


def exported(ctx, handle: str, version: int) -> dict:
    return plans.get_plan(ctx, handle, version).to_reepay()


# -- item 6: a Reepay catalogue imports whole --------------------------------------------------


def test_a_reepay_catalogue_with_manual_plans_with_trials_imports_whole(admin):
    items = catalogue(300)
    assert {p["schedule_type"] for p in items} == set(SCHEDULES)
    manual_trials = [p for p in items
                     if p["schedule_type"] == "manual" and p["trial_interval_length"]]
    assert manual_trials
    for field in PLAN_INPUT_FIELDS:  # every Reepay field is set somewhere
        if field not in KONTOR_FIELDS:
            assert any(p.get(field) not in (None, [], "") for p in items), field
    report = plans.import_plans(admin, items)
    assert len(report.plans) == 300 and plan_count(admin) == 300
    assert report.ignored_fields == []
    warned = {(p.handle, p.version) for p in report.plans
              if any(w.startswith("trial_interval_length") for w in p.warnings)}
    assert warned == {(p["handle"], p["version"]) for p in manual_trials}
    # Export gives back what came in (normalisation: account-default VAT written out).
    for item in items[:60]:
        out = exported(admin, item["handle"], item["version"])
        given = {k: v for k, v in item.items() if v is not None}
        given.setdefault("vat", 0.0)
        assert out == given


def test_every_field_survives_import_export_import(admin):
    plans.import_plans(admin, FULL)
    out = exported(admin, "full-plan", 2)
    assert out == FULL
    again = copy.deepcopy(out)
    again["handle"] = "full-plan-copy"
    plans.import_plans(admin, again)
    assert {**exported(admin, "full-plan-copy", 2), "handle": "full-plan"} == out


def test_an_export_without_kontor_terms_has_no_kontor_key(admin):
    plans.import_plans(admin, BASIC)
    assert KONTOR_KEY not in exported(admin, "basic", 1)


def test_an_older_export_with_contract_terms_at_the_top_level_is_read(admin):
    plans.import_plans(admin, {**BASIC, "contract_period_length": 12,
                               "contract_period_unit": "months"})
    assert exported(admin, "basic", 1)[KONTOR_KEY] == {
        "contract_period_length": 12, "contract_period_unit": "months"}


def test_created_keeps_reepays_millisecond_form(admin):
    plans.import_plans(admin, [{**BASIC, "created": "2026-01-05T11:00:00.123456+01:00"},
                               {**BASIC, "handle": "z", "created": "2026-01-05T10:00:00Z"}])
    assert exported(admin, "basic", 1)["created"] == "2026-01-05T10:00:00.123+00:00"
    assert exported(admin, "z", 1)["created"] == "2026-01-05T10:00:00.000+00:00"


def test_kontor_only_rules_are_warnings_not_errors(admin):
    report = plans.import_plans(admin, [
        {**BASIC, "handle": "m", "schedule_type": "manual", "trial_interval_length": 7,
         "trial_interval_unit": "days"},
        {**BASIC, "handle": "d", "schedule_type": "daily", "schedule_fixed_day": 3,
         "base_month": 4, "schedule_fixed_hour": 5},
        {**BASIC, "handle": "u", "trial_interval_unit": "days"}])
    fields = {p.handle: sorted(w.split(":")[0] for w in p.warnings) for p in report.plans}
    assert fields == {"m": ["trial_interval_length"],
                      "d": ["base_month", "schedule_fixed_day", "schedule_fixed_hour"],
                      "u": ["trial_interval_length"]}
    # Kept as given, and still editable in place.
    assert exported(admin, "d", 1)["schedule_fixed_day"] == 3
    assert plans.edit_plan(admin, "m", {"name": "Manual on demand"},
        expected_row_version=plans.get_plan(admin, "m").row_version).name == "Manual on demand"


# -- items 12, 13 and issue 8: bad input named, nothing written --------------------------------


@pytest.mark.parametrize("change, field", [
    ({"amount": 2**31}, "amount"),
    ({"amount": 2**63}, "amount"),
    ({"amount": 10**30}, "amount"),
    ({"setup_fee": INT32_MAX + 1}, "setup_fee"),
    ({"quantity": 2**63}, "quantity"),
    ({"fixed_count": 2**40}, "fixed_count"),
    ({"renewal_reminder_email_days": 2**31}, "renewal_reminder_email_days"),
    ({"minimum_prorated_amount": 2**33}, "minimum_prorated_amount"),
    ({"version": 2**31}, "version"),
    ({"version": 0}, "version"),
    ({"amount": "100"}, "amount"),
    ({"amount": 100.0}, "amount"),
    ({"amount": 99.5}, "amount"),
    ({"amount": True}, "amount"),
    ({"amount_incl_vat": "yes"}, "amount_incl_vat"),
    ({"amount_incl_vat": 1}, "amount_incl_vat"),
    ({"vat": "0.19"}, "vat"),
    ({"vat": True}, "vat"),
    ({"vat": 1.5}, "vat"),
    ({"vat": float("nan")}, "vat"),
    ({"name": ["x"]}, "name"),
    ({"schedule_type": "fortnightly"}, "schedule_type"),
    ({"interval_length": 12001}, "interval_length"),
    ({"schedule_fixed_hour": 24}, "schedule_fixed_hour"),
    ({"fixed_trial_days": True, "partial_proration_days": False}, "fixed_trial_days"),
    ({"name": "Gold\x00"}, "name"),
    ({"description": "a\x00b"}, "description"),
    ({"dunning_plan": "\x00"}, "dunning_plan"),
    ({"dunning_plan": "with space"}, "dunning_plan"),
    ({"tax_policy": 5}, "tax_policy"),
    ({"name": "\ud800"}, "name"),
    ({"entitlements": [["nested"]]}, "entitlements"),
    ({"entitlements": "videos"}, "entitlements"),
    ({"created": []}, "created"),
    ({"created": 1767607200}, "created"),
    ({"created": "yesterday"}, "created"),
    ({"created": "2026-01-05T10:00:00"}, "created"),
    ({"created": "9999-12-31T00:00:00.000+00:00"}, "created"),
    ({"created": "0001-01-01T00:00:00+14:00"}, "created"),
    ({"created": "1969-12-31T23:00:00.000+00:00"}, "created"),
    ({"deleted": "2026-02-01T00:00:00.000+00:00"}, "deleted"),  # an active plan
    ({"state": "paused"}, "state"),
    ({KONTOR_KEY: []}, KONTOR_KEY),
    ({KONTOR_KEY: {"amount": 5}}, f"{KONTOR_KEY}.amount"),
])
def test_bad_values_are_refused_naming_plan_and_field(admin, change, field):
    with pytest.raises(ValidationFailed) as exc:
        plans.import_plans(admin, [BASIC, {**BASIC, "handle": "bad", **change}])
    assert list(exc.value.fields) == ["plan[1] bad"]
    assert exc.value.fields["plan[1] bad"].startswith(field + ":")
    assert plan_count(admin) == 0  # all or nothing


def test_control_characters_are_stripped_with_a_warning(admin):
    report = plans.import_plans(admin, {**BASIC, "name": "Gold \x1b[31mred",
                                        "description": "two\nlines\x07"})
    p = plans.get_plan(admin, "basic")
    assert (p.name, p.description) == ("Gold [31mred", "two\nlines")
    assert sorted(report.plans[0].warnings) == [
        "description: control characters were removed.",
        "name: control characters were removed."]


def test_empty_dunning_plan_means_none_and_deleted_plans_keep_their_date(admin):
    plans.import_plans(admin, [
        {**BASIC, "dunning_plan": ""},
        {**BASIC, "handle": "gone", "state": "deleted",
         "deleted": "2026-02-01T00:00:00.000+00:00"}])
    assert plans.get_plan(admin, "basic").dunning_plan is None
    assert plans.get_plan(admin, "gone").deleted == datetime(2026, 2, 1, tzinfo=UTC)
    assert plans.list_dunning_plans(admin) == []


def test_an_empty_list_imports_nothing(admin):
    report = plans.import_plans(admin, [])
    assert report.plans == [] and plan_count(admin) == 0


@pytest.mark.parametrize("payload", ["plans", 5, None, [1, "x"]])
def test_a_file_that_holds_no_plan_objects_is_refused(admin, payload):
    with pytest.raises(ValidationFailed):
        plans.import_plans(admin, payload)


def test_missing_vat_and_currency_take_the_account_defaults_not_eur_silently(admin):
    from core.services import settings

    settings.set_setting(admin, "default_vat", "0.25")
    settings.set_setting(admin, "default_currency", "SEK")
    item = {k: v for k, v in BASIC.items() if k not in ("vat", "currency")}
    plans.import_plans(admin, item)
    p = plans.get_plan(admin, "basic")
    assert (p.vat, p.currency) == (Decimal("0.25"), "SEK")


# -- properties -----------------------------------------------------------------------------

_handles = itertools.count()
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
# Values from each field's range and just outside it, and of the wrong JSON type.
ANY_JSON = (st.none() | st.booleans() | st.integers(-2**64, 2**64) | st.floats() | TEXT
            | st.lists(st.integers(0, 3) | TEXT, max_size=3)
            | st.dictionaries(TEXT, st.integers(), max_size=2))
FIELD_VALUES = {
    "amount": st.integers(-1, INT32_MAX + 1), "quantity": st.integers(0, 3),
    "vat": st.sampled_from([0, 0.07, 0.19, 0.25, 0.999, 1, -0.1, 1e-05]),
    "schedule_type": st.sampled_from(SCHEDULES), "interval_length": st.integers(0, 12001),
    "schedule_fixed_day": st.none() | st.integers(0, 29),
    "schedule_fixed_hour": st.none() | st.integers(-1, 24),
    "base_month": st.none() | st.integers(0, 13),
    "trial_interval_length": st.none() | st.integers(0, 40),
    "trial_interval_unit": st.none() | st.sampled_from(["days", "months", "weeks"]),
    "fixed_trial_days": st.none() | st.booleans(), "prepaid": st.none() | st.booleans(),
    "partial_proration_days": st.booleans(), "include_zero_amount": st.booleans(),
    "account_funding": st.none() | st.booleans(),
    "tax_policy": st.none() | st.sampled_from(["", "dk-standard", "bad policy"]),
    "dunning_plan": st.none() | st.sampled_from(["", "soft", "x\x00"]),
    "setup_fee": st.none() | st.integers(-1, 5000), "name": TEXT,
    "description": TEXT, "setup_fee_text": st.none() | TEXT,
    "state": st.sampled_from(["active", "superseded", "deleted", "x"]),
    "created": st.sampled_from(["2026-01-05T10:00:00.000+00:00", "2026-01-05T10:00:00.5Z",
                                "2199-12-31T23:59:59.999+00:00", "2200-01-01T00:00:00Z"]),
}


@st.composite
def reepay_plans(draw):
    base = dict(draw(st.sampled_from(catalogue(60))))
    for field in draw(st.lists(st.sampled_from(sorted(FIELD_VALUES)), max_size=6)):
        base[field] = draw(FIELD_VALUES[field])
    base["handle"] = f"h{next(_handles)}"
    return base


PROPERTY = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@PROPERTY
@given(reepay_plans())
def test_any_accepted_plan_survives_export_and_import_unchanged(admin, item):
    try:
        plans.import_plans(admin, item)
    except ValidationFailed:
        event("refused")
        return
    event("accepted")
    first = exported(admin, item["handle"], item.get("version") or 1)
    again = {**copy.deepcopy(first), "handle": first["handle"] + "-again"}
    plans.import_plans(admin, again)
    second = exported(admin, again["handle"], again["version"])
    assert {**second, "handle": first["handle"]} == first


@st.composite
def mutated_files(draw):
    items = [dict(p) for p in draw(st.lists(st.sampled_from(catalogue(40)), min_size=1,
                                            max_size=4, unique_by=lambda p: p["handle"]))]
    for _ in range(draw(st.integers(1, 4))):
        item = draw(st.sampled_from(items))
        action = draw(st.sampled_from(["set", "drop", "junk_key", "kontor"]))
        field = draw(st.sampled_from(sorted(set(PLAN_INPUT_FIELDS) | {"version", "state",
                                                                        "created",
                                                                        "deleted"})))
        if action == "set":
            item[field] = draw(ANY_JSON)
        elif action == "drop":
            item.pop(field, None)
        elif action == "junk_key":
            item[draw(TEXT)] = draw(ANY_JSON)
        else:
            item[KONTOR_KEY] = draw(ANY_JSON | st.fixed_dictionaries(
                {draw(st.sampled_from(KONTOR_FIELDS)): ANY_JSON}))
    tag = next(_handles)
    for item in items:
        if isinstance(item.get("handle"), str):
            item["handle"] = f"{item['handle']}-{tag}"
    return items


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(mutated_files())
def test_mutated_reepay_files_never_raise_anything_but_kontor_errors(admin, items):
    before = plan_count(admin)
    try:
        report = plans.import_plans(admin, items)
    except KontorError:
        event("refused")
        assert plan_count(admin) == before  # nothing half-written
        return
    event("imported")
    assert plan_count(admin) == before + len(items) == before + len(report.plans)


def test_a_row_stored_before_the_text_guards_stays_readable(admin):
    from sqlalchemy import update

    from core.models import Plan

    plans.import_plans(admin, BASIC)
    with admin.db.transaction() as session:
        session.execute(update(Plan).values(name="Gold \u202eevil\x1b[0m\n",
                                            description="a\nb\x07"))
    p = plans.get_plan(admin, "basic")
    assert (p.name, p.description) == ("Gold evil[0m", "a\nb")
