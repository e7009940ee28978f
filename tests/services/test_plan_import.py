"""Reepay plan import: kept as given, unknown fields reported, all or nothing."""

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from core.errors import NotFound, ValidationFailed
from core.services import plans

REEPAY_PLAN = {
    "name": "Quarterly Primo", "description": "Billed Jan, Apr, Jul, Oct", "vat": 0.25,
    "amount": 29900, "quantity": 1, "prepaid": False, "handle": "quarterly-primo",
    "version": 3, "state": "active", "currency": "DKK",
    "created": "2024-11-05T09:30:12.123+00:00", "dunning_plan": "default",
    "renewal_reminder_email_days": 7, "trial_reminder_email_days": None,
    "partial_period_handling": "bill_prorated", "include_zero_amount": False,
    "setup_fee": None, "setup_fee_text": None, "setup_fee_handling": "first",
    "partial_proration_days": True, "fixed_trial_days": True, "minimum_prorated_amount": 0,
    "amount_incl_vat": True, "fixed_count": None, "fixed_life_time_unit": None,
    "fixed_life_time_length": None, "trial_interval_unit": None,
    "trial_interval_length": None, "interval_length": 3, "schedule_type": "month_fixedday",
    "schedule_fixed_day": 1, "base_month": 1, "notice_periods": 0,
    "notice_periods_after_current": True, "fixation_periods": 0,
    "fixation_periods_full": False, "entitlements": [], "tax_policy": None,
    "account_funding": None, "schedule_fixed_hour": None,
}


def test_import_keeps_handle_version_state_created_and_reports_unknown_fields(admin):
    superseded = {**REEPAY_PLAN, "version": 2, "state": "superseded", "amount": 24900}
    report = plans.import_plans(admin, [superseded, REEPAY_PLAN])
    assert [(p.handle, p.version, p.state) for p in report.plans] == [
        ("quarterly-primo", 2, "superseded"), ("quarterly-primo", 3, "active")]
    assert report.ignored_fields == []  # every Reepay field is kept (issue 7 item 7)
    assert report.dunning_plans_created == ["default"]
    p = plans.get_plan(admin, "quarterly-primo")
    assert (p.version, p.amount, p.currency, p.base_month, p.interval_length) == (
        3, 29900, "DKK", 1, 3)
    assert p.created == datetime(2024, 11, 5, 9, 30, 12, 123000, tzinfo=UTC)
    assert p.to_reepay()["vat"] == 0.25
    assert (p.prepaid, p.fixed_trial_days) == (False, True)


def test_one_invalid_plan_rejects_the_whole_file_with_reasons(admin):
    bad = {**REEPAY_PLAN, "handle": "broken", "schedule_fixed_day": 31}
    worse = {**REEPAY_PLAN, "handle": "worse", "schedule_type": "fortnightly"}
    with pytest.raises(ValidationFailed) as exc:
        plans.import_plans(admin, [REEPAY_PLAN, bad, worse])
    assert set(exc.value.fields) == {"plan[1] broken", "plan[2] worse"}
    assert "schedule_fixed_day" in exc.value.fields["plan[1] broken"]
    with pytest.raises(NotFound):
        plans.get_plan(admin, "quarterly-primo")


def test_importing_an_existing_version_imports_nothing(admin):
    plans.import_plans(admin, REEPAY_PLAN)
    other = {**REEPAY_PLAN, "handle": "other"}
    with pytest.raises(ValidationFailed) as exc:
        plans.import_plans(admin, [other, REEPAY_PLAN])
    assert "quarterly-primo v3" in exc.value.fields
    with pytest.raises(NotFound):
        plans.get_plan(admin, "other")


def test_duplicates_within_the_file_are_refused(admin):
    with pytest.raises(ValidationFailed) as exc:
        plans.import_plans(admin, [REEPAY_PLAN, REEPAY_PLAN])
    assert "appears twice" in next(iter(exc.value.fields.values()))


def test_cli_import_reports_and_exits_2_on_a_bad_file(tmp_path):
    db = tmp_path / "k.db"
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps([REEPAY_PLAN]))
    bad.write_text(json.dumps([{**REEPAY_PLAN, "handle": "b", "amount": -1}]))
    cmd = [sys.executable, "-m", "console.cli", "--db", str(db), "--operator", "admin",
           "plans", "import"]
    subprocess.run([*cmd[:7], "db", "init"], check=True, capture_output=True)
    r = subprocess.run([*cmd, str(bad)], capture_output=True, text=True)
    assert r.returncode == 2 and "amount" in r.stderr and "nothing was imported" in r.stderr
    r = subprocess.run([*cmd, str(good), "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["plans"][0]["version"] == 3
