"""Bad input never crashes and means the same on SQLite and PostgreSQL (issue 8).

Hypothesis throws random and hostile text at the plan filter (parser and executor), the
contact search and contact create/update, on both databases. Every call either gives the
result a Python oracle computes from the documented rules (docs/limits.md, docs/plans.md) or
raises one of Kontor's own errors (KontorError, the parser's QueryError) — never anything
else. A few hundred examples per run; `KONTOR_FUZZ_EXAMPLES=5000` for a nightly run.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import KontorError, SearchCancelled, ValidationFailed
from core.limits import fold, search_words
from core.plan_query import PlanFilter, QueryError, created_range, parse
from core.schemas.common import Window
from core.services import contacts, plans
from core.services import plan_catalogue as pc
from core.services.cancel import SearchCancel, run_cancellable

EXAMPLES = int(os.environ.get("KONTOR_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
TODAY = date(2025, 7, 15)
BERLIN = ZoneInfo("Europe/Berlin")

# Texts that broke one database or the other, or disagreed between them.
NASTY = ["\x00", "\x1b[31m", "\u202e", "\u200b", "\ufeff", "\t", "\n", "İ", "ı", "ß", "ẞ",
         "ä", "Ä", "é", "É", "Σ", "ς", "σ", "ﬁ", "Ａ", "\u0301", "%", "_", "\\", '"', "'", "*",
         ":", "..", "-", ".", ",", " ", "(", ")", "NEAR", "AND", "OR", "^", "😀", "\ud800"]

# -- the plan catalogue ----------------------------------------------------------------------

PLAN_TEXTS = [
    ("Ärzte Kurs", "Fortbildung für ärzte", "Anmeldung über shop.example.com"),
    ("ärztin Basis", "Basis v1.5 für Ärztinnen", None),
    ("Straße der Kurse", "Die STRASSE entlang", "Einmalig"),
    ("İstanbul Yoga", "İstanbul dersleri", "kayıt ücreti"),
    ("Café Crème", "Café au lait, crème brûlée", "Welcome pack"),
    ("ΣΟΦΙΑ Greek", "σοφία λόγος", "ΕΓΓΡΑΦΗ"),
    ("Gold Member", "Gold-member access, every course", "Onboarding at shop.example.com"),
    ("Silver 100%", "50% off_the first_month", "v1.5 upgrade fee"),
    ("ﬁnance Ｐｒｏ", "ﬁnance for pros", "ＦＥＥ"),
    ("Emoji 😀 Plan", "fun 😀 times", None),
    ('Quote " and \\ back', 'say "hello" \\ bye', "a\\b"),
    ("de Luca & Söhne", "Familienbetrieb", "Söhne-Gebühr"),
]


def _plan_dicts():
    out = []
    for i, (name, desc, fee_text) in enumerate(PLAN_TEXTS):
        created = datetime(2025, 1, 1, 9) + timedelta(days=17 * i, hours=5 * i)
        d = {"handle": f"p{i}", "name": name, "description": desc, "amount": 100 * (i * 7 % 50),
             "currency": "EUR", "schedule_type": "month_startdate", "version": 1,
             "state": "active", "interval_length": 1 + i % 4,
             "created": created.strftime("%Y-%m-%dT%H:%M:%SZ")}
        if fee_text is not None:
            d.update(setup_fee=500, setup_fee_text=fee_text)
        out.append(d)
    return out


@pytest.fixture
def catalogue(admin):
    plans.import_plans(admin, _plan_dicts())
    return admin


def _oracle_plans(f: PlanFilter) -> set[str]:
    start, end = created_range(f, TODAY)
    out = set()
    for d in _plan_dicts():
        created = datetime.fromisoformat(d["created"])
        local = created.astimezone(BERLIN).date()
        if start is not None and local < start or end is not None and local >= end:
            continue
        if f.name and fold(f.name) not in fold(d["name"]):
            continue
        ok = True
        for key, text in (("description", d["description"]),
                          ("setup_fee_text", d.get("setup_fee_text"))):
            words = set(search_words(text))
            wanted = [t for w in getattr(f, key) for t in search_words(w)]
            ok = ok and all(t in words for t in wanted)
        for key in ("amount", "interval_length"):
            r = getattr(f, key)
            v = d[key]
            if r is not None and not ((r.lo is None or r.lo <= v) and (r.hi is None or v <= r.hi)):
                ok = False
        if ok:
            out.add(d["handle"])
    return out


def _fragment():
    names = [t for row in PLAN_TEXTS for t in row if t]
    substrings = st.sampled_from(names).flatmap(
        lambda s: st.tuples(st.integers(0, len(s)), st.integers(1, 5)).map(
            lambda ab: s[ab[0]:ab[0] + ab[1]]))
    return st.one_of(substrings, st.sampled_from(NASTY),
                     st.lists(st.sampled_from(NASTY + list("aäeéiİsßσ1.")), max_size=4
                              ).map("".join),
                     st.text(max_size=6))


def _quoted(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


NUMBER = st.one_of(st.integers(0, 5), st.integers(0, 3000), st.integers(2**31 - 3, 2**31 + 3),
                   st.integers(10**10, 10**30)).map(str)
DAY = st.one_of(st.dates(date(2024, 12, 1), date(2025, 12, 31)),
                st.dates(date(1, 1, 1), date(9999, 12, 31)),
                st.sampled_from([date(1970, 1, 1), date(2199, 12, 31), date(1969, 12, 31),
                                 date(2200, 1, 1), date(9999, 12, 31), date(1, 1, 1)]))
TERM = st.one_of(
    _fragment(),
    _fragment().map(lambda s: "name:" + _quoted(s)),
    _fragment().map(lambda s: "description:" + _quoted(s)),
    _fragment().map(lambda s: "setup_fee_text:" + _quoted(s)),
    st.tuples(NUMBER, NUMBER, st.sampled_from(["-", "..", ""])).map(
        lambda t: f"interval_length:{t[0]}{t[2]}{t[1] if t[2] else ''}"),
    st.tuples(NUMBER, st.sampled_from(["", ".5", ".05", ".999"])).map(
        lambda t: f"amount:-{t[0]}{t[1]}"),
    st.tuples(DAY, DAY, st.sampled_from(["..", "", "..x"])).map(
        lambda t: f"created:{t[0].isoformat()}"
        + {"..": ".." + t[1].isoformat(), "": "", "..x": ".."}[t[2]]),
    st.sampled_from(NASTY),
)
QUERY = st.lists(TERM, max_size=4).map(" ".join)


@FUZZ
@given(query=QUERY)
def test_plan_filter_is_an_answer_or_a_query_error_and_equals_the_oracle(catalogue, query):
    try:
        f = parse(query, today=TODAY)
    except QueryError as exc:
        assert 0 <= exc.position <= len(query) and exc.message
        return
    try:
        rows = pc.list_plans_window(catalogue, f, window=Window(limit=500), today=TODAY)
        count = pc.count_plans(catalogue, f, today=TODAY)
    except KontorError:
        return
    got = {r.handle for r in rows}
    assert got == _oracle_plans(f), (query, f)
    assert count == len(rows)


@pytest.mark.parametrize(("query", "expected"), [
    ("name:ä", {"p0", "p1"}),                 # one non-ASCII character folds as two do
    ("name:Ä", {"p0", "p1"}),
    ("name:é", {"p4"}),
    ("name:ss", {"p2"}),                      # "Straße" folds to "strasse"
    ("name:STRASSE", {"p2"}),
    ("name:σ", {"p5"}),                       # Greek: Σ and σ are one letter
    ("name:İ", {"p3"}),                       # the same on both databases and in Python
    ("name:fi", {"p8"}),                      # the "ﬁ" ligature is "fi"
    ("name:pro", {"p8"}),                     # full-width letters are letters
    ("setup_fee_text:shop", {"p0", "p6"}),    # words are runs of letters and digits
    ("setup_fee_text:example", {"p0", "p6"}),
    ("description:v1", {"p1"}),
    ("description:5", {"p1"}),
    ("description:strasse", {"p2"}),
    ("description:ärzte", {"p0"}),
    ("description:off", {"p7"}),              # "off_the": the underscore separates words
    ("description:😀", {f"p{i}" for i in range(12)}),  # no letter: no word, no filter
    ("name:\"\\\"\"", {"p10"}),
])
def test_text_filters_follow_one_rule_on_both_databases(catalogue, query, expected):
    f = parse(query, today=TODAY)
    assert {r.handle for r in pc.list_plans_window(catalogue, f, today=TODAY)} == expected
    assert pc.count_plans(catalogue, f, today=TODAY) == len(expected)


@pytest.mark.parametrize(("query", "position", "words"), [
    ("interval_length:0-99999999999", 18, "at most 2147483647"),
    ("amount:99999999", 7, "at most 21474836.47"),
    ("quantity:2147483648", 9, "at most 2147483647"),
    ("created:9999-12-31", 8, "between 1970-01-01 and 2199-12-31"),
    ("created:..9999-12-31", 10, "between 1970-01-01 and 2199-12-31"),
    ("created:0001-01-01", 8, "between 1970-01-01 and 2199-12-31"),
    ("name:\x00", 0, "only control characters"),
    ("state:active\x00 name:\x1b", 14, "only control characters"),
])
def test_out_of_range_values_are_refused_with_their_position(query, position, words):
    with pytest.raises(QueryError) as caught:
        parse(query, today=TODAY)
    assert caught.value.position == position and words in caught.value.message


def test_control_characters_in_a_query_are_dropped(catalogue):
    f = parse("name:ärz\x00te\x1b state:act\x07ive", today=TODAY)
    assert f.name == "ärzte" and f.state == ("active",)
    assert {r.handle for r in pc.list_plans_window(catalogue, f, today=TODAY)} == {"p0"}


def test_created_must_be_one_preset_or_a_range_in_1970_to_2199():
    with pytest.raises(ValueError):
        PlanFilter(created=[])
    with pytest.raises(ValueError):
        PlanFilter(created="custom", created_from=date(9999, 1, 1))
    assert created_range(PlanFilter(created="custom", created_to=date(2199, 12, 31)),
                         TODAY) == (None, date(2200, 1, 1))


# -- contacts --------------------------------------------------------------------------------

CONTACT_NAMES = ["Ärzte Kurs", "Anna Müller", "anna maria", "İlker Yılmaz", "ılık Işık",
                 "Straße Weg", "STRASSE Gross", "Σοφία Παπαδοπούλου", "ΣΟΦΙΑ Ρ", "de Luca",
                 "Di Bari", "José Ñúñez", "Zoë 😀 Smile", "100% Test_ing", 'Quote "x" \\ y',
                 "ﬁona Ｆｕｌｌ", "a", "ab", "Ab C"]


@pytest.fixture
def people(admin):
    for i, name in enumerate(CONTACT_NAMES):
        contacts.create_contact(admin, {
            "name": name, "email": f"p{i}@example.com",
            "phone": f"+49 151 {1000000 + i * 137}" if i % 3 else ""})
    return admin


def _oracle_contacts(query: str) -> set[str]:
    terms = contacts._terms(query)
    out = set()
    for i, name in enumerate(CONTACT_NAMES):
        phone = f"+49 151 {1000000 + i * 137}" if i % 3 else ""
        doc = contacts.search_document(name, f"p{i}@example.com", phone)
        if not terms:
            out.add(name)
        elif all(len(t) < 3 for t in terms):
            if name.lower()[:200].startswith(" ".join(terms)):
                out.add(name)
        elif all(t in doc for t in terms):
            out.add(name)
    return out


def _contact_query():
    substrings = st.sampled_from(CONTACT_NAMES + ["p3@example.com", "151 1000", "+49 151"]
                                 ).flatmap(lambda s: st.tuples(
                                     st.integers(0, len(s)), st.integers(1, 6)).map(
                                     lambda ab: s[ab[0]:ab[0] + ab[1]]))
    part = st.one_of(substrings, substrings.map(str.upper), st.sampled_from(NASTY),
                     st.text(max_size=5))
    return st.lists(part, max_size=3).map(" ".join)


@FUZZ
@given(query=_contact_query())
def test_contact_search_equals_the_oracle_or_raises_nothing(people, query):
    rows = contacts.list_contacts(people, query, Window(limit=500))
    assert {r.name for r in rows} == _oracle_contacts(query), query
    assert contacts.count_contacts(people, query) == len(rows)


@pytest.mark.parametrize(("query", "expected"), [
    ("\x00", set(CONTACT_NAMES)),             # nothing but a NUL: no search
    ("ärz\x00te", {"Ärzte Kurs"}),
    ("anna\x1b", {"Anna Müller", "anna maria"}),
    ("anna\x1b[31m", set()),                 # ESC goes; "[31m" is text like any other
    ("ä", {"Ärzte Kurs"}), ("Ä", {"Ärzte Kurs"}),  # short words: the start of the name
    ("ab", {"ab", "Ab C"}),
    ("\ud800anna", {"Anna Müller", "anna maria"}),
])
def test_contact_search_strips_control_characters(people, query, expected):
    assert {r.name for r in contacts.list_contacts(people, query, Window(limit=500))
            } == expected


TEXT = st.one_of(st.text(max_size=12), st.sampled_from(NASTY),
                 st.lists(st.sampled_from(NASTY + ["a", "b", " "]), max_size=5).map("".join),
                 st.text(min_size=190, max_size=260))
CONTACT_INPUT = st.fixed_dictionaries({}, optional={
    "name": st.one_of(TEXT, st.sampled_from(["Anna", "  Bo  ", "\u200b\ufeff", "A\u202eB"])),
    "email": st.one_of(TEXT, st.sampled_from(["a@example.com", "x\u202e@example.com",
                                              "b@example.com\x00"])),
    "phone": st.one_of(TEXT, st.just("+49 30 1234567")),
    "language": st.one_of(TEXT, st.sampled_from(["de", "it", "en-GB"])),
    "tags": st.one_of(TEXT, st.lists(st.one_of(TEXT, st.integers(), st.none(),
                                               st.lists(st.text(max_size=3), max_size=2)),
                                     max_size=6),
                      st.lists(st.text(max_size=3), min_size=51, max_size=60)),
    "notes": st.one_of(TEXT, st.just("line 1\nline 2\ttab")),
})


def _clean(value) -> bool:
    texts = value if isinstance(value, list) else [value]
    return all(not any(ch in t for ch in "\x00\x1b\u202e") for t in texts)


@FUZZ
@given(data=CONTACT_INPUT, update=CONTACT_INPUT)
def test_contact_create_and_update_refuse_or_store_clean_text(admin, data, update):
    try:
        created = contacts.create_contact(admin, data)
    except ValidationFailed as exc:
        assert exc.fields and all(exc.fields.values())
        return
    assert all(_clean(getattr(created, k)) for k in contacts.EDITABLE)
    assert len(created.tags) <= 50 and created.name.strip()
    try:
        after = contacts.update_contact(admin, created.id, {**data, **update},
                                        expected_version=created.version)
    except ValidationFailed as exc:
        assert exc.fields
        assert contacts.get_contact(admin, created.id) == created  # nothing written
        return
    assert all(_clean(getattr(after, k)) for k in contacts.EDITABLE)
    assert contacts.get_contact(admin, created.id) == after


@pytest.mark.parametrize(("field", "value", "words"), [
    ("name", "Anna\x00", "NUL"),
    ("name", "a\x1b[31mred", "control characters (U+001B)"),
    ("name", "\u200b\ufeff", "Enter a name"),
    ("name", "Anna \u202eevil", "text-direction"),
    ("email", "a\u202e@example.com", "text-direction"),
    ("notes", "ok\x00", "NUL"),
    ("notes", "bell\x07", "U+0007"),
    ("phone", "+49\x00", "NUL"),
    ("language", "d\x1be", "U+001B"),
    ("tags", ["ok", "b\x00d"], "NUL"),
    ("tags", [["nested"]], "piece of text"),
    ("tags", [str(i) for i in range(51)], "at most 50 tags"),
])
def test_contact_fields_refuse_controls_invisible_names_and_too_many_tags(
        admin, field, value, words):
    data = {"name": "Anna", "email": "anna@example.com", field: value}
    with pytest.raises(ValidationFailed) as caught:
        contacts.create_contact(admin, data)
    assert words in caught.value.fields[field]
    assert contacts.count_contacts(admin) == 0


def test_multi_line_notes_keep_newlines_and_tabs(admin):
    c = contacts.create_contact(admin, {"name": "Anna", "email": "anna@example.com",
                                        "notes": "line 1\nline 2\tcol", "tags": ["x"] * 60})
    assert c.notes == "line 1\nline 2\tcol" and c.tags == ["x"]


# -- cancelling a search ----------------------------------------------------------------------

def test_a_cancelled_token_refuses_further_searches(people):
    token = SearchCancel()
    assert contacts.count_contacts(people, "anna", cancel=token) == 2
    token.cancel()
    with pytest.raises(SearchCancelled):
        contacts.list_contacts(people, "anna", cancel=token)
    with pytest.raises(SearchCancelled):
        contacts.count_contacts(people, "anna", cancel=token)
    assert contacts.count_contacts(people, "anna") == 2  # other searches are not affected


def test_cancel_stops_the_query_running_under_the_token(db, admin):
    import threading

    from sqlalchemy import text

    slow = (text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                 "WHERE x < 2000000000) SELECT count(*) FROM c") if db.dialect == "sqlite"
            else text("SELECT pg_sleep(30)"))
    token = SearchCancel()
    timer = threading.Timer(0.2, token.cancel)
    timer.start()
    try:
        with pytest.raises(SearchCancelled):
            run_cancellable(token, db.reading, lambda s: s.execute(slow).scalar())
    finally:
        timer.cancel()
    assert contacts.count_contacts(admin, "") == 0  # the pool's connections still work


@pytest.mark.parametrize("sort", ["created:desc", "name:asc", "amount:desc", "handle:asc"])
@pytest.mark.parametrize("query", ["name:e", "name:ä", "name:Kur", "description:für"])
def test_windows_of_text_filters_page_through_the_same_list(catalogue, query, sort):
    f, order = parse(query, today=TODAY), pc.PlanSort.parse(sort)
    whole = [r.handle for r in pc.list_plans_window(catalogue, f, order, Window(limit=500),
                                                    today=TODAY)]
    assert set(whole) == _oracle_plans(f)
    pages, window = [], Window(limit=2)
    while rows := pc.list_plans_window(catalogue, f, order, window, today=TODAY):
        pages += [r.handle for r in rows]
        window = Window(after=rows[-1].key, limit=2)
    assert pages == whole
    back, window = [], Window(from_end=True, limit=2)
    while rows := pc.list_plans_window(catalogue, f, order, window, today=TODAY):
        back = [r.handle for r in rows] + back
        window = Window(before=rows[0].key, limit=2)
    assert back == whole


# -- operators and saved views -----------------------------------------------------------------

@pytest.mark.parametrize(("data", "field", "words"), [
    ({"login": "ann\x00"}, "login", "NUL"),
    ({"login": "ann", "name": "Ann\x1b[2J"}, "name", "U+001B"),
    ({"login": "ann", "name": "Ann \u202eevil"}, "name", "text-direction"),
])
def test_operator_login_and_name_refuse_controls(admin, data, field, words):
    from core.services.operators import add_operator, list_operators

    with pytest.raises(ValidationFailed) as caught:
        add_operator(admin, data)
    assert words in caught.value.fields[field]
    assert [o.login for o in list_operators(admin)] == ["admin"]


@pytest.mark.parametrize(("name", "query", "field", "words"), [
    ("Mine\x00", "", "name", "NUL"),
    ("\u200b\ufeff", "", "name", "Give the view a name"),
    ("Mine \u202e", "", "name", "text-direction"),
    ("Mine", "state:active\x1b", "query", "U+001B"),
])
def test_saved_view_names_and_queries_refuse_controls(admin, name, query, field, words):
    from core.services.views import list_views, save_view

    with pytest.raises(ValidationFailed) as caught:
        save_view(admin, name, query, ["name"], "", expected_version=None)
    assert words in caught.value.fields[field]
    assert list_views(admin) == []
