"""The one CLI contract (console/cli/contract.py): exit statuses 0/2/3/4/5, --format with --json
as its short form on every list and show command, --at on every command that acts, JSON in
English snake_case with ISO 8601 offsets whatever --lang says."""

import argparse
import json
from datetime import datetime, timedelta

import pytest

from console.cli import build_parser
from console.cli.contract import EXIT_CONFLICT, exit_status
from core.errors import Conflict, DatabaseError, NotFound, PermissionDenied, ValidationFailed
from tests.console.conftest import run_cli as run

pytestmark = pytest.mark.usefixtures("cli_env")  # tests/console/conftest.py


@pytest.fixture
def db(capsys, tmp_path):
    path = str(tmp_path / "k.db")
    assert run(capsys, "--db", path, "--operator", "boss", "demo-data", "--contacts", "3")[0] == 0
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"handle": "gold", "name": "Gold", "amount": 10000,
                                "schedule_type": "month_fixedday", "schedule_fixed_day": 1}))
    assert run(capsys, "--db", path, "--operator", "boss", "plans", "import", str(plan),
               "--at", "2026-03-01T09:00+01:00")[0] == 0
    return path


def _commands():
    """(noun verb, subparser) for every `kontor <noun> <verb>`."""
    def subparsers(p):
        return [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]

    for noun, np in subparsers(build_parser())[0].choices.items():
        verbs = subparsers(np)
        if not verbs:
            yield noun, np
        for verb, vp in (verbs[0].choices.items() if verbs else ()):
            actions = subparsers(vp)  # `access bulk cancel|…`: one more level
            if not actions:
                yield f"{noun} {verb}", vp
            for action, ap in (actions[0].choices.items() if actions else ()):
                yield f"{noun} {verb} {action}", ap


LISTS_AND_SHOWS = {"contacts search", "contacts show", "operators list", "plans list",
                   "plans show", "plans versions", "plans affected", "subscriptions list",
                   "subscriptions show", "invoices list", "invoices show", "settings list",
                   "settings get", "lessons", "catalogue export", "catalogue list",
                   "orders show", "orders list", "access list", "access show",
                   "access pending", "access expiring", "access overdue", "groups show",
                   "groups list"}
ACTIONS_WITH_A_MOMENT = {"billing run", "plans import", "plans delete", "plans undelete",
                         "subscriptions create", "subscriptions cancel", "subscriptions uncancel",
                         "subscriptions expire", "subscriptions hold", "subscriptions reactivate",
                         "subscriptions change-plan", "invoices pay", "invoices fail",
                         "operators add", "demo-data", "settings set", "catalogue import",
                         "contacts add", "orders create", "orders pay", "orders cancel",
                         "orders refund", "access switch", "access delete", "access extend",
                         "access pause", "access resume", "access accept", "contacts lock",
                         "contacts unlock", "access cancel", "access set-end",
                         "access undo-cancel", "access bulk cancel", "access bulk undo-cancel",
                         "access bulk set-end", "groups create", "groups upgrade",
                         "groups enrol", "groups remove", "groups downgrade",
                         "groups reactivate"}
# Commands that neither list nor act on the account's records: the schema and a dry run.
NEITHER = {"db upgrade", "db current", "db init", "simulate"}


def _options(parser):
    return {o for a in parser._actions for o in a.option_strings}


def test_every_list_and_show_command_takes_format_and_json():
    commands = dict(_commands())
    for name in LISTS_AND_SHOWS:
        assert {"--format", "--json"} <= _options(commands[name]), name


def test_every_acting_command_takes_at():
    commands = dict(_commands())
    for name in ACTIONS_WITH_A_MOMENT:
        assert "--at" in _options(commands[name]), name


def test_every_command_is_a_list_a_show_or_an_action_with_a_moment():
    """A new command lands in one of the sets above, so an acting one cannot lack --at."""
    names = {name for name, _parser in _commands()}
    assert names == LISTS_AND_SHOWS | ACTIONS_WITH_A_MOMENT | NEITHER


def _history(path: str, entity: str, entity_id: str):
    from core.db import open_database
    from core.services import audit
    from core.services.operators import sign_in

    return audit.history(sign_in(open_database(path), "boss"), entity, entity_id)


AT = "2026-03-14T10:00+01:00"
AT_UTC = "2026-03-14T09:00:00+00:00"


def test_operators_add_at_is_the_moment_of_creation_and_of_its_audit(capsys, db):
    code, out, err = run(capsys, "--db", db, "--operator", "boss", "operators", "add", "carla",
                         "--role", "viewer", "--at", AT)
    assert (code, err) == (0, "")
    code, out, _err = run(capsys, "--db", db, "--operator", "boss", "operators", "list",
                          "--json")
    carla = next(o for o in json.loads(out) if o["login"] == "carla")
    assert carla["created_at"] == AT_UTC
    from core.db import open_database
    from core.services.operators import get_operator, sign_in

    op = get_operator(sign_in(open_database(db), "boss"), "carla")
    (entry,) = _history(db, "operator", str(op.id))
    assert (entry.action, entry.at.isoformat()) == ("create", AT_UTC)
    # Without an offset --at is read in the account's time zone (Europe/Berlin).
    assert run(capsys, "--db", db, "--operator", "boss", "operators", "add", "dora",
               "--at", "2026-03-14T10:00")[0] == 0
    dora = get_operator(sign_in(open_database(db), "boss"), "dora")
    assert dora.created_at.isoformat() == AT_UTC
    code, out, err = run(capsys, "--db", db, "--operator", "boss", "operators", "add", "eve",
                         "--at", "noon")
    assert code == 2 and err.startswith("kontor: --at: ")


def test_settings_set_at_is_the_moment_of_its_audit(capsys, db):
    code, out, err = run(capsys, "--db", db, "--operator", "boss", "settings", "set",
                         "default_vat", "0.19", "--at", AT)
    assert (code, err) == (0, "")
    (entry,) = _history(db, "setting", "default_vat")
    assert (entry.action, entry.at.isoformat(), entry.after) == (
        "update", AT_UTC, {"value": "0.19"})
    code, out, err = run(capsys, "--db", db, "--operator", "boss", "settings", "set",
                         "default_vat", "0.07", "--at", "2300-01-01")
    assert code == 2 and err.startswith("kontor: --at: ")
    assert len(_history(db, "setting", "default_vat")) == 1  # nothing written


def test_demo_data_at_is_the_moment_of_the_fill(capsys, tmp_path):
    path = str(tmp_path / "demo.db")
    code, out, err = run(capsys, "--db", path, "--operator", "boss", "demo-data",
                         "--contacts", "20", "--plans", "12", "--at", AT)
    assert code == 0, err
    contacts = _history(path, "contact", "*")
    plans = _history(path, "plan", "*")
    assert [(e.action, e.at.isoformat()) for e in contacts + plans] == [
        ("generate_demo", AT_UTC)] * 2
    from core.db import open_database
    from core.schemas.common import Window
    from core.services import plan_catalogue
    from core.services.contacts import list_contacts
    from core.services.operators import sign_in

    ctx = sign_in(open_database(path), "boss")
    moment = datetime.fromisoformat(AT_UTC)
    created = [c.created_at for c in list_contacts(ctx, "", Window(limit=50))]
    assert len(created) == 20 and all(c <= moment for c in created)
    assert min(created) >= moment - timedelta(days=4 * 366)
    rows = plan_catalogue.list_plans_window(ctx, window=Window(limit=100))
    assert rows and all(r.created <= moment for r in rows)


def test_domain_errors_map_to_the_contract_statuses():
    assert exit_status(ValidationFailed({"x": "bad"})) == 2
    assert exit_status(NotFound("gone")) == 3
    assert exit_status(PermissionDenied("no")) == 4
    assert exit_status(Conflict("changed")) == EXIT_CONFLICT == 5
    assert exit_status(DatabaseError("unusable")) == 1


def test_not_found_exits_3(capsys, db):
    for argv in (("subscriptions", "show", "999"), ("plans", "show", "nope"),
                 ("contacts", "show", "999"), ("invoices", "pay", "X-0001")):
        code, out, err = run(capsys, "--db", db, "--operator", "boss", *argv)
        assert code == 3 and out == "" and err.startswith("kontor: "), argv


def test_a_refused_action_exits_2_and_a_viewer_exits_4(capsys, db):
    code, out, err = run(capsys, "--db", db, "--operator", "boss", "subscriptions", "create",
                         "--contact", "1", "--plan", "gold", "--start", "2026-03-14T10:00",
                         "--at", "2026-03-14T10:00+01:00", "--json")
    assert code == 0, err
    sid = json.loads(out)["id"]
    code, _out, err = run(capsys, "--db", db, "--operator", "boss", "subscriptions",
                          "uncancel", str(sid))
    assert code == 2 and err.startswith("kontor: ")  # not cancelled: refused, nothing written
    code, _out, err = run(capsys, "--db", db, "--operator", "nosy", "subscriptions", "cancel",
                          str(sid))
    assert code == 4 and "may not" in err


def test_at_is_the_moment_of_the_action_and_json_stays_english(capsys, db):
    base = ("--db", db, "--operator", "boss")
    code, out, err = run(capsys, *base, "subscriptions", "create", "--contact", "2",
                         "--plan", "gold", "--start", "2026-03-14T10:00",
                         "--at", "2026-03-14T10:00", "--json")
    assert code == 0, err
    sid = json.loads(out)["id"]
    # A day later, replayed: the cancellation is requested at --at (read in Europe/Berlin).
    code, out, err = run(capsys, "--lang", "de", *base, "subscriptions", "cancel", str(sid),
                         "--at", "2026-03-15T08:30")
    assert code == 0, err
    data = json.loads(out)
    assert data["state"] == "pending_cancellation" and data["cancelled_at"] == "2026-03-15T07:30:00+00:00"
    code, out, _err = run(capsys, "--lang", "de", *base, "subscriptions", "show", str(sid),
                          "--json")
    shown = json.loads(out)
    assert shown["cancelled_at"] == data["cancelled_at"] and "state" in shown
    assert shown["start"].endswith("+00:00")
    code, out, _err = run(capsys, "--lang", "de", *base, "subscriptions", "list",
                          "--format", "json")
    # listed today (long after --at): the period ran out, so it is cancelled; not "gekündigt"
    assert [r["state"] for r in json.loads(out)] == ["cancelled"]


def test_json_is_the_short_form_of_format_json_and_show_has_csv(capsys, db):
    base = ("--db", db, "--operator", "boss", "plans", "show", "gold")
    long_form = run(capsys, *base, "--format", "json")
    assert long_form == run(capsys, *base, "--json") and long_form[0] == 0
    assert json.loads(long_form[1])["handle"] == "gold"
    code, out, _err = run(capsys, *base, "--format", "csv")
    header, row = out.splitlines()[:2]
    assert code == 0 and header.split(",")[0] == "handle" and row.startswith("gold,")
    code, out, _err = run(capsys, *base)
    assert code == 0 and out.splitlines()[0].split() == ["handle", "gold"]


def test_a_bad_at_exits_2_naming_the_option(capsys, db):
    code, out, err = run(capsys, "--db", db, "--operator", "boss", "plans", "delete", "gold",
                         "--at", "yesterday")
    assert code == 2 and out == "" and err.startswith("kontor: --at: ")
    code, out, err = run(capsys, "--db", db, "--operator", "boss", "plans", "delete", "gold",
                         "--at", "2300-01-01T00:00")
    assert code == 2 and err.startswith("kontor: --at: Dates must lie between")
