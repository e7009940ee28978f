"""Money: integer minor units of an ISO 4217 currency, parsed and formatted in one place.

Every amount Kontor stores is an int of minor units plus its currency code; the exponent of
the currency (EUR 2, JPY 0, KWD 3, CLF 4) says how many of them make one major unit. This
module is the only one that converts between the two (pure: no SQLAlchemy, no Textual):

* ``parse_major("58,06", "EUR", "de") == 5806`` — what a person types, in major units;
* ``format_minor(5806, "EUR", locale="de") == "58,06 €"`` — what a person reads;
* ``to_major_str(5806, "EUR") == "58.06"`` — a plain decimal for forms, CSV and JSON.

Parsing rules (``parse_major``): "10", "10.5", "10,50" and "1.234,56" / "1,234.56" are
accepted in every locale. When both "." and "," occur, the last one is the decimal
separator. When only one occurs once and is the locale's grouping separator followed by
exactly three digits ("1.000" in German, "1,000" in English), it groups thousands for a
currency of fewer than three decimals; otherwise (and always for KWD, CLF …: "1.234" is
what ``to_major_str`` writes) it is the decimal separator. The currency's code or symbol and spaces may
surround the number. More decimals than the exponent allows, an empty or non-numeric text
and an amount outside Reepay's int32 range are refused with a ValueError whose message is
meant for the person who typed it.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal, InvalidOperation

from core.limits import INT32_MAX, INT32_MIN

# ISO 4217 minor-unit exponents of the active codes.
_EXPONENT_GROUPS = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
    2: (
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN "
        "BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB "
        "EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS "
        "KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN "
        "MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD "
        "SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS "
        "UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL"
    ),
}
MINOR_UNITS: dict[str, int] = {
    code: exponent for exponent, codes in _EXPONENT_GROUPS.items() for code in codes.split()
}
# The codes of each exponent, for SQL that compares amounts across currencies.
CODES_BY_EXPONENT: dict[int, tuple[str, ...]] = {
    exponent: tuple(sorted(codes.split())) for exponent, codes in _EXPONENT_GROUPS.items()
}

_LOCALES = {"de": "de_DE", "en": "en_GB", "it": "it_IT"}
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_NUMBER = re.compile(r"^[0-9.,]+$")


def exponent(currency: str) -> int:
    """ISO 4217 exponent of a currency (EUR → 2, JPY → 0, KWD → 3); ValueError if unknown."""
    try:
        return MINOR_UNITS[(currency or "").upper()]
    except KeyError:
        raise ValueError(f"unknown ISO 4217 currency {currency!r}") from None


def _language(locale: str | None) -> str:
    if locale is None:
        from core.i18n import language

        locale = language()
    code = locale.split("_")[0].split("-")[0].lower()
    return code if code in _LOCALES else "en"


def _babel(locale: str | None):
    from babel import Locale

    return Locale.parse(_LOCALES[_language(locale)])


def to_major(amount: int, currency: str) -> Decimal:
    """Minor units as an exact Decimal of major units: 5806 EUR → Decimal("58.06")."""
    exp = exponent(currency)
    return Decimal(amount).scaleb(-exp).quantize(Decimal(1).scaleb(-exp))


def to_major_str(amount: int, currency: str) -> str:
    """A plain decimal with exactly the currency's decimals: "58.06", "1000", "1.234"."""
    exp = exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d}" if exp else f"{sign}{whole}"


def format_minor(amount: int | None, currency: str, *, locale: str | None = None,
                 with_symbol: bool = True) -> str:
    """Minor units for people, in the locale's format with the currency's own decimals.

    5806 EUR → "€58.06" (en) / "58,06 €" (de, it); 100000 JPY → "¥1,000" / "1.000 ¥";
    without the symbol "58.06" / "58,06". None gives "".
    """
    if amount is None:
        return ""
    exp = exponent(currency)
    loc = _babel(locale)
    value = to_major(amount, currency)
    pattern = copy.copy(loc.currency_formats["standard"] if with_symbol
                        else loc.decimal_formats[None])
    pattern.frac_prec = (exp, exp)
    return pattern.apply(value, loc, currency=currency.upper(), currency_digits=False)


def _example(currency: str, locale: str | None) -> str:
    return format_minor(29 * 10 ** exponent(currency), currency, locale=locale,
                        with_symbol=False)


def _strip_marks(s: str, code: str, lang: str) -> str:
    """Remove the currency's code or symbol before or after the number."""
    from babel.numbers import get_currency_symbol

    # The number's spaces are gone already; a symbol such as "F\u202fCFA" must lose its own.
    marks = {_SPACES.sub("", m) for m in (code, get_currency_symbol(code, locale=_LOCALES[lang]),
                                          get_currency_symbol(code, locale="en_GB"))}
    for mark in sorted((m for m in marks if m), key=len, reverse=True):
        if s.upper().startswith(mark.upper()):
            s = s[len(mark):]
        if s.upper().endswith(mark.upper()):
            s = s[: len(s) - len(mark)]
    return s


def parse_major(text: str, currency: str, locale: str | None = None, *,
                allow_negative: bool = False) -> int:
    """What a person typed in major units as minor units: "58,06", EUR → 5806.

    ValueError (with a message naming what is wrong) for text that is not an amount, more
    decimals than the currency has, a negative amount unless `allow_negative`, or an amount
    outside int32.
    """
    from core.i18n import _

    code = (currency or "").upper()
    exp = exponent(code)
    lang = _language(locale)
    bad = ValueError(_("Enter an amount such as {example}.").format(
        example=_example(code, lang)))
    s = _SPACES.sub("", text or "")
    negative = False
    for _round in range(2):  # "-€5" and "€-5" and "-5 €"
        s = _strip_marks(s, code, lang)
        if s[:1] == "+":
            s = s[1:]
        elif s[:1] in ("-", "\u2212") and not negative:
            negative, s = True, s[1:]
    if not s or not _NUMBER.match(s) or not any(ch.isdigit() for ch in s):
        raise bad
    group = "." if lang in ("de", "it") else ","
    if "." in s and "," in s:
        decimal_sep = "." if s.rfind(".") > s.rfind(",") else ","
        other = "," if decimal_sep == "." else "."
        whole, _sep, frac = s.rpartition(decimal_sep)
        if other in frac or decimal_sep in whole:
            raise bad
        whole = whole.replace(other, "")
    else:
        sep = "." if "." in s else ("," if "," in s else None)
        if sep is None:
            whole, frac = s, ""
        elif s.count(sep) > 1:
            parts = s.split(sep)
            if not all(len(p) == 3 for p in parts[1:]) or not parts[0]:
                raise bad
            whole, frac = "".join(parts), ""
        else:
            head, _sep, tail = s.partition(sep)
            if sep == group and len(tail) == 3 and head[:1] not in ("", "0") and exp < 3:
                whole, frac = head + tail, ""
            else:
                whole, frac = head, tail
    if not whole and not frac:
        raise bad
    if not (whole + frac).isdigit():
        raise bad
    if len(frac) > exp:
        if exp == 0:
            raise ValueError(_("{code} amounts have no decimals.").format(code=code))
        raise ValueError(_("At most {n} decimals for {code}.").format(n=exp, code=code))
    if len(whole.lstrip("0")) > 12:
        raise ValueError(_("The amount is too large; at most {max}.").format(
            max=format_minor(INT32_MAX, code, locale=lang, with_symbol=False)))
    try:
        value = Decimal(f"{whole or '0'}.{frac or '0'}")
    except InvalidOperation:  # pragma: no cover - only digits reach this point
        raise bad from None
    minor = int(value.scaleb(exp))
    if negative:
        if not allow_negative:
            raise ValueError(_("The amount must not be negative."))
        minor = -minor
    if not INT32_MIN <= minor <= INT32_MAX:
        raise ValueError(_("The amount is too large; at most {max}.").format(
            max=format_minor(INT32_MAX, code, locale=lang, with_symbol=False)))
    return minor


__all__ = ["CODES_BY_EXPONENT", "MINOR_UNITS", "exponent", "format_minor", "parse_major",
           "to_major", "to_major_str"]
