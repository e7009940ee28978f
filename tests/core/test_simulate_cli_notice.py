"""`kontor simulate … --cancel-at … --json` gives the rule 7 worked examples' dates."""

import json
import os
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.core.billing.notice_examples import EXAMPLES

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize("ex", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_simulate_cancel_at_gives_the_worked_example(tmp_path, ex):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(ex.plan))
    env = {**os.environ, "KONTOR_DATABASE_URL": f"sqlite:///{tmp_path / 'never.db'}",
           "XDG_DATA_HOME": str(tmp_path / "xdg")}
    r = subprocess.run(
        [sys.executable, "-m", "console.cli", "simulate", "--plan", str(plan),
         "--start", ex.start.isoformat(), "--until", ex.expires.date().isoformat(),
         "--cancel-at", ex.cancel_at.isoformat(), "--json"],
        check=False, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    expected = ex.expires.replace(tzinfo=BERLIN).isoformat()
    assert out["subscription"]["expires"] == expected
    assert out["subscription"]["state"] == "cancelled"
    assert [i["amount"] for i in out["invoices"]] == ex.amounts
    assert datetime.fromisoformat(out["invoices"][-1]["period_end"]) == ex.expires.replace(
        tzinfo=BERLIN)
