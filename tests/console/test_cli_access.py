"""`kontor access list|switch|delete|extend|pause|resume|accept` (console/cli/access.py):
the CLI contract — JSON keys, --at, exit 2 for bad input with nothing written, 3 not found."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.console.conftest import run_cli as run

pytestmark = pytest.mark.usefixtures("cli_env")  # tests/console/conftest.py

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def db(capsys, tmp_path):
    """A database with contact 1 (anna.mueller@example.de) holding access 1 to "yoga"
    (4 lessons, delays 0/7/14/21, 30 days) and a second offer of the same product."""
    from core.db import open_database
    from core.models import Contact, Lesson, Offer
    from core.services import accesses
    from core.services.operators import sign_in
    from tests.services.commerce_rows import product_with_offer

    path = str(tmp_path / "k.db")
    assert run(capsys, "--db", path, "--operator", "boss", "demo-data", "--contacts", "3")[0] == 0
    database = open_database(path)
    ctx = sign_in(database, "boss")
    with database.transaction() as s:
        offer = product_with_offer(s, template={
            "release": "delays", "checkpoints": True, "review": "curator",
            "duration": {"length": 30, "unit": "days"}})
        s.query(Lesson).filter(Lesson.key == "l2").update({"checkpoint": True,
                                                            "practice": True})
        s.add(Offer(handle="yoga-all", product_id=offer.product_id, name="Yoga all-in",
                    sort_key="yoga all-in", payment="one_time", price=9900, currency="EUR",
                    template={"release": "none"}))
        contact = s.get(Contact, 1)
        accesses.grant(s, ctx, contact_id=contact.id, offer=offer,
                       starts_at=datetime(2026, 3, 20, 15, tzinfo=BERLIN))
        email = contact.email
    database.dispose()
    return path, email


def cli(capsys, path, *args):
    return run(capsys, "--db", path, "--operator", "boss", "access", *args)


def test_list_by_email_or_id_with_the_contract_keys(capsys, db):
    path, email = db
    code, out, err = cli(capsys, path, "list", "--contact", email, "--at",
                         "2026-03-21T10:00", "--json")
    assert (code, err) == (0, "")
    (row,) = json.loads(out)
    assert row == {"id": 1, "product": "Yoga", "offer": "yoga offer", "status": "active",
                   "starts_at": "2026-03-20T14:00:00+00:00",
                   "ends_at": "2026-04-19T13:00:00+00:00"}
    code, out, _err = cli(capsys, path, "list", "--contact", "1")
    assert code == 0 and "Yoga" in out and "Product" in out
    assert cli(capsys, path, "list", "--contact", "nobody@example.org")[0] == 3
    assert cli(capsys, path, "list", "--contact", "x y")[0] == 2


def test_pause_resume_extend_and_accept(capsys, db):
    path, _email = db
    code, out, err = cli(capsys, path, "pause", "1", "--from", "2026-03-25T10:00", "--at",
                         "2026-03-25T10:00", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["status"] == "paused" and json.loads(out)["ends_at"] is None
    code, out, err = cli(capsys, path, "resume", "1", "--at", "2026-03-27T09:00", "--json")
    assert json.loads(out)["ends_at"] == "2026-04-21T13:00:00+00:00"  # 2 whole days later
    code, out, err = cli(capsys, path, "extend", "1", "--by", "14d", "--at", "2026-03-28T09:00")
    assert (code, err) == (0, "") and "now ends" in out
    code, out, err = cli(capsys, path, "extend", "1", "--to", "2026-06-30", "--json")
    assert json.loads(out)["ends_at"] == "2026-06-30T13:00:00+00:00"
    code, out, err = cli(capsys, path, "accept", "1", "--lesson", "l2", "--at",
                         "2026-03-28T09:00", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["accepted"] == ["l2"]


def test_bad_input_exits_2_and_writes_nothing(capsys, db):
    path, _email = db

    def history():
        code, out, _err = cli(capsys, path, "list", "--contact", "1", "--json")
        return out

    before = history()
    for args, needle in ((("extend", "1", "--by", "2w"), "--by"),
                         (("extend", "1", "--to", "2026-13-01"), "--to"),
                         (("pause", "1", "--from", "noon"), "--from"),
                         (("pause", "1", "--from", "2026-04-02", "--to", "2026-04-01"), "to"),
                         (("accept", "1", "--lesson", "nope"), "lesson"),
                         (("switch", "1", "--offer", "nope"), "offer"),
                         (("resume", "1"), "not paused")):
        code, out, err = cli(capsys, path, *args, "--at", "2026-03-22T10:00")
        assert code == 2 and needle in err and out == "", (args, err)
        assert "Traceback" not in err
    assert history() == before
    assert cli(capsys, path, "delete", "99")[0] == 3


def test_switch_preview_then_switch_then_delete(capsys, db):
    path, _email = db
    code, out, err = cli(capsys, path, "switch", "1", "--offer", "yoga-all", "--preview",
                         "--at", "2026-03-21T10:00", "--json")
    assert (code, err) == (0, "")
    preview = json.loads(out)
    assert (preview["billing"], preview["lessons_before"], preview["lessons_after"]) == (
        "none", [1, 4], [4, 4])
    assert json.loads(cli(capsys, path, "list", "--contact", "1", "--json")[1])[0]["id"] == 1
    code, out, err = cli(capsys, path, "switch", "1", "--offer", "yoga-all", "--at",
                         "2026-03-21T10:00")
    assert (code, err) == (0, "") and "replaced by access 2" in out
    (row,) = json.loads(cli(capsys, path, "list", "--contact", "1", "--json")[1])
    assert (row["id"], row["offer"], row["starts_at"]) == (2, "Yoga all-in",
                                                           "2026-03-20T14:00:00+00:00")
    code, out, err = cli(capsys, path, "delete", "2", "--json")
    assert (code, err) == (0, "") and json.loads(out)["deleted"] is True
    assert json.loads(cli(capsys, path, "list", "--contact", "1", "--json")[1]) == []
    all_rows = json.loads(cli(capsys, path, "list", "--contact", "1", "--all", "--json")[1])
    assert [r["id"] for r in all_rows] == [2, 1]
