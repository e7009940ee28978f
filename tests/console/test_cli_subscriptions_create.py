"""`kontor subscriptions create` prints the invoices it stored (table and --json); --preview
shows the first invoices without saving."""

import json

import pytest

from tests.console.conftest import run_cli as run

pytestmark = pytest.mark.usefixtures("cli_env")  # tests/console/conftest.py


@pytest.fixture
def db(capsys, tmp_path):
    path = str(tmp_path / "k.db")
    assert run(capsys, "--db", path, "--operator", "boss", "demo-data", "--contacts", "3")[0] == 0
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"handle": "gold", "name": "Gold", "amount": 10000,
                                "schedule_type": "month_fixedday", "schedule_fixed_day": 1,
                                "setup_fee": 2500, "setup_fee_handling": "separate"}))
    assert run(capsys, "--db", path, "--operator", "boss", "plans", "import", str(plan))[0] == 0
    return path


def test_create_prints_the_invoices_created(capsys, db, monkeypatch):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import core.services.subscriptions as service

    # Created on its start day (in process, so "now" can be fixed for the service).
    monkeypatch.setattr(service, "utcnow",
                        lambda: datetime(2026, 3, 14, 12, tzinfo=ZoneInfo("Europe/Berlin")))
    base = ("--db", db, "--operator", "boss", "subscriptions", "create", "--contact", "1",
            "--plan", "gold", "--start", "2026-03-14T10:00")
    code, out, err = run(capsys, *base, "--preview", "--json")
    assert (code, err) == (0, "")
    preview = json.loads(out)
    assert [i["amount"] for i in preview["due_now"]] == [2500, 5806]
    code, out, _err = run(capsys, *base, "--preview")
    assert code == 0 and "nothing saved" in out and "€58.06" in out
    code, out, err = run(capsys, "--db", db, "--operator", "boss", "invoices", "list")
    assert code == 0 and "0001" not in out  # the previews stored nothing

    code, out, err = run(capsys, *base)
    assert (code, err) == (0, "")
    assert "Invoices created:" in out and "€25.00" in out and "€58.06" in out
    assert "14/03/2026 – 01/04/2026" in out
    code, out, err = run(capsys, *base, "--json")
    data = json.loads(out)
    assert [(i["number"][-4:], i["kind"], i["amount"]) for i in data["invoices"]] == [
        ("0001", "setup_fee", 2500), ("0002", "plan", 5806)]
    assert data["invoice_count"] == 2
