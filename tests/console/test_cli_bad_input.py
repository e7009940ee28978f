"""`kontor plans list --filter` and `kontor contacts search` never print a traceback: a bad
filter exits 2 naming the problem (and echoes the query with control characters defused);
control characters in a search are dropped."""

from __future__ import annotations

import json

import pytest

from console.cli import main
from tests.console.conftest import run_cli as run

pytestmark = pytest.mark.usefixtures("cli_env")  # tests/console/conftest.py


@pytest.fixture(scope="module")
def dbfile(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("cli") / "k.db")
    assert main(["--db", path, "--operator", "boss", "demo-data", "--contacts", "40",
                 "--plans", "30"]) == 0
    return path


@pytest.mark.parametrize(("query", "words"), [
    ("interval_length:0-99999999999", "interval_length is at most 2147483647"),
    ("amount:" + "9" * 5000, "amount is at most 21474836.47"),
    ("created:9999-12-31", "between 1970-01-01 and 2199-12-31"),
    ("created:..9999-12-31", "between 1970-01-01 and 2199-12-31"),
    ("created:0001-01-01", "between 1970-01-01 and 2199-12-31"),
    ("name:\x00", "only control characters"),
    ("name:\"unclosed \x1b[31m", "not closed"),
    ("\x1b[2J state:nope", "not a value of Status"),
    ("quantity:-", "Enter a number"),
])
def test_a_bad_filter_exits_2_with_the_problem_and_no_traceback(capsys, dbfile, query, words):
    code, out, err = run(capsys, "--db", dbfile, "--operator", "boss", "plans", "list",
                         "--filter", query)
    assert code == 2 and out == ""
    assert words in err and "Traceback" not in err
    assert "\x1b" not in err and "\x00" not in err  # the echo cannot repaint the terminal
    caret = err.splitlines()[-1]
    assert caret.strip() and set(caret.strip()) == {"^"}


@pytest.mark.parametrize("query", ["name:ärz\x00te", "state:active\x07", "\x1b[31m", "\ud800",
                                   "description:shop.example.com", "name:İ ß σ"])
def test_odd_but_valid_filters_list_plans(capsys, dbfile, query):
    code, out, err = run(capsys, "--db", dbfile, "--operator", "boss", "plans", "list",
                         "--filter", query, "--format", "json")
    assert (code, err) == (0, "") and isinstance(json.loads(out), list)


@pytest.mark.parametrize("text", ["\x00", "an\x00na", "\x1b[31mred", "\u202e", "\ud800x",
                                  '"', "%_\\", "a" * 5000, "\t\n"])
def test_contacts_search_drops_control_characters_and_never_fails(capsys, dbfile, text):
    code, out, err = run(capsys, "--db", dbfile, "--operator", "boss", "contacts", "search",
                         text, "--format", "json")
    assert (code, err) == (0, "") and isinstance(json.loads(out), list)
