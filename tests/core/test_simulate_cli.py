"""`kontor simulate`: the engine's JSON, a readable table, exit 2 on bad input, no database."""

import json
import os
import subprocess
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from core.billing import simulate
from core.schemas.plans import from_reepay

PLAN = {"handle": "gold", "name": "Gold", "amount": 10000, "schedule_type": "month_fixedday",
        "schedule_fixed_day": 1, "vat": 0.19, "setup_fee": 2500,
        "setup_fee_handling": "separate", "trial_interval_length": 7,
        "trial_interval_unit": "days", "version": 4, "state": "active",
        "created": "2024-01-01T00:00:00+00:00", "tax_policy": None, "prepaid": False}


def _kontor(tmp_path, *args):
    env = {**os.environ, "KONTOR_DATABASE_URL": f"sqlite:///{tmp_path / 'never.db'}",
           "XDG_DATA_HOME": str(tmp_path / "xdg")}
    return subprocess.run([sys.executable, "-m", "console.cli", *args], capture_output=True,
                          text=True, env=env)


@pytest.fixture
def plan_file(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(PLAN))
    return path


def test_json_is_exactly_the_engines_simulation(tmp_path, plan_file):
    r = _kontor(tmp_path, "simulate", "--plan", str(plan_file), "--start", "2026-03-14T10:00",
                "--until", "2026-06-30", "--quantity", "2", "--cancel-at",
                "2026-05-20T12:00", "--json")
    assert r.returncode == 0, r.stderr
    _inp, terms = from_reepay(PLAN)
    berlin = ZoneInfo("Europe/Berlin")
    expected = simulate(terms, datetime(2026, 3, 14, 10, tzinfo=berlin), date(2026, 6, 30),
                        quantity=2, cancel_at=datetime(2026, 5, 20, 12, tzinfo=berlin))
    assert json.loads(r.stdout) == expected.to_json_dict()
    assert json.loads(r.stdout)["subscription"]["expires"] == "2026-06-01T00:00:00+02:00"
    # No database was opened, let alone created.
    assert not (tmp_path / "never.db").exists() and not (tmp_path / "xdg").exists()


def test_table_output_is_readable(tmp_path, plan_file):
    r = _kontor(tmp_path, "simulate", "--plan", str(plan_file), "--start", "2026-03-14T10:00",
                "--until", "2026-04-30", "--tz", "Europe/Rome", "--no-trial")
    assert r.returncode == 0, r.stderr
    assert "€25.00" in r.stdout and "€58.06" in r.stdout and "€100.00" in r.stdout
    assert "trial_end" not in r.stdout and "Trial ends" not in r.stdout
    assert "14/03/2026 – 01/04/2026" in r.stdout  # local days, four-digit years


@pytest.mark.parametrize("args, message", [
    (["--start", "14.03.2026"], "--start"),
    (["--start", "2026-03-14T10:00", "--until", "2026-02-30"], "--until"),
    (["--start", "2026-03-14T10:00", "--until", "2026-01-01"], "before --start"),
    (["--start", "2026-03-14T10:00", "--tz", "Mars/Olympus"], "time zone"),
    (["--start", "2026-03-14T10:00", "--cancel-at", "soon"], "--cancel-at"),
    (["--start", "2026-03-14T10:00", "--quantity", "0"], "--quantity"),
])
def test_bad_dates_are_a_clear_error_with_exit_2(tmp_path, plan_file, args, message):
    r = _kontor(tmp_path, "simulate", "--plan", str(plan_file), *args)
    assert r.returncode == 2 and message in r.stderr and r.stdout == ""


@pytest.mark.parametrize("plan, message", [
    ({**PLAN, "schedule_fixed_day": 31}, "schedule_fixed_day"),
    ({**PLAN, "amount": -1}, "amount"),
    ({k: v for k, v in PLAN.items() if k != "schedule_type"}, "schedule_type"),
    ([1, 2], "Not a plan object"),
])
def test_bad_plan_is_a_clear_error_with_exit_2(tmp_path, plan, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(plan))
    r = _kontor(tmp_path, "simulate", "--plan", str(path), "--start", "2026-03-14T10:00")
    assert r.returncode == 2 and message in r.stderr, r.stderr


def test_unreadable_or_invalid_json_plan(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    r = _kontor(tmp_path, "simulate", "--plan", str(tmp_path / "broken.json"), "--start",
                "2026-03-14T10:00")
    assert r.returncode == 2 and "not valid JSON" in r.stderr
    r = _kontor(tmp_path, "simulate", "--plan", str(tmp_path / "missing.json"), "--start",
                "2026-03-14T10:00")
    assert r.returncode == 2 and "cannot read" in r.stderr


def test_billing_cli_modules_do_not_import_sqlalchemy():
    code = ("import sys, console.cli.billing, console.cli.plans; "
            "assert not [m for m in sys.modules if m.startswith('sqlalchemy')]")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_table_output_follows_the_language(tmp_path, plan_file):
    """Issue 9 item 14: the CLI's tables are translated and formatted by --lang; JSON is not."""
    args = ("simulate", "--plan", str(plan_file), "--start", "2026-03-14T10:00",
            "--until", "2026-04-30", "--tz", "Europe/Rome", "--no-trial")
    r = _kontor(tmp_path, "--lang", "de", *args)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split()[0] == "Beginn" and "Periode" in r.stdout and "Posten" in r.stdout
    assert "58,06\xa0€" in r.stdout and "14.03.2026 – 01.04.2026" in r.stdout
    assert "EUR" not in r.stdout and "prorated" not in r.stdout and "Issued" not in r.stdout
    r = _kontor(tmp_path, "--lang", "it", *args)
    assert "58,06\xa0€" in r.stdout and "14/03/2026 – 01/04/2026" in r.stdout
    j = _kontor(tmp_path, "--lang", "de", *args, "--json")
    assert '"amount": 5806' in j.stdout and '"2026-03-14T10:00:00+01:00"' in j.stdout
