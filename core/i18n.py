"""Translations (gettext, catalogs compiled with Babel) and locale-aware formatting."""

from __future__ import annotations

import gettext
import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # Babel is imported with the first date or number formatted, not at start-up
    from babel import Locale

DOMAIN = "kontor"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SUPPORTED = ("en", "de", "it")

_translation: gettext.NullTranslations = gettext.NullTranslations()
# Times are stored in UTC and shown in the account's time zone.
_display_tz = ZoneInfo("Europe/Berlin")
_language = "en"


def detect_language(explicit: str | None = None) -> str:
    """`--lang`, then LANGUAGE/LC_ALL/LC_MESSAGES/LANG, else English."""
    candidates = [explicit] if explicit else []
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            candidates.extend(value.split(":"))
    for cand in candidates:
        code = (cand or "").split(".")[0].split("_")[0].split("-")[0].lower()
        if code in SUPPORTED:
            return code
    return "en"


def set_language(lang: str | None = None) -> str:
    """Install the catalog for `lang` (or the detected language); returns the code in use."""
    global _translation, _language
    _language = detect_language(lang)
    _translation = gettext.translation(
        DOMAIN, localedir=str(LOCALE_DIR), languages=[_language], fallback=True
    )
    return _language


def language() -> str:
    return _language


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later with `_()`."""
    return message


def set_display_timezone(name: str) -> None:
    global _display_tz
    _display_tz = ZoneInfo(name)


def _local(value):
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(_display_tz)
    return value


def _babel_locale() -> Locale:
    from babel import Locale

    return Locale.parse({"de": "de_DE", "en": "en_GB", "it": "it_IT"}.get(_language, "en_GB"))


def format_date(value: date | None) -> str:
    if value is None:
        return ""
    from babel.dates import format_date

    return format_date(_local(value), format="medium", locale=_babel_locale())


def _short_date_pattern(loc: Locale) -> str:
    """The locale's short date with a four-digit year: "dd.MM.y", "dd/MM/y" (never "yy")."""
    return re.sub(r"y+", "y", loc.date_formats["short"].pattern)


def format_short_date(value: date | None) -> str:
    """At most 10 characters, for list columns; the year has four digits as everywhere."""
    if value is None:
        return ""
    from babel.dates import format_date as _fmt_date

    loc = _babel_locale()
    return _fmt_date(_local(value), format=_short_date_pattern(loc), locale=loc)


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    from babel.dates import format_datetime

    return format_datetime(_local(value), format="medium", locale=_babel_locale())


def format_short_datetime(value: datetime | None) -> str:
    """Date and minutes, for list columns: "16.03.2026, 09:30" (a four-digit year)."""
    if value is None:
        return ""
    from babel.dates import format_datetime as _fmt_datetime

    loc = _babel_locale()
    pattern = str(loc.datetime_formats["short"]).replace(
        "{1}", _short_date_pattern(loc)).replace("{0}", loc.time_formats["short"].pattern)
    return _fmt_datetime(_local(value), format=pattern, locale=loc)


def format_number(value: int) -> str:
    from babel.numbers import format_decimal

    return format_decimal(value, locale=_babel_locale())


def decimal_mark() -> str:
    """The decimal separator of the current language: "." (en) or "," (de, it)."""
    from babel.numbers import get_decimal_symbol

    return get_decimal_symbol(_babel_locale())


def format_money(amount: int | None, currency: str) -> str:
    """Minor units shown in the locale's currency format: 5806 EUR → '€58.06' / '58,06 €'.

    A shortcut for `core.money.format_minor` in the current language.
    """
    from core.money import format_minor

    return format_minor(amount, currency, locale=_language)
