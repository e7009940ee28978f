"""core.money: one parser and formatter of major/minor units for every ISO 4217 exponent."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from core.billing.terms import MINOR_UNITS as TERMS_MINOR_UNITS
from core.billing.terms import format_amount
from core.i18n import format_money, set_language
from core.limits import INT32_MAX, INT32_MIN
from core.money import (
    CODES_BY_EXPONENT,
    MINOR_UNITS,
    exponent,
    format_minor,
    parse_major,
    to_major_str,
)

ONE_PER_EXPONENT = ("JPY", "EUR", "KWD", "CLF")
LOCALES = ("en", "de", "it")


def test_the_table_moved_and_terms_re_exports_it():
    assert TERMS_MINOR_UNITS is MINOR_UNITS
    assert [exponent(c) for c in ONE_PER_EXPONENT] == [0, 2, 3, 4]
    assert sorted(CODES_BY_EXPONENT) == [0, 2, 3, 4]


@pytest.mark.parametrize("amount, currency, locale, shown, plain", [
    (5806, "EUR", "en", "€58.06", "58.06"),
    (5806, "EUR", "de", "58,06\u00a0€", "58,06"),
    (5806, "EUR", "it", "58,06\u00a0€", "58,06"),
    (1000, "JPY", "en", "JP¥1,000", "1,000"),
    (1000, "JPY", "de", "1.000\u00a0¥", "1.000"),
    (1234, "KWD", "en", "KWD1.234", "1.234"),
    (1234567, "KWD", "de", "1.234,567\u00a0KWD", "1.234,567"),
    (-150, "EUR", "en", "-€1.50", "-1.50"),
])
def test_worked_examples(amount, currency, locale, shown, plain):
    assert format_minor(amount, currency, locale=locale) == shown
    assert format_minor(amount, currency, locale=locale, with_symbol=False) == plain
    assert parse_major(shown, currency, locale, allow_negative=True) == amount
    assert parse_major(plain, currency, locale, allow_negative=True) == amount


@pytest.mark.parametrize("amount, currency, text", [
    (5806, "EUR", "58.06"), (1000, "JPY", "1000"), (1234, "KWD", "1.234"),
    (12345, "CLF", "1.2345"), (-5, "EUR", "-0.05"), (0, "JPY", "0"),
])
def test_to_major_str_is_plain(amount, currency, text):
    assert to_major_str(amount, currency) == text
    assert format_amount(amount, currency) == f"{text} {currency}"


@pytest.mark.parametrize("text, locale, minor", [
    ("10", "en", 1000), ("10.5", "en", 1050), ("10,50", "en", 1050), ("10,50", "de", 1050),
    ("10.50", "de", 1050), ("1.000,00", "de", 100000), ("1,000.00", "en", 100000),
    ("1.000", "de", 100000), ("1,000", "en", 100000), ("1 000,5", "it", 100050),
    (" 58,06 € ", "de", 5806), ("EUR 58.06", "en", 5806),
])
def test_what_people_type_in_euro(text, locale, minor):
    assert parse_major(text, "EUR", locale) == minor


@pytest.mark.parametrize("text, currency, message", [
    ("10.555", "EUR", "At most 2 decimals for EUR."),
    ("1.2345", "KWD", "At most 3 decimals for KWD."),
    ("10.5", "JPY", "JPY amounts have no decimals."),
    ("ten", "EUR", "Enter an amount such as 29.00."),
    ("", "JPY", "Enter an amount such as 29."),
    ("1..0", "EUR", "Enter an amount such as 29.00."),
    ("-1", "EUR", "The amount must not be negative."),
    ("21474836.48", "EUR", "The amount is too large; at most 21,474,836.47."),
    ("9" * 400, "EUR", "The amount is too large; at most 21,474,836.47."),
])
def test_refusals_say_why(text, currency, message):
    with pytest.raises(ValueError) as err:
        parse_major(text, currency, "en")
    assert str(err.value) == message


def test_unknown_currency():
    with pytest.raises(ValueError, match="unknown ISO 4217 currency"):
        exponent("XYZ")


def test_format_money_follows_the_language():
    try:
        set_language("de")
        assert format_money(100000, "JPY") == "100.000\u00a0¥"
        assert format_money(None, "EUR") == ""
    finally:
        set_language("en")


@given(amount=st.integers(INT32_MIN, INT32_MAX), currency=st.sampled_from(sorted(MINOR_UNITS)),
       locale=st.sampled_from(LOCALES), with_symbol=st.booleans())
@example(amount=0, currency="XOF", locale="en", with_symbol=True)  # "F\u202fCFA0"
def test_parse_of_format_is_identity(amount, currency, locale, with_symbol):
    shown = format_minor(amount, currency, locale=locale, with_symbol=with_symbol)
    assert parse_major(shown, currency, locale, allow_negative=True) == amount
    assert parse_major(to_major_str(amount, currency), currency, locale,
                       allow_negative=True) == amount


@given(amount=st.integers(0, INT32_MAX), currency=st.sampled_from(ONE_PER_EXPONENT))
def test_plain_text_round_trips_in_every_locale(amount, currency):
    for locale in LOCALES:
        assert parse_major(to_major_str(amount, currency), currency, locale) == amount
