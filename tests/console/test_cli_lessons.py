"""`kontor lessons`: the SPEC §4.1 preview from the shell, JSON exactly as named, exit 2 naming
the field for bad input with nothing on stdout, no database, no traceback (also under fuzzing)."""

from __future__ import annotations

import io
import json
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.cli.lessons import parse_document
from core.errors import ValidationFailed
from core.lessons import lesson_states
from tests.console.conftest import run_cli as run

pytestmark = pytest.mark.usefixtures("cli_env")  # tests/console/conftest.py

SPEC_DOC = {
    "lessons": [{"title": "Welcome", "delay_days": 0, "open_on": None, "checkpoint": False},
                {"title": "Basics", "delay_days": 2, "open_on": None, "checkpoint": True},
                {"title": "Practice", "delay_days": 9, "open_on": None, "checkpoint": False},
                {"title": "Wrap-up", "delay_days": 10, "open_on": None, "checkpoint": False}],
    "template": {"open_lessons": "all", "release": "delays", "checkpoints": False,
                 "duration": {"length": 30, "unit": "days"}}}
SPEC_ARGS = ("--start", "2026-03-20T15:00", "--pause", "2026-03-25T10:00/2026-03-27T09:00")


@pytest.fixture
def offer(tmp_path):
    def write(doc=SPEC_DOC, raw: str | None = None):
        path = tmp_path / "offer.json"
        path.write_text(raw if raw is not None else json.dumps(doc), encoding="utf-8")
        return str(path)
    return write


def test_json_is_the_spec_example_with_the_fields_exactly_as_named(capsys, offer, tmp_path):
    code, out, err = run(capsys, "lessons", "--offer", offer(), *SPEC_ARGS,
                         "--at", "2026-03-31T00:00", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data == {
        "access": {"start": "2026-03-20T15:00:00+01:00", "end": "2026-04-21T15:00:00+02:00"},
        "lessons": [
            {"position": 1, "title": "Welcome", "state": "open",
             "opens_at": "2026-03-20T15:00:00+01:00"},
            {"position": 2, "title": "Basics", "state": "open",
             "opens_at": "2026-03-22T00:00:00+01:00"},
            {"position": 3, "title": "Practice", "state": "open",
             "opens_at": "2026-03-31T00:00:00+02:00"},
            {"position": 4, "title": "Wrap-up", "state": "scheduled",
             "opens_at": "2026-04-01T00:00:00+02:00"}]}
    assert not (tmp_path / "xdg").exists()  # no database was looked for, let alone created


def test_the_cli_answers_what_the_engine_answers(capsys, offer):
    doc = dict(SPEC_DOC, template={**SPEC_DOC["template"], "checkpoints": True,
                                   "open_lessons": {"only": [1, 2, 4]}})
    code, out, _err = run(capsys, "lessons", "--offer", offer(doc), *SPEC_ARGS,
                          "--at", "2026-04-10T12:00+02:00", "--json")
    assert code == 0
    parsed = parse_document(json.dumps(doc))
    b = ZoneInfo("Europe/Berlin")
    p = lesson_states(parsed.lessons, parsed.template, datetime(2026, 3, 20, 15, tzinfo=b),
                      at=datetime(2026, 4, 10, 12, tzinfo=b),
                      pauses=[(datetime(2026, 3, 25, 10, tzinfo=b),
                               datetime(2026, 3, 27, 9, tzinfo=b))], tz=b)
    assert [x["state"] for x in json.loads(out)["lessons"]] == [s.state for s in p.lessons]
    assert [x["state"] for x in json.loads(out)["lessons"]] == [
        "open", "open", "not_in_tariff", "blocked"]


def test_accepted_unblocks_and_an_open_pause_holds(capsys, offer):
    doc = dict(SPEC_DOC, template={**SPEC_DOC["template"], "checkpoints": True})
    code, out, _ = run(capsys, "lessons", "--offer", offer(doc), "--start", "2026-03-20T15:00",
                       "--pause", "2026-03-25T10:00/", "--accepted", "2",
                       "--at", "2026-05-01", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["access"]["end"] is None
    assert [(x["state"], x["opens_at"]) for x in data["lessons"]] == [
        ("open", "2026-03-20T15:00:00+01:00"), ("open", "2026-03-22T00:00:00+01:00"),
        ("scheduled", None), ("scheduled", None)]


def test_stdin_and_another_zone(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(SPEC_DOC)))
    code, out, _ = run(capsys, "lessons", "--offer", "-", "--start", "2026-03-20T15:00",
                       "--tz", "America/New_York", "--at", "2026-03-20T20:00Z", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["access"]["start"] == "2026-03-20T15:00:00-04:00"
    assert data["lessons"][1]["opens_at"] == "2026-03-22T00:00:00-04:00"


def test_at_defaults_to_now(capsys, offer):
    code, out, _ = run(capsys, "lessons", "--offer", offer(), "--start", "2020-01-01", "--json")
    assert code == 0
    assert [x["state"] for x in json.loads(out)["lessons"]] == ["ended"] * 4


def test_the_table_is_translated_with_four_digit_years(capsys, offer):
    code, out, _ = run(capsys, "--lang", "de", "lessons", "--offer", offer(), *SPEC_ARGS,
                       "--at", "2026-03-31T00:00")
    assert code == 0
    assert "Lektion" in out and "offen" in out and "geplant" in out
    assert "31.03.2026 00:00" in out and "21.04.2026 15:00" in out
    code, out, _ = run(capsys, "lessons", "--offer", offer(), *SPEC_ARGS,
                       "--at", "2026-03-31T00:00")
    assert "Lesson" in out and "scheduled" in out and "1 Apr 2026 00:00" in out
    assert "Open lessons at 31 Mar 2026 00:00: 3 of 4" in out


def test_csv_is_one_row_per_lesson(capsys, offer):
    code, out, _ = run(capsys, "lessons", "--offer", offer(), *SPEC_ARGS,
                       "--at", "2026-03-31T00:00", "--format", "csv")
    assert code == 0
    assert out.splitlines() == ["position,title,state,opens_at",
                                "1,Welcome,open,2026-03-20T15:00:00+01:00",
                                "2,Basics,open,2026-03-22T00:00:00+01:00",
                                "3,Practice,open,2026-03-31T00:00:00+02:00",
                                "4,Wrap-up,scheduled,2026-04-01T00:00:00+02:00"]


def _lesson(**kw):
    return {"lessons": [{"title": "A", **kw}], "template": {"release": "delays"}}


@pytest.mark.parametrize("doc, args, field", [
    ({"lessons": [], "template": {"release": "weekly"}}, (), "template.release"),
    (_lesson(delay_days=-1), (), "lessons[1].delay_days"),
    (_lesson(open_on="2026-02-30"), (), "lessons[1].open_on"),
    (_lesson(open_on="9999-01-01"), (), "lessons[1].open_on"),
    (_lesson(delay_days="3"), (), "lessons[1].delay_days"),
    (_lesson(checkpoint="yes"), (), "lessons[1].checkpoint"),
    (_lesson(key="x"), (), "lessons[1].key"),
    ({"lessons": [], "template": {}, "extra": 1}, (), "extra"),
    ({"template": {}}, (), "lessons"),
    ({"lessons": [{}], "template": {"open_lessons": {"only": [2]}}}, (),
     "template.open_lessons"),
    ({"lessons": [{}], "template": {"open_lessons": {"first": -1}}}, (),
     "template.open_lessons"),
    ({"lessons": [{}], "template": {"open_lessons": "some"}}, (), "template.open_lessons"),
    ({"lessons": [{}], "template": {"duration": {"length": 0, "unit": "days"}}}, (),
     "template.duration.length"),
    ({"lessons": [{}], "template": {"duration": {"length": 36601, "unit": "months"}}}, (),
     "template.duration.length"),
    ({"lessons": [{}], "template": {"duration": {"length": 1, "unit": "weeks"}}}, (),
     "template.duration.unit"),
    ([1, 2], (), "--offer"),
    (_lesson(), ("--accepted", "2"), "--accepted"),
    (_lesson(), ("--accepted", "0"), "--accepted"),
    (_lesson(), ("--accepted", "x"), "--accepted"),
    (_lesson(), ("--pause", "2026-03-27T09:00/2026-03-25T10:00"), "--pause"),
    (_lesson(), ("--pause", "2026-03-27T09:00/2026-03-27T09:00"), "--pause"),
    (_lesson(), ("--pause", "2026-03-27T09:00"), "--pause"),
    (_lesson(), ("--pause", "yesterday/"), "--pause"),
    (_lesson(), ("--at", "31.03.2026"), "--at"),
    (_lesson(), ("--at", "9999-01-01"), "--at"),
    (_lesson(), ("--tz", "Mars/Olympus"), "--tz"),
    (_lesson(delay_days=2**31 - 1), (), "lessons"),
])
def test_bad_input_exits_2_naming_the_field_and_prints_nothing(capsys, offer, doc, args, field):
    code, out, err = run(capsys, "lessons", "--offer", offer(doc), "--start",
                         "2026-03-20T15:00", *args, "--json")
    assert code == 2 and out == ""
    assert f"kontor: {field}: " in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("raw", ["", "{", "{\"lessons\": [}", "[" * 100_000, "\ufeff{}", "nan"])
def test_bad_json_exits_2(capsys, offer, raw):
    code, out, err = run(capsys, "lessons", "--offer", offer(raw=raw), "--start", "2026-03-20")
    assert code == 2 and out == "" and err.startswith("kontor: --offer: ")


def test_a_bad_start_and_a_missing_file(capsys, offer, tmp_path):
    code, out, err = run(capsys, "lessons", "--offer", offer(), "--start", "20.03.2026")
    assert (code, out) == (2, "") and "kontor: --start: " in err
    code, out, err = run(capsys, "lessons", "--offer", str(tmp_path / "nope.json"),
                         "--start", "2026-03-20")
    assert (code, out) == (2, "") and "kontor: --offer: cannot read" in err


# -- fuzzing the input parser -----------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=12) | st.sampled_from(["all", "none", "delays", "dates", "days",
                                              "months", "2026-03-20", "first", "only"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["lessons", "template", "title", "delay_days", "open_on", "checkpoint",
                         "open_lessons", "release", "checkpoints", "duration", "length",
                         "unit", "first", "only", "review", "x"]), inner, max_size=5),
    max_leaves=20)

near_valid = st.fixed_dictionaries({
    "lessons": st.lists(st.fixed_dictionaries({}, optional={
        "title": json_values, "delay_days": st.integers(-3, 2**31) | json_values,
        "open_on": st.none() | st.dates().map(str) | json_values,
        "checkpoint": st.booleans() | json_values}), max_size=4),
    "template": st.fixed_dictionaries({}, optional={
        "open_lessons": st.just("all") | st.fixed_dictionaries({"first": st.integers(-2, 6)})
        | st.fixed_dictionaries({"only": st.lists(st.integers(-1, 6))}) | json_values,
        "release": st.sampled_from(["none", "delays", "dates", "weekly"]),
        "checkpoints": st.booleans() | json_values,
        "duration": st.none() | st.fixed_dictionaries({
            "length": st.integers(-1, 40000), "unit": st.sampled_from(["days", "months", "x"])})
        | json_values})})


@settings(max_examples=300, deadline=None)
@given(json_values | near_valid)
def test_fuzz_the_document_parser_gives_a_document_or_a_message(value):
    try:
        doc = parse_document(json.dumps(value))
    except ValidationFailed as exc:
        assert exc.fields and all(isinstance(v, str) and v for v in exc.fields.values())
    else:
        assert len(doc.lessons) == len(value["lessons"])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(json_values | near_valid, st.sampled_from(["2026-03-20T15:00", "2199-12-31T23:59",
                                                   "1970-01-01T00:00+14:00"]))
def test_fuzz_the_command_exits_0_or_2_never_a_traceback(capsys, value, start):
    with mock.patch("sys.stdin", io.StringIO(json.dumps(value))):
        code, out, err = run(capsys, "lessons", "--offer", "-", "--start", start,
                             "--pause", "2026-03-21T00:00/2030-01-01", "--json")
    if code == 0:
        assert {"access", "lessons"} == set(json.loads(out)) and err == ""
    else:
        assert code == 2 and out == "" and err.startswith("kontor: ")
