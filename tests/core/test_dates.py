"""The keyboard date parser (core/dates.py): examples, properties and fuzzing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.dates import (DateInputError, add_months, day_end, local_day, parse_date,
                        parse_end)

TODAY = date(2026, 1, 31)
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("2026-12-31", None, date(2026, 12, 31)),
    ("31.12.2026", None, date(2026, 12, 31)),
    ("1.2.26", None, date(2026, 2, 1)),
    ("31/12/2026", None, date(2026, 12, 31)),
    ("+14d", None, date(2026, 2, 14)),
    ("+ 14 days", None, date(2026, 2, 14)),
    ("+2w", None, date(2026, 2, 14)),
    ("+1m", None, date(2026, 2, 28)),  # clamped to the month's last day
    ("+2m", None, date(2026, 3, 31)),
    ("+1y", None, date(2027, 1, 31)),
    ("-3d", None, date(2026, 1, 28)),
    ("today", None, TODAY),
    ("  Tomorrow ", None, date(2026, 2, 1)),
    ("yesterday", None, date(2026, 1, 30)),
    ("end of month", None, date(2026, 1, 31)),
    ("End  of   Year", None, date(2026, 12, 31)),
    ("morgen", "de", date(2026, 2, 1)),
    ("heute", "de", TODAY),
    ("Monatsende", "de", date(2026, 1, 31)),
    ("+14t", "de", date(2026, 2, 14)),
    ("+1j", "de", date(2027, 1, 31)),
    ("übermorgen", "de", date(2026, 2, 2)),
    ("domani", "it", date(2026, 2, 1)),
    ("oggi", "it", TODAY),
    ("fine mese", "it", date(2026, 1, 31)),
    ("+10g", "it", date(2026, 2, 10)),
    ("+2s", "it", date(2026, 2, 14)),
    ("tomorrow", "it", date(2026, 2, 1)),  # English is always understood
])
def test_examples(text, lang, expected):
    assert parse_date(text, today=TODAY, lang=lang) == expected


@pytest.mark.parametrize(("text", "lang"), [
    ("", None), ("   ", None), ("31.02.2026", None), ("2026-13-01", None), ("morgen", None),
    ("domani", "de"), ("+14x", None), ("+999999999d", None), ("+5000y", None),
    ("1899-12-31", None), ("tomorrow\x00", None), ("next week", None), ("+14t", "it"),
])
def test_refusals_say_why(text, lang):
    with pytest.raises(DateInputError) as exc:
        parse_date(text, today=TODAY, lang=lang)
    assert str(exc.value)


def test_a_date_alone_means_the_end_of_that_local_day():
    end = day_end(date(2026, 3, 28), BERLIN)  # the day before the switch to summer time
    assert end == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert local_day(end, BERLIN) == date(2026, 3, 28)
    assert day_end(date(2026, 3, 29), BERLIN) == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert parse_end("2026-12-31", today=TODAY, tz=BERLIN) == datetime(2026, 12, 31, 23,
                                                                         tzinfo=UTC)
    assert parse_end("2026-12-31T12:00", today=TODAY, tz=BERLIN) == datetime(
        2026, 12, 31, 11, tzinfo=UTC)


dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2900, 12, 31))


@given(dates)
def test_iso_and_german_order_round_trip(d):
    assert parse_date(d.isoformat(), today=TODAY) == d
    assert parse_date(d.strftime("%d.%m.%Y"), today=TODAY) == d


@given(dates, st.integers(min_value=0, max_value=3000))
def test_day_offsets_add_days(d, n):
    assert parse_date(f"+{n}d", today=d) == d + timedelta(days=n)


@given(dates, st.integers(min_value=0, max_value=600))
def test_month_offsets_land_in_the_right_month_clamped(d, n):
    got = parse_date(f"+{n}m", today=d)
    assert (got.year * 12 + got.month) - (d.year * 12 + d.month) == n
    assert got.day == min(d.day, got.day) and (got.day == d.day or got.day < d.day)
    assert add_months(got, 0) == got


@given(dates, st.sampled_from([None, "de", "it"]))
def test_words_are_near_today(d, lang):
    for word in ("today", "tomorrow", "yesterday", "end of month"):
        got = parse_date(word, today=d, lang=lang)
        assert abs((got - d).days) <= 31


@settings(max_examples=500)
@given(st.text(max_size=60), st.sampled_from([None, "de", "it", "xx"]))
def test_fuzz_never_anything_but_a_date_or_a_date_input_error(text, lang):
    try:
        got = parse_date(text, today=TODAY, lang=lang)
    except DateInputError as exc:
        assert str(exc)
    else:
        assert isinstance(got, date) and 1900 <= got.year <= 2999


@settings(max_examples=300)
@given(st.text(alphabet="0123456789.-/+dmwyT: ", max_size=25))
def test_fuzz_date_like_text_and_parse_end(text):
    try:
        moment = parse_end(text, today=TODAY, tz=BERLIN)
    except DateInputError:
        return
    assert moment.tzinfo is not None
