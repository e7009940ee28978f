"""`kontor <noun> <verb>` run in-process: output formats, exit codes, messages without tracebacks."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from console.cli import main
from core import __version__
from core.db import Database, head_revision

KONTOR = Path(sys.executable).parent / "kontor"


from tests.console.conftest import run_cli as run

pytestmark = pytest.mark.usefixtures("cli_env")  # tests/console/conftest.py


@pytest.fixture
def dbfile(tmp_path):
    return str(tmp_path / "k.db")


@pytest.fixture
def filled(capsys, dbfile):
    """A database whose first operator `boss` is admin, with 50 demo contacts."""
    code, out, err = run(capsys, "--db", dbfile, "--operator", "boss", "demo-data",
                         "--contacts", "50")
    assert (code, out.strip(), err) == (0, "50 contacts in the database.", "")
    return dbfile


def test_version_in_process(capsys):
    assert run(capsys, "--version") == (0, f"kontor {__version__}\n", "")


def test_installed_kontor_script_prints_its_version():
    done = subprocess.run([str(KONTOR), "--version"], capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 0 and done.stdout.strip() == f"kontor {__version__}"


def test_demo_data_adds_contacts_and_reports_the_total(capsys, filled):
    code, out, _ = run(capsys, "--db", filled, "--operator", "boss", "demo-data",
                       "--contacts", "5")
    assert (code, out.strip()) == (0, "55 contacts in the database.")


def test_demo_data_refuses_a_negative_count(capsys, filled):
    code, _, err = run(capsys, "--db", filled, "--operator", "boss", "demo-data",
                       "--contacts", "-1")
    assert code == 2 and "--contacts" in err


def test_contacts_search_as_json_is_a_list_of_objects(capsys, filled):
    code, out, err = run(capsys, "--db", filled, "--operator", "boss", "contacts", "search",
                         "--format", "json", "--limit", "500")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert isinstance(data, list) and len(data) == 50
    for d in data:
        assert set(d) == {"id", "name", "email", "phone", "language", "tags", "created_at"}
        assert isinstance(d["tags"], list) and isinstance(d["id"], int)
    names = [d["name"].lower() for d in data]
    assert names == sorted(names)
    # a fragment narrows it down
    target = data[17]
    code, out, _ = run(capsys, "--db", filled, "--operator", "boss", "contacts", "search",
                       target["email"], "--format", "json")
    assert [d["id"] for d in json.loads(out)] == [target["id"]]


def test_contacts_search_as_csv_has_a_header(capsys, filled):
    code, out, _ = run(capsys, "--db", filled, "--operator", "boss", "contacts", "search",
                       "--format", "csv", "--limit", "10")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["id", "name", "email", "phone", "language", "tags", "created_at"]
    assert len(rows) == 11 and all(len(r) == 7 for r in rows)


def test_contacts_search_as_table_is_aligned_text(capsys, filled):
    code, out, _ = run(capsys, "--db", filled, "--operator", "boss", "contacts", "search",
                       "--limit", "3")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 4
    # a table is for people: headers in words (JSON and CSV keep the keys)
    assert lines[0].split() == ["ID", "Name", "Email", "Phone", "Language", "Tags", "Created"]
    # columns are padded: every row's email starts where the header's does
    col = lines[0].index("Email")
    assert all(line[col - 2:col] == "  " and "@" in line[col:].split()[0]
               for line in lines[1:])


def test_contacts_search_without_matches_prints_only_the_header_or_an_empty_list(capsys,
                                                                                  filled):
    code, out, _ = run(capsys, "--db", filled, "--operator", "boss", "contacts", "search",
                       "zzz-nobody-zzz", "--format", "json")
    assert (code, json.loads(out)) == (0, [])
    code, out, _ = run(capsys, "--db", filled, "--operator", "boss", "contacts", "search",
                       "zzz-nobody-zzz", "--format", "csv")
    assert out.strip() == "id,name,email,phone,language,tags,created_at"


def test_a_viewer_may_search(capsys, filled):
    code, out, err = run(capsys, "--db", filled, "--operator", "someone", "contacts",
                         "search", "--format", "json")
    assert code == 0 and err == "" and len(json.loads(out)) == 50


def test_db_current_and_upgrade_on_a_migrated_database(capsys, filled):
    head = head_revision()
    code, out, _ = run(capsys, "--db", filled, "db", "current")
    assert code == 0 and out.strip() == f"Schema {head} (this Kontor: {head})"
    code, out, _ = run(capsys, "--db", filled, "db", "upgrade")
    assert code == 0 and out.strip() == f"Schema {head} → {head}"


def test_db_upgrade_migrates_an_empty_database_and_db_current_shows_it(capsys, dbfile):
    head = head_revision()
    Database(f"sqlite:///{dbfile}").dispose()  # an empty file, as another tool left it
    code, out, err = run(capsys, "--db", dbfile, "db", "current")
    assert (code, err) == (0, "") and out.strip() == f"Schema ∅ (this Kontor: {head})"
    code, out, err = run(capsys, "--db", dbfile, "db", "upgrade")
    assert (code, err) == (0, "") and out.strip() == f"Schema ∅ → {head}"
    code, out, _ = run(capsys, "--db", dbfile, "db", "current")
    assert out.strip() == f"Schema {head} (this Kontor: {head})"


def test_operators_add_by_a_viewer_fails_with_a_clear_message(capsys, filled):
    code, out, err = run(capsys, "--db", filled, "--operator", "nosy", "operators", "add",
                         "mallory", "--role", "admin")
    assert code == 4 and out == ""  # the contract: 4 permission denied
    assert err.startswith("kontor: ") and "nosy (viewer) may not do this" in err
    assert "Traceback" not in err


def test_operators_add_and_list_as_json(capsys, filled):
    code, out, _ = run(capsys, "--db", filled, "--operator", "boss", "operators", "add",
                       "ann", "--name", "Ann Agent")
    assert (code, out.strip()) == (0, "Added ann as agent.")
    code, out, _ = run(capsys, "--db", filled, "--operator", "ann", "operators", "list",
                       "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert [(d["login"], d["role"], d["active"]) for d in data] == [
        ("ann", "agent", True), ("boss", "admin", True)]
    assert data[0]["name"] == "Ann Agent" and data[0]["created_at"]


def test_operators_add_with_a_duplicate_or_bad_login_fails_with_exit_code_2(capsys, filled):
    code, _, err = run(capsys, "--db", filled, "--operator", "boss", "operators", "add", "boss")
    assert code == 2 and "exists already" in err
    code, _, err = run(capsys, "--db", filled, "--operator", "boss", "operators", "add",
                       "bad login")
    assert code == 2 and "login" in err and "Traceback" not in err


def test_an_unusable_operator_login_is_an_error_message_not_a_traceback(capsys, filled):
    code, out, err = run(capsys, "--db", filled, "--operator", "not a login", "contacts",
                         "search")
    assert code == 2 and out == "" and err.startswith("kontor: ") and "login" in err


def test_a_database_newer_than_the_code_exits_1_with_the_message(capsys, filled):
    db = Database(f"sqlite:///{filled}")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    db.dispose()
    for argv in (("contacts", "search"), ("db", "upgrade"), ("operators", "list")):
        code, out, err = run(capsys, "--db", filled, "--operator", "boss", *argv)
        assert code == 1 and out == "", argv
        assert "newer version of Kontor" in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [("contacts", "search"), ("db", "current"),
                                  ("db", "upgrade")])
def test_an_unreachable_database_exits_1_with_the_message(capsys, argv):
    code, out, err = run(capsys, "--db", "postgresql://k:pw@127.0.0.1:1/k", *argv)
    assert code == 1 and out == ""
    assert err.startswith("kontor: Cannot open the database postgresql://k:***@127.0.0.1:1/k")
    assert ":pw@" not in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [("db", "init"), ("demo-data", "--contacts", "1")])
def test_a_sqlite_file_that_cannot_be_created_exits_1_with_the_message(capsys, tmp_path,
                                                                       argv):
    blocker = tmp_path / "plain-file"
    blocker.write_text("")
    code, out, err = run(capsys, "--db", str(blocker / "k.db"), *argv)
    assert code == 1 and out == "" and err.startswith("kontor: Cannot open the database")


def test_a_file_that_is_not_a_database_exits_1_with_the_message(capsys, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"definitely not SQLite " * 200)
    for argv in (("contacts", "search"), ("db", "current")):
        code, out, err = run(capsys, "--db", str(junk), *argv)
        assert code == 1 and out == "" and err.startswith("kontor: Cannot open the database"), argv


def test_database_url_from_the_environment_is_used(capsys, filled, monkeypatch):
    monkeypatch.setenv("KONTOR_DATABASE_URL", filled)
    monkeypatch.setenv("KONTOR_OPERATOR", "boss")
    code, out, _ = run(capsys, "operators", "list", "--format", "csv")
    assert code == 0 and out.splitlines()[0] == "login,name,role,active,created_at"
    assert out.splitlines()[1].startswith("boss,boss,admin,True,")


def test_help_texts_follow_the_language(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--lang", "en", "--help"])
    assert done.value.code == 0
    assert "usage: kontor" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["--lang", "it", "--help"])
    assert done.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Console di backoffice da tastiera." in out
    assert "lingua dell'interfaccia: en, de o it (predefinita: dall'ambiente)" in out
    assert "subscriptions abbonamenti" in out


def test_a_command_speaks_italian(capsys, dbfile):
    code, out, err = run(capsys, "--db", dbfile, "--operator", "boss", "--lang", "it",
                         "demo-data", "--contacts", "5", "--plans", "0")
    assert (code, err) == (0, "")
    assert out.strip().splitlines()[-1] == "5 contatti nel database."


@pytest.fixture
def with_plans(capsys, dbfile):
    code, out, err = run(capsys, "--db", dbfile, "--operator", "boss", "demo-data",
                         "--plans", "60")
    assert (code, out.strip(), err) == (0, "60 plans in the database.", "")
    return dbfile


def test_plans_list_filter_as_json_is_exactly_the_export(capsys, with_plans):
    import json

    from core.db import Database
    from core.plan_query import parse
    from core.services import plan_catalogue as pc
    from core.services.operators import sign_in

    query = "state:active,superseded amount:5-"
    code, out, err = run(capsys, "--db", with_plans, "--operator", "boss", "plans", "list",
                         "--filter", query, "--sort", "amount:desc", "--format", "json")
    assert code == 0 and err == ""
    db = Database(f"sqlite:///{with_plans}")
    try:
        ctx = sign_in(db, "boss")
        f = parse(query, today=pc.account_today(ctx))
        expected = pc.export_plans(ctx, f, pc.PlanSort.parse("amount:desc"), "json")
    finally:
        db.dispose()
    assert json.loads(out) == json.loads(expected) and len(json.loads(out)) > 0
    assert all(p["amount"] >= 500 and p["state"] != "deleted" for p in json.loads(out))


def test_plans_list_table_and_csv(capsys, with_plans):
    code, out, _ = run(capsys, "--db", with_plans, "--operator", "boss", "plans", "list",
                       "--filter", "type:month_fixedday", "--columns", "name,billing_frequency",
                       "--limit", "3")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["Name", "Billing", "frequency"] and len(lines) == 4
    assert all("on day" in line for line in lines[1:])
    code, out, _ = run(capsys, "--db", with_plans, "--operator", "boss", "plans", "list",
                       "--format", "csv", "--columns", "handle,amount")
    assert code == 0 and out.splitlines()[0] == "handle,amount,currency"
    assert len(out.splitlines()) == 61


def test_cli_tables_follow_the_language_and_json_does_not(capsys, with_plans):
    """Issue 9 item 14: headers, states, amounts and dates of a table by --lang (four-digit
    years); --json keeps English keys, stored values and ISO dates."""
    import re

    base = ("--db", with_plans, "--operator", "boss")
    code, out, _ = run(capsys, "--lang", "de", *base, "plans", "list", "--filter",
                       "state:active", "--columns", "state,created,amount", "--limit", "2")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["Status", "Erstellt", "Betrag"]
    assert all(line.startswith("aktiv ") for line in lines[1:])
    assert all(re.search(r"\d\d\.\d\d\.\d{4} .*\d,\d\d\xa0(€|\S+)$", line)
               for line in lines[1:]), lines
    code, out, _ = run(capsys, "--lang", "it", *base, "operators", "list")
    assert code == 0 and out.splitlines()[0].split() == ["Login", "Nome", "Ruolo", "Attivo",
                                                         "Creato"]
    assert re.search(r"\bsì\b.*\d\d/\d\d/\d{4}, \d\d:\d\d", out.splitlines()[1])
    code, out, _ = run(capsys, "--lang", "de", *base, "settings", "list")
    assert code == 0 and out.splitlines()[0].split()[:2] == ["Einstellung", "Wert"]
    code, out, _ = run(capsys, "--lang", "de", *base, "plans", "list", "--filter",
                       "state:active", "--limit", "1", "--format", "json")
    plan = json.loads(out)[0]
    assert plan["state"] == "active" and isinstance(plan["amount"], int)
    assert re.match(r"\d{4}-\d\d-\d\dT", plan["created"])


def test_plans_list_bad_filter_points_at_the_mistake(capsys, with_plans):
    code, _, err = run(capsys, "--db", with_plans, "--operator", "boss", "plans", "list",
                       "--filter", "state:active amount:9.999")
    assert code == 2 and "2 decimals" in err
    assert err.splitlines()[-1] == "  " + " " * 20 + "^" * 5
