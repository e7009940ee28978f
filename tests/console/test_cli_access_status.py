"""`kontor access …` and `kontor contacts lock|unlock` (issue 11): the CLI contract —
exact JSON of `access show`, exit 2 with a clear message and nothing written on bad input."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from core.db import open_database
from core.models import AuditRecord
from core.services import accesses, invoices, plans
from core.services import subscriptions as subs
from core.services.operators import sign_in
from tests.console.conftest import run_cli as run
from tests.services.billing_helpers import MONTHLY_1ST, berlin
from tests.services.commerce_rows import product_with_offer

pytestmark = pytest.mark.usefixtures("cli_env")


@pytest.fixture
def env(capsys, tmp_path):
    """A database with a paid monthly subscription behind access 1 (contact 1) and three
    one-time accesses 2–4 of other contacts."""
    path = str(tmp_path / "k.db")
    assert run(capsys, "--db", path, "--operator", "boss", "demo-data", "--contacts", "4")[0] == 0
    db = open_database(path)
    ctx = sign_in(db, "boss")
    start = berlin(2026, 5, 1)
    plans.create_plan(ctx, {**MONTHLY_1ST, "handle": "monthly"})
    sub = subs.create_subscription(ctx, {"contact_id": 1, "plan": "monthly", "start": start},
                                   now=start)
    for inv in sub.invoices:
        invoices.record_payment(ctx, inv.number, at=start)
    ids = []
    with db.transaction() as s:
        offer = product_with_offer(s, handle="course", payment="subscription", template={})
        ids.append(accesses.grant(s, ctx, contact_id=1, offer=offer, starts_at=start,
                                  subscription_id=sub.id).id)
        other = product_with_offer(s, handle="extra", template={})
        for cid in (2, 3, 4):
            ids.append(accesses.grant(s, ctx, contact_id=cid, offer=other,
                                      starts_at=start).id)
    db.dispose()
    return path, ids, sub.id


def _k(capsys, path, *argv):
    return run(capsys, "--db", path, "--operator", "boss", *argv)


def _audits(path) -> int:
    db = open_database(path)
    with db.reading() as s:
        n = s.scalar(select(func.count()).select_from(AuditRecord))
    db.dispose()
    return n


AT = "2026-05-16T12:00+02:00"


def test_show_json_has_exactly_the_contract_fields(capsys, env):
    path, ids, sub_id = env
    code, out, err = _k(capsys, path, "access", "show", str(ids[0]), "--at", AT, "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert list(data) == ["id", "status", "starts_at", "ends_at", "pending_cancellation_at",
                          "subscriptions"]
    assert data["status"] == "active"
    assert data["subscriptions"] == [{"id": sub_id, "state": "active", "expires": None}]
    code, out, _ = _k(capsys, path, "access", "show", str(ids[0]), "--at", AT)
    assert code == 0 and "active" in out


def test_cancel_preview_then_cancel_then_set_end_then_undo(capsys, env):
    path, ids, _sub = env
    before = _audits(path)
    code, out, err = _k(capsys, path, "access", "cancel", str(ids[0]), "--at", AT, "--preview",
                        "--json")
    assert code == 0, err
    p = json.loads(out)
    assert p["effective_at"] == "2026-05-31T22:00:00+00:00" and not p["immediate"]
    assert _audits(path) == before  # the preview wrote nothing
    code, out, _ = _k(capsys, path, "access", "cancel", str(ids[0]), "--at", AT)
    assert code == 0 and "pending cancellation until" in out
    code, out, _ = _k(capsys, path, "access", "show", str(ids[0]), "--at", AT, "--json")
    assert json.loads(out)["pending_cancellation_at"] == "2026-05-31T22:00:00+00:00"
    code, out, err = _k(capsys, path, "access", "set-end", str(ids[0]), "tomorrow", "--at", AT,
                        "--json")
    assert code == 0, err
    # a date alone: the end of that local day (17 May, Berlin)
    assert json.loads(out)["pending_cancellation_at"] == "2026-05-17T22:00:00+00:00"
    code, out, err = _k(capsys, path, "access", "undo-cancel", str(ids[0]), "--at", AT, "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "active"


def test_pending_list_json(capsys, env):
    path, ids, _sub = env
    _k(capsys, path, "access", "cancel", str(ids[0]), "--at", AT)
    code, out, err = _k(capsys, path, "access", "pending", "--within", "30d", "--at", AT,
                        "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [ids[0]]
    assert set(rows[0]) == {"id", "contact_id", "contact_name", "product_name", "status",
                            "date"}
    code, out, _ = _k(capsys, path, "access", "pending", "--within", "7d", "--at", AT,
                      "--json")
    assert json.loads(out) == []
    code, _out, err = _k(capsys, path, "access", "pending", "--within", "soon")
    assert code == 2 and "within" in err


def test_bulk_cancel_from_stdin_and_refusal_writes_nothing(capsys, env, monkeypatch, tmp_path):
    import io

    path, ids, _sub = env
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{ids[1]}\n{ids[2]}, {ids[3]}\n"))
    code, out, err = _k(capsys, path, "access", "bulk", "cancel", "--ids", "-", "--at", AT,
                        "--preview", "--json")
    assert code == 0, err
    assert json.loads(out)["allowed"] == 3
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{ids[1]} {ids[2]} {ids[3]}"))
    code, out, err = _k(capsys, path, "access", "bulk", "cancel", "--ids", "-", "--at", AT)
    assert code == 0 and "3" in out
    before = _audits(path)
    f = tmp_path / "ids.txt"
    f.write_text(f"{ids[0]}\n{ids[1]}\n")  # ids[1] is cancelled already
    code, out, err = _k(capsys, path, "access", "bulk", "cancel", "--ids", str(f), "--at", AT)
    assert code == 2
    assert f"#{ids[1]}" in err and "nothing was changed" in err
    assert _audits(path) == before
    code, out, err = _k(capsys, path, "access", "bulk", "set-end", "+2m", "--ids", str(f),
                        "--at", AT, "--json")
    assert code == 0, err


@pytest.mark.parametrize("argv, field", [
    (("access", "set-end", "1", "31.02.2026"), "DATE"),
    (("access", "set-end", "1", "next blue moon"), "DATE"),
    (("access", "set-end", "1", "tomorrow", "--at", "noon"), "--at"),
    (("access", "bulk", "cancel", "--ids", "/nonexistent/ids"), "--ids"),
    (("access", "pending", "--limit", "0"), "--limit"),
])
def test_bad_input_exit_2_names_the_field_and_writes_nothing(capsys, env, argv, field):
    path, _ids, _sub = env
    before = _audits(path)
    code, out, err = _k(capsys, path, *argv)
    assert code == 2 and field in err and "Traceback" not in err
    assert _audits(path) == before


def test_bad_ids_file(capsys, env, tmp_path):
    path, _ids, _sub = env
    f = tmp_path / "ids.txt"
    f.write_text("1\nabc\n")
    code, _out, err = _k(capsys, path, "access", "bulk", "undo-cancel", "--ids", str(f))
    assert code == 2 and "line 2" in err


def test_refusals_and_not_found(capsys, env):
    path, ids, _sub = env
    code, _out, err = _k(capsys, path, "access", "undo-cancel", str(ids[1]), "--at", AT)
    assert code == 2 and "not pending cancellation" in err
    code, _out, err = _k(capsys, path, "access", "show", "999999")
    assert code == 3
    code, _out, err = _k(capsys, path, "access", "set-end", str(ids[1]), "2020-01-01",
                         "--at", AT)
    assert code == 2 and "before the start" in err


def test_contacts_lock_and_unlock(capsys, env):
    path, ids, _sub = env
    code, out, err = _k(capsys, path, "contacts", "lock", "2", "--at", AT, "--json")
    assert code == 0, err
    assert json.loads(out)["locked"] is True
    code, _out, err = _k(capsys, path, "contacts", "lock", "2")
    assert code == 2 and "already locked" in err
    assert _k(capsys, path, "contacts", "unlock", "2")[0] == 0
    code, _out, err = _k(capsys, path, "contacts", "unlock", "2")
    assert code == 2
    from core.services.operators import add_operator

    db = open_database(path)
    add_operator(sign_in(db, "boss"), {"login": "ag", "role": "agent"})
    db.dispose()
    code, _out, err = run(capsys, "--db", path, "--operator", "ag", "contacts", "lock", "2")
    assert code == 4
