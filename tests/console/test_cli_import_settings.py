"""`kontor plans import`, `kontor settings` and `kontor simulate` ranges: exit codes and
messages on stderr, never a traceback."""

from __future__ import annotations

import json

import pytest

from console.cli import main

PLAN = {"handle": "gold", "name": "Gold", "amount": 2900, "schedule_type": "month_fixedday",
        "schedule_fixed_day": 1, "vat": 0.19, "currency": "EUR",
        "created": "2026-01-05T10:00:00.000+00:00"}


pytestmark = pytest.mark.usefixtures("cli_env")  # tests/console/conftest.py


@pytest.fixture
def kontor(capsys, tmp_path):
    db = str(tmp_path / "k.db")
    assert main(["--db", db, "--operator", "admin", "db", "init"]) == 0
    capsys.readouterr()

    def run(*argv: str, operator: str = "admin") -> tuple[int, str, str]:
        code = main(["--db", db, "--operator", operator, *argv])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    return run


def write(tmp_path, name: str, content) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_import_prints_what_it_imported_and_the_warnings(kontor, tmp_path):
    manual = {**PLAN, "handle": "on-demand", "schedule_type": "manual",
              "schedule_fixed_day": None, "trial_interval_length": 7,
              "trial_interval_unit": "days"}
    code, out, err = kontor("plans", "import", write(tmp_path, "p.json", [PLAN, manual]))
    assert code == 0, err
    assert "imported gold v1 (active)" in out and "imported on-demand v1 (active)" in out
    assert "warning: trial_interval_length:" in out
    code, out, _err = kontor("plans", "show", "gold", "--json")
    assert json.loads(out)["created"] == "2026-01-05T10:00:00.000+00:00"


def test_import_json_report_lists_warnings(kontor, tmp_path):
    code, out, _err = kontor("plans", "import", "--json",
                             write(tmp_path, "p.json", {**PLAN, "name": "a\x1bb"}))
    assert code == 0
    assert json.loads(out)["plans"][0]["warnings"] == ["name: control characters were removed."]


def test_an_empty_list_says_nothing_was_imported(kontor, tmp_path):
    code, out, _err = kontor("plans", "import", write(tmp_path, "p.json", []))
    assert (code, out.strip()) == (0, "nothing was imported: the file holds no plans")


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not valid JSON"),
    ("[" * 100_000, "is not valid JSON"),
    (b"\xff\xfe".decode("latin-1"), "not UTF-8"),
])
def test_unreadable_or_invalid_files_exit_2(kontor, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content.encode("latin-1") if message == "not UTF-8" else content.encode())
    code, _out, err = kontor("plans", "import", str(path))
    assert code == 2 and message in err


def test_a_missing_file_exits_2(kontor, tmp_path):
    code, _out, err = kontor("plans", "import", str(tmp_path / "nope.json"))
    assert code == 2 and "cannot read" in err


@pytest.mark.parametrize("change, field", [
    ({"amount": 2**63}, "amount"), ({"amount": 2**31}, "amount"),
    ({"amount": "100"}, "amount"), ({"amount_incl_vat": "yes"}, "amount_incl_vat"),
    ({"name": "x\x00"}, "name"), ({"created": []}, "created"),
    ({"deleted": "2026-02-01T00:00:00Z"}, "deleted"), ({"dunning_plan": "\x00"}, "dunning_plan"),
])
def test_bad_plans_exit_2_naming_plan_and_field_and_import_nothing(kontor, tmp_path, change,
                                                                   field):
    other = {**PLAN, "handle": "other"}
    code, _out, err = kontor("plans", "import",
                             write(tmp_path, "p.json", [other, {**PLAN, **change}]))
    assert code == 2
    assert "nothing was imported" in err and f"plan[1] gold: {field}:" in err
    code, out, _err = kontor("plans", "list", "--format", "json")
    assert json.loads(out) == []


def test_settings_list_get_set(kontor):
    code, out, _err = kontor("settings", "list", "--json")
    assert code == 0
    assert {r["key"]: r["value"] for r in json.loads(out)} == {
        "account_timezone": "Europe/Berlin", "default_currency": "EUR", "default_vat": "0",
        "group_limit_active": "false", "overdue_keeps_access": "false"}
    assert kontor("settings", "set", "default_vat", "0.19")[:2] == (0, "default_vat = 0.19\n")
    assert kontor("settings", "get", "default_vat")[1] == "0.19\n"
    code, out, _err = kontor("settings", "get", "default_vat", "--format", "csv")
    assert out.splitlines()[1].startswith("default_vat,0.19,0,False,")


@pytest.mark.parametrize("argv, named", [
    (("settings", "get", "nope"), "key"),
    (("settings", "set", "nope", "1"), "key"),
    (("settings", "set", "default_vat", "1.2"), "default_vat"),
    (("settings", "set", "default_currency", "EURO"), "default_currency"),
    (("settings", "set", "account_timezone", "Mars/Base"), "account_timezone"),
])
def test_settings_bad_key_or_value_exits_2_naming_it(kontor, argv, named):
    code, _out, err = kontor(*argv)
    assert code == 2 and err.startswith(f"kontor: {named}:")


def test_only_admins_set_settings(kontor):
    kontor("operators", "list")  # the first operator (admin) is created
    code, _out, err = kontor("settings", "set", "default_vat", "0.19", operator="visitor")
    assert code == 4 and "may not" in err  # the contract: 4 permission denied
    assert kontor("settings", "get", "default_vat", operator="visitor")[1] == "0\n"


@pytest.mark.parametrize("argv, option", [
    (("--start", "2026-03-14T10:00", "--until", "9999-12-31"), "--until"),
    (("--start", "0001-01-01T00:00"), "--start"),
    (("--start", "2026-03-14T10:00", "--until", "2199-12-31"), "--until"),  # > 100 years
    (("--start", "2026-03-14T10:00", "--cancel-at", "2300-01-01T00:00"), "--cancel-at"),
    (("--start", "2026-03-14T10:00", "--quantity", str(2**31)), "--quantity"),
])
def test_simulate_refuses_dates_outside_the_range_naming_the_option(capsys, tmp_path, argv,
                                                                     option):
    plan = write(tmp_path, "plan.json", {"handle": "d", "name": "D", "amount": 100,
                                         "schedule_type": "daily"})
    code = main(["simulate", "--plan", plan, *argv])
    _out, err = capsys.readouterr()
    assert code == 2 and err.startswith(f"kontor: {option}") and "Traceback" not in err


@pytest.mark.parametrize("until", ["9999-12-31", "0001-01-01", "2200-01-01T00:00"])
def test_billing_run_refuses_an_until_outside_the_range(kontor, until):
    code, _out, err = kontor("billing", "run", "--until", until)
    assert code == 2 and err.startswith("kontor: --until: Dates must lie between")
