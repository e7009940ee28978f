"""`kontor groups …` (issue 12): the contract of every verb, JSON fields, bad input → exit 2
and nothing written, not found → 3, a viewer → 4."""

from __future__ import annotations

import json

import pytest

from tests.console.conftest import run_cli as run

pytestmark = pytest.mark.usefixtures("cli_env")

JAN15 = "2026-01-15T10:00+01:00"
JAN30 = "2026-01-30T10:00+01:00"


@pytest.fixture
def path(capsys, tmp_path):
    from core.db import open_database
    from tests.services.commerce_rows import product_with_offer

    p = str(tmp_path / "k.db")
    assert run(capsys, "--db", p, "--operator", "boss", "db", "init")[0] == 0
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"handle": "team", "name": "Team", "amount": 1000,
                                "schedule_type": "month_startdate", "interval_length": 1}))
    assert run(capsys, "--db", p, "--operator", "boss", "plans", "import", str(plan),
               "--at", "2026-01-01T09:00+01:00")[0] == 0
    db = open_database(p)
    with db.transaction() as s:
        o = product_with_offer(s, handle="course", payment="subscription", price=None,
                               plan_handle="team")
        o.group_min_seats, o.group_max_seats = 1, 50
        o = product_with_offer(s, handle="single")
    db.dispose()
    return p


def k(capsys, path, *argv):
    return run(capsys, "--db", path, "--operator", "boss", *argv)


def _count(path, model) -> int:
    from sqlalchemy import func, select

    from core.db import open_database

    db = open_database(path)
    try:
        with db.reading() as s:
            return s.scalar(select(func.count()).select_from(model))
    finally:
        db.dispose()


def test_the_journey_on_the_command_line(capsys, path):
    code, out, err = k(capsys, path, "groups", "create", "--offer", "course-subscription",
                       "--leader", "lea@example.org", "--name", "Team A", "--seats", "5",
                       "--at", JAN15, "--json")
    assert (code, err) == (0, "")
    g = json.loads(out)
    assert set(g) == {"id", "name", "seats_total", "seats_used", "seats_free", "participants",
                      "orders", "subscriptions"}
    assert (g["seats_total"], g["seats_free"]) == (5, 5)
    gid = str(g["id"])
    for i in range(5):
        assert k(capsys, path, "groups", "enrol", gid, f"p{i}@example.org", "--at", JAN15)[0] == 0
    code, out, err = k(capsys, path, "groups", "enrol", gid, "late@example.org", "--at", JAN15)
    assert code == 2 and "buy more seats" in err
    assert k(capsys, path, "groups", "upgrade", gid, "--seats", "3", "--at", JAN30)[0] == 0
    code, out, err = k(capsys, path, "groups", "show", gid, "--at", JAN30, "--json")
    show = json.loads(out)
    assert (show["seats_total"], show["seats_used"]) == (8, 5)
    assert [p["status"] for p in show["participants"]] == ["active"] * 5
    assert [o["seats"] for o in show["orders"]] == [5, 3]
    assert all(set(o) == {"number", "seats", "amount", "status"} for o in show["orders"])
    subs = show["subscriptions"]
    assert [s["seats"] for s in subs] == [5, 3]
    assert set(subs[0]) == {"id", "seats", "state", "next_invoice_at", "amount"}
    assert subs[0]["next_invoice_at"].startswith("2026-02-15")
    assert subs[1]["next_invoice_at"].startswith("2026-02-28")
    # the limit setting
    code, out, _ = k(capsys, path, "groups", "remove", gid, "p0@example.org", "--preview")
    assert code == 0 and "Would remove" in out
    assert k(capsys, path, "groups", "remove", gid, "p0@example.org", "--at", JAN30)[0] == 0
    code, out, _ = k(capsys, path, "settings", "set", "group_limit_active", "true")
    assert code == 0 and "Every group follows" in out
    code, out, _ = k(capsys, path, "groups", "show", gid, "--at", JAN30, "--json")
    assert json.loads(out)["seats_used"] == 5
    k(capsys, path, "settings", "set", "group_limit_active", "false")
    # downgrade back to 5
    code, out, err = k(capsys, path, "groups", "downgrade", gid, "--to", "5", "--preview",
                       "--at", "2026-02-02T10:00+01:00", "--json")
    assert code == 0, err
    p = json.loads(out)
    (ends,) = [x for x in p["lines"] if x["cancel"]]
    assert ends["seats"] == 3 and ends["expires"].startswith("2026-02-28")
    code, out, err = k(capsys, path, "groups", "downgrade", gid, "--to", "5",
                       "--at", "2026-02-02T10:00+01:00")
    assert code == 0 and "ends subscription" in out, err
    code, out, _ = k(capsys, path, "groups", "list", "--json")
    assert [r["id"] for r in json.loads(out)] == [int(gid)]
    code, out, _ = k(capsys, path, "groups", "list", "--full", "--json")
    assert json.loads(out) == []


def test_bad_input_exit_2_and_nothing_written(capsys, path):
    from core.models import Group, Order

    base = ["groups", "create", "--offer", "course-subscription", "--leader",
            "lea@example.org", "--name", "T"]
    for extra in (["--seats", "0"], ["--seats", "51"], ["--seats", "99999999999"],
                  ["--seats", "2", "--at", "yesterday"]):
        code, _out, err = k(capsys, path, *base, *extra)
        assert code == 2, (extra, err)
        assert "Traceback" not in err
    with pytest.raises(SystemExit) as exited:  # argparse's own refusal: exit status 2
        k(capsys, path, *base, "--seats", "x")
    assert exited.value.code == 2
    code, _out, err = k(capsys, path, "groups", "create", "--offer", "single-one_time",
                        "--leader", "lea@example.org", "--name", "T", "--seats", "2")
    assert code == 2 and "single access" in err
    code, _out, err = k(capsys, path, "groups", "create", "--offer", "course-subscription",
                        "--leader", "lea@example.org", "--name", "bad\x1bname", "--seats", "2")
    assert code == 2 and "name" in err
    assert _count(path, Group) == 0 and _count(path, Order) == 0
    assert k(capsys, path, "groups", "show", "42", "--json")[0] == 3
    assert k(capsys, path, "groups", "enrol", "42", "a@example.org")[0] == 3
    assert k(capsys, path, "groups", "downgrade", "42", "--to", "1", "--cancel", "a,b")[0] == 2
    assert k(capsys, path, "groups", "list", "--leader", "nobody@example.org")[0] == 2


def test_a_viewer_may_not_create(capsys, path):
    assert k(capsys, path, "operators", "add", "vera", "--role", "viewer")[0] == 0
    code, _out, _err = run(capsys, "--db", path, "--operator", "vera", "groups", "create",
                          "--offer", "course-subscription", "--leader", "lea@example.org",
                          "--name", "T", "--seats", "2")
    assert code == 4
