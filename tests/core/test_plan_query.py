"""The plan list's query language: parse, errors with positions, format, chips, completion."""

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import plan_query as q
from core.plan_query import NumRange, PlanFilter, QueryError

TODAY = date(2025, 7, 15)


def parse(text: str) -> PlanFilter:
    return q.parse(text, today=TODAY)


def test_the_issue_example_parses_into_one_filter_state():
    f = parse('state:active,superseded schedule_type:month_fixedday amount:10-50 '
              'description:"gold member"')
    assert f == PlanFilter(state=("active", "superseded"), schedule_type=("month_fixedday",),
                           amount=NumRange(lo=1000, hi=5000), description=("gold", "member"))


@pytest.mark.parametrize("text, expected", [
    ("", PlanFilter()),
    ("st:superseded,active", PlanFilter(state=("active", "superseded"))),
    ("STATUS:Deleted", PlanFilter(state=("deleted",))),
    ("type:daily pph:no_bill sfh:separate,first", PlanFilter(
        schedule_type=("daily",), partial_period_handling=("no_bill",),
        setup_fee_handling=("first", "separate"))),
    ("flu:days tiu:months", PlanFilter(fixed_life_time_unit=("days",),
                                       trial_interval_unit=("months",))),
    ("amount:10", PlanFilter(amount=NumRange(lo=1000, hi=1000))),
    ("amt:9.99", PlanFilter(amount=NumRange(lo=999, hi=999))),
    ("amount:9.9", PlanFilter(amount=NumRange(lo=990, hi=990))),
    ("amount:10-", PlanFilter(amount=NumRange(lo=1000))),
    ("amount:-50.5", PlanFilter(amount=NumRange(hi=5050))),
    ("amount:0.5..1", PlanFilter(amount=NumRange(lo=50, hi=100))),
    ("qty:2-10 fc:12 trial:14 il:3 day:1-7 rre:7 tre:3", PlanFilter(
        quantity=NumRange(lo=2, hi=10), fixed_count=NumRange(lo=12, hi=12),
        trial_interval_length=NumRange(lo=14, hi=14), interval_length=NumRange(lo=3, hi=3),
        schedule_fixed_day=NumRange(lo=1, hi=7),
        renewal_reminder_email_days=NumRange(lo=7, hi=7),
        trial_reminder_email_days=NumRange(lo=3, hi=3))),
    ("created:last_month", PlanFilter(created="last_month")),
    ("created:2025-01-01..2025-06-30", PlanFilter(
        created="custom", created_from=date(2025, 1, 1), created_to=date(2025, 6, 30))),
    ("created:2025-01-01..today", PlanFilter(
        created="custom", created_from=date(2025, 1, 1), created_to=TODAY)),
    ("created:..2024-12-31", PlanFilter(created="custom", created_to=date(2024, 12, 31))),
    ("created:2025-03-01", PlanFilter(created="custom", created_from=date(2025, 3, 1),
                                      created_to=date(2025, 3, 1))),
    ("created:all", PlanFilter()),
    ("gold member", PlanFilter(name="gold member")),
    ('name:"Gold, Inc: 100%"', PlanFilter(name="Gold, Inc: 100%")),
    ('"with \\"quote\\""', PlanFilter(name='with "quote"')),
    ("handle:gold-monthly dun:dunning-b2b", PlanFilter(handle="gold-monthly",
                                                       dunning_plan="dunning-b2b")),
    ('description:"Gold  Member" desc:gold sft:welcome',
     PlanFilter(description=("gold", "member"), setup_fee_text=("welcome",))),
    ("state:active state:deleted", PlanFilter(state=("active", "deleted"))),
])
def test_parse(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text, position, length, fragment", [
    ("stat:active", 0, 4, "Did you mean state"),
    ("state:actve", 6, 5, "actve"),
    ("state:active,,deleted", 13, 1, "empty choice"),
    ("amount:9.999", 7, 5, "2 decimals"),
    ("amount:ten", 7, 3, "not an amount"),
    ("amount:50-10", 7, 5, "starts above"),
    ("quantity:1.5", 9, 3, "whole number"),
    ("quantity:-", 9, 1, "range"),
    ("amount:", 0, 7, "needs a value"),
    ("created:2025-13-01", 8, 10, "not a date"),
    ("created:2025-01-01..2025-02-30", 20, 10, "not a date"),
    ("created:2025-06-01..2025-01-01", 8, 22, "after the end"),
    ("created:soon", 8, 4, "preset"),
    ('name:"open', 5, 5, "not closed"),
    ('gold"x', 4, 1, "space"),
    (":x", 0, 1, "missing"),
    ("amount:1 amount:2", 9, 8, "twice"),
    ("amount:99999999999999999", 7, 17, "amount is at most 21474836.47"),
    ("quantity:9999999999999999", 9, 16, "quantity is at most 2147483647"),
])
def test_errors_say_where_and_why(text, position, length, fragment):
    with pytest.raises(QueryError) as exc:
        parse(text)
    assert (exc.value.position, exc.value.length) == (position, length), exc.value
    assert fragment.lower() in exc.value.message.lower()


def test_error_messages_are_translated():
    from core.i18n import set_language

    set_language("de")
    try:
        with pytest.raises(QueryError) as exc:
            parse("stat:x")
        assert isinstance(exc.value.message, str) and exc.value.message
    finally:
        set_language("en")


def test_format_is_canonical_and_round_trips():
    text = "amt:10-50 st:superseded,active gold desc:\"Member gold\" created:last_week"
    f = parse(text)
    assert q.format(f) == ('created:last_week state:active,superseded name:gold '
                           'description:"gold member" amount:10-50')
    assert parse(q.format(f)) == f


def test_chips_show_the_filter_name_with_its_value():
    f = parse("created:2025-01-01..2025-06-30 st:active,superseded amount:10-50 qty:2- "
              "tre:-3 amount:9.5 handle:gold" .replace("amount:9.5 ", ""))
    assert [c.label for c in q.chips(f)] == [
        "Created: 01/01/2025–30/06/2025", "Handle: gold", "Status: active, superseded",
        "Amount: 10.00–50.00", "Quantity: ≥ 2", "Trial reminder days: ≤ 3"]
    assert q.chips(parse("created:last_3_months amount:9.5"))[0].label == (
        "Created: last 3 months")
    assert q.chips(parse("amount:9.5"))[0].label == "Amount: 9.50"


@pytest.mark.parametrize("lang", ["de", "it"])
def test_chips_are_in_the_operators_language_with_its_numbers_and_dates(lang):
    """Issue 9 item 14: "10,00" (not "10.00"), four-digit local dates, values in words."""
    from core.i18n import set_language

    set_language(lang)
    try:
        f = parse("created:2025-01-01..2025-06-30 amount:10-1234.5 "
                  "type:weekly_fixedday st:superseded")
        labels = [c.label for c in q.chips(f)]
    finally:
        set_language("en")
    if lang == "de":
        assert labels == ["Erstellt: 01.01.2025–30.06.2025", "Status: abgelöst",
                          "Abrechnungsart: wöchentlich — an einem festen Wochentag",
                          "Betrag: 10,00–1.234,50"]
    else:
        assert labels[0] == "Creato: 01/01/2025–30/06/2025"
        assert labels[-1].endswith(": 10,00–1.234,50")
        assert "weekly_fixedday" not in " ".join(labels)


def test_an_amount_may_be_typed_with_a_decimal_comma():
    assert parse("amount:9,99-20") == parse("amount:9.99-20")
    assert parse("amount:10,5") == parse("amount:10.50")
    with pytest.raises(QueryError, match="2 decimals"):  # "1,000" is no thousand here
        parse("amount:1,000")


def test_value_completions_describe_the_value_in_words():
    from core.i18n import set_language

    set_language("de")
    try:
        shown = [c.display for c in q.completions("type:week")]
    finally:
        set_language("en")
    assert shown == ["weekly_fixedday — wöchentlich — an einem festen Wochentag"]


def test_remove_a_chip():
    f = parse("state:active amount:10-50 created:yesterday")
    assert q.remove(f, "amount") == parse("state:active created:yesterday")
    assert q.remove(f, "created") == parse("state:active amount:10-50")
    with pytest.raises(KeyError):
        q.remove(f, "nope")


def test_created_presets_relative_to_today():
    r = {p: q.created_range(PlanFilter(created=p), TODAY) for p in q.CREATED_PRESETS}
    assert r["all"] == (None, None)
    assert r["yesterday"] == (date(2025, 7, 14), date(2025, 7, 15))
    assert r["last_week"] == (date(2025, 7, 8), date(2025, 7, 16))
    assert r["last_month"] == (date(2025, 6, 15), date(2025, 7, 16))
    assert r["last_3_months"] == (date(2025, 4, 15), date(2025, 7, 16))
    assert r["last_year"] == (date(2024, 7, 15), date(2025, 7, 16))
    assert q.created_range(PlanFilter(created="last_month"), date(2025, 3, 31))[0] == date(
        2025, 2, 28)


def test_completion_of_keys_and_values():
    keys = q.completions("sch", 3)
    assert [c.value for c in keys] == ["schedule_type:", "schedule_fixed_day:"]
    assert (keys[0].replace_from, keys[0].replace_to) == (0, 3)
    alias = q.completions("amount:10 pp")
    assert [c.value for c in alias] == ["partial_period_handling:"]
    assert (alias[0].replace_from, alias[0].replace_to) == (10, 12)
    values = q.completions("state:active,su")
    assert [(c.value, c.replace_from, c.replace_to) for c in values] == [
        ("superseded", 13, 15)]
    left_out = q.completions("state:active,")
    assert [c.value for c in left_out] == ["superseded", "deleted"]
    middle = q.completions("type:m,daily", 6)
    assert {c.value for c in middle} == {"manual", "month_startdate", "month_fixedday",
                                         "month_lastday"}
    assert (middle[0].replace_from, middle[0].replace_to) == (5, 6)
    assert [c.value for c in q.completions("created:last_3")] == ["last_3_months"]
    assert q.completions("amount:1") == []
    assert len(q.completions("")) == len(q.KEYS)


# -- properties --------------------------------------------------------------------------------

PIECES = st.sampled_from(
    list(q.KEYS) + list(q.ALIASES) + [":", ",", "-", "..", '"', "\\", " ", "today", "10",
                                      "9.99", "2025-01-01", "active", "last_week", "x", "é"]
    + [v for vs in q.ENUMS.values() for v in vs])


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=60), st.lists(PIECES, max_size=12).map("".join)))
def test_random_input_raises_nothing_but_query_error(text):
    try:
        f = parse(text)
    except QueryError as exc:
        assert 0 <= exc.position <= len(text) and exc.length >= 1 and exc.message
        return
    assert parse(q.format(f)) == f
    for cursor in (0, len(text) // 2, len(text)):
        for c in q.completions(text, cursor):
            assert 0 <= c.replace_from <= c.replace_to <= len(text)


def _ranges(money: bool):
    n = st.integers(0, q.MAX_NUMBER)  # int32 (amounts in minor units too)
    return st.one_of(st.none(), st.builds(lambda a, b: NumRange(lo=min(a, b), hi=max(a, b)),
                                          n, n),
                     st.builds(lambda a: NumRange(lo=a), n), st.builds(lambda a: NumRange(hi=a),
                                                                       n))


TEXT = st.one_of(st.none(), st.text(max_size=30))


@st.composite
def filters(draw):
    values = {k: tuple(draw(st.lists(st.sampled_from(vs), max_size=3)))
              for k, vs in q.ENUMS.items()}
    for k in q.NUMBERS:
        values[k] = draw(_ranges(k == "amount"))
    for k in ("handle", "dunning_plan", "name"):
        values[k] = draw(TEXT)
    for k in ("description", "setup_fee_text"):
        values[k] = tuple(draw(st.lists(st.text(min_size=1, max_size=10), max_size=3)))
    preset = draw(st.sampled_from(q.CREATED_PRESETS + ("custom",)))
    if preset == "custom":
        a = draw(st.dates(date(2000, 1, 1), date(2030, 1, 1)))
        b = draw(st.one_of(st.none(), st.dates(a, date(2031, 1, 1))))
        values.update(created="custom", created_from=draw(st.sampled_from([a, None])) if b
                      else a, created_to=b)
    else:
        values["created"] = preset
    return PlanFilter(**values)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(filters())
def test_format_parse_round_trip(f):
    assert parse(q.format(f)) == f
    assert [c.key for c in q.chips(f)] == f.active_keys()
    for key in f.active_keys():
        assert key not in q.remove(f, key).active_keys()
