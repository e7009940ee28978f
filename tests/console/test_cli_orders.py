"""`kontor contacts add` and `kontor orders …` under the CLI contract: JSON shapes, exit 2
naming the field with nothing written, 3 for an unknown order, --at as the moment."""

from __future__ import annotations

import json

import pytest

from core.db import Database
from core.services.operators import sign_in
from tests.console.conftest import run_cli as run
from tests.small_shop import seed_small_shop

pytestmark = pytest.mark.usefixtures("cli_env")

AT = "2026-03-14T10:00+01:00"


@pytest.fixture
def db(capsys, tmp_path):
    path = str(tmp_path / "k.db")
    code, _out, err = run(capsys, "--db", path, "--operator", "boss", "demo-data",
                          "--contacts", "3", "--at", AT)
    assert code == 0, err
    database = Database(f"sqlite:///{path}")
    try:  # a small catalogue of every payment type (tests/small_shop.py)
        seed_small_shop(sign_in(database, "boss"))
    finally:
        database.dispose()
    code, _out, err = run(capsys, "--db", path, "--operator", "boss", "demo-data",
                          "--orders", "1", "--at", AT)
    assert code == 0, err
    return path


def k(capsys, db, *argv):
    return run(capsys, "--db", db, "--operator", "boss", *argv)


def _orders(capsys, db):
    code, out, _err = k(capsys, db, "orders", "list", "--json")
    assert code == 0
    return json.loads(out)


def test_contacts_add_then_order_pay_show_refund(capsys, db):
    code, out, err = k(capsys, db, "contacts", "add", "--name", "Giulia Rossi", "--email",
                       "giulia@example.it", "--lang", "it", "--json", "--at", AT)
    assert (code, err) == (0, "")
    cid = json.loads(out)["id"]
    code, out, err = k(capsys, db, "contacts", "show", str(cid), "--json")
    assert json.loads(out)["language"] == "it"
    code, out, err = k(capsys, db, "orders", "create", "--contact", "GIULIA@example.it",
                       "--offer", "pilates-club-monthly", "--pending", "--start",
                       "2026-03-20T00:00", "--json", "--at", AT)
    assert code == 0, err
    made = json.loads(out)
    assert made == {"order": 2, "accesses": [], "subscriptions": []}
    code, out, err = k(capsys, db, "orders", "pay", "2", "--json", "--at",
                       "2026-03-15T09:00+01:00")
    assert code == 0, err
    paid = json.loads(out)
    assert paid["order"] == 2 and len(paid["accesses"]) == 1 and len(paid["subscriptions"]) == 1
    code, out, err = k(capsys, db, "orders", "pay", "2")
    assert code == 2 and "already paid" in err
    code, out, err = k(capsys, db, "orders", "show", "2", "--json")
    shown = json.loads(out)
    assert shown["status"] == "paid" and shown["starts_at"] == "2026-03-19T23:00:00+00:00"
    assert shown["paid_at"] == "2026-03-15T08:00:00+00:00"
    assert shown["allowed_actions"]["refund"] is None
    code, out, err = k(capsys, db, "orders", "refund", "2", "--preview", "--json", "--at",
                       "2026-03-16T10:00+01:00")
    assert code == 0 and json.loads(out)["status"] == "refunded"
    assert json.loads(k(capsys, db, "orders", "show", "2", "--json")[1])["status"] == "paid"
    code, out, err = k(capsys, db, "orders", "refund", "2", "--at", "2026-03-16T10:00+01:00")
    assert code == 0, err
    assert json.loads(k(capsys, db, "orders", "show", "2", "--json")[1])["status"] == "refunded"


def test_create_one_time_with_a_price_in_major_units(capsys, db):
    code, out, err = k(capsys, db, "orders", "create", "--contact", "1", "--offer",
                       "yoga-basics-full", "--price", "59.90", "--external", "--json",
                       "--at", AT)
    assert code == 0, err
    number = json.loads(out)["order"]
    shown = json.loads(k(capsys, db, "orders", "show", str(number), "--json")[1])
    assert (shown["total"], shown["external"], shown["ordered_at"]) == (
        5990, True, "2026-03-14T09:00:00+00:00")
    rows = json.loads(k(capsys, db, "orders", "list", "--contact", "1", "--json")[1])
    assert number in [r["number"] for r in rows]


@pytest.mark.parametrize("argv, field", [
    (("--contact", "nobody@example.org", "--offer", "yoga-basics-full"), "contact"),
    (("--contact", "1", "--offer", "no-such-offer"), "offer"),
    (("--contact", "1", "--offer", "yoga-basics-full", "--price", "12.345"), "price"),
    (("--contact", "1", "--offer", "yoga-basics-full", "--price", "-5"), "price"),
    (("--contact", "1", "--offer", "yoga-basics-full", "--start", "tomorrow"), "--start"),
    (("--contact", "1", "--offer", "yoga-basics-full", "--start", "2300-01-01"), "--start"),
    (("--contact", "1", "--offer", "yoga-basics-full", "--at", "noon"), "--at"),
])
def test_bad_input_exits_2_naming_the_field_and_writes_nothing(capsys, db, argv, field):
    before = _orders(capsys, db)
    code, out, err = k(capsys, db, "orders", "create", *argv)
    assert code == 2 and out == ""
    assert err.startswith(f"kontor: {field}: "), err
    assert "Traceback" not in err
    assert _orders(capsys, db) == before


def test_unknown_order_is_3_and_a_bad_number_is_2(capsys, db):
    assert k(capsys, db, "orders", "show", "999")[0] == 3
    assert k(capsys, db, "orders", "pay", "999")[0] == 3
    code, _out, err = k(capsys, db, "orders", "cancel", "x1")
    assert code == 2 and err.startswith("kontor: number: ")
    code, _out, err = k(capsys, db, "orders", "list", "--from", "2026-02-30")
    assert code == 2 and err.startswith("kontor: --from: ")


def test_contacts_add_bad_email_is_2(capsys, db):
    code, out, err = k(capsys, db, "contacts", "add", "--name", "X", "--email", "not-an-email")
    assert code == 2 and err.startswith("kontor: email: ")
