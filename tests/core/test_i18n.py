"""English, German and Italian: catalogs, language choice, locale formats."""

from __future__ import annotations

import gettext
import string
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from core import i18n
from core.i18n import LOCALE_DIR, _, detect_language, format_number, set_language


def test_german_catalog_translates_the_console():
    set_language("de")
    assert _("Contacts") == "Kontakte"
    assert _("'{value}' is not a valid email address.").format(value="x") == \
        "„x“ ist keine gültige E-Mail-Adresse."
    assert i18n.ngettext("{n} contact", "{n} contacts", 2).format(n=2) == "2 Kontakte"


def test_italian_catalog_translates_the_console():
    set_language("it")
    assert _("Contacts") == "Contatti"
    assert _("Setup fee") == "Quota attivazione"
    assert _("'{value}' is not a valid email address.").format(value="x") == \
        "«x» non è un indirizzo email valido."
    assert i18n.ngettext("{n} contact", "{n} contacts", 1).format(n=1) == "1 contatto"
    # Two plural forms (n != 1), not CLDR's three: a million is plural like any other number.
    for n, word in ((0, "contatti"), (2, "contatti"), (1_000_000, "contatti")):
        assert i18n.ngettext("{n} contact", "{n} contacts", n).format(n=n) == f"{n} {word}"


def test_language_comes_from_the_flag_then_the_environment(monkeypatch):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    assert detect_language() == "en"
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert detect_language() == "de"
    assert detect_language("en") == "en"
    monkeypatch.setenv("LANG", "it_IT.UTF-8")
    assert detect_language() == "it"
    assert detect_language("it") == "it"
    assert set_language("it") == "it" and i18n.language() == "it"
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert detect_language() == "en"  # unsupported languages fall back to English


def test_numbers_and_dates_follow_the_locale():
    set_language("en")
    assert format_number(1234567) == "1,234,567"
    assert i18n.format_short_date(date(2026, 3, 14)) == "14/03/2026"
    set_language("de")
    assert format_number(1234567) == "1.234.567"
    assert i18n.format_short_date(date(2026, 3, 14)) == "14.03.2026"
    set_language("it")
    assert format_number(1234567) == "1.234.567"
    assert i18n.format_short_date(date(2026, 3, 14)) == "14/03/2026"
    assert i18n.format_date(date(2026, 3, 14)) == "14 mar 2026"
    # 09:05 UTC is 10:05 in Berlin (winter time).
    assert i18n.format_short_datetime(datetime(2026, 3, 14, 9, 5, tzinfo=UTC)) == "14/03/2026, 10:05"
    assert i18n.format_datetime(datetime(2026, 3, 14, 9, 5, tzinfo=UTC)) == \
        "14 mar 2026, 10:05:00"
    assert i18n.format_money(580600, "EUR") == "5.806,00\xa0€"
    assert i18n.format_money(1000, "CHF") == "10,00\xa0CHF"
    assert i18n.format_money(1234, "JPY") == "1.234\xa0JPY"


def test_times_are_shown_in_the_account_time_zone():
    set_language("de")
    # 23:30 UTC on 31 March is already 1 April in Berlin (summer time).
    assert i18n.format_short_date(datetime(2026, 3, 31, 23, 30, tzinfo=UTC)) == "01.04.2026"


LANGS = ("de", "it")


def _catalog(lang: str):
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "kontor.po").open("rb") as f:
        return read_po(f, locale=lang)


def test_every_translated_language_is_supported_and_merged():
    from tools.i18n import LANGS as MERGED

    assert set(MERGED) == set(LANGS) == set(i18n.SUPPORTED) - {"en"}


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalog_matches_its_po_file(lang):
    po_path = LOCALE_DIR / lang / "LC_MESSAGES" / "kontor.po"
    def norm(v):
        return tuple(v) if isinstance(v, (list, tuple)) else v

    with po_path.open("rb") as f:
        po = {norm(m.id): norm(m.string) for m in read_po(f, locale=lang)
              if m.id and any(norm(m.string) if isinstance(m.string, (list, tuple))
                              else [m.string])}
    with po_path.with_suffix(".mo").open("rb") as f:
        mo = {norm(m.id): norm(m.string) for m in read_mo(f) if m.id}
    assert po == mo, "run `python3 dev.py i18n` to recompile the catalogs"
    assert isinstance(gettext.translation("kontor", str(LOCALE_DIR), [lang]),
                      gettext.GNUTranslations)


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_has_a_translation(lang):
    # What `python3 dev.py i18n` extracts: babel.cfg's python files under core/ and console/,
    # with babel's default keywords (they include _, N_ and ngettext:1,2, as tools/i18n.py).
    root = Path(__file__).resolve().parents[2]
    catalog = _catalog(lang)
    missing = set()
    for package in ("core", "console"):
        for filename, _lineno, message, _comments, context in extract_from_dir(
                root / package, method_map=[("**.py", "python")], keywords=DEFAULT_KEYWORDS):
            msgid = message[0] if isinstance(message, tuple) else message
            if not msgid:
                continue
            entry = catalog.get(msgid, context)
            strings = entry and (entry.string if isinstance(entry.string, (list, tuple))
                                 else [entry.string])
            if (not entry or entry.fuzzy or not strings or not all(strings)
                    or (isinstance(message, tuple) and len(strings) < 2)):
                missing.add(f"{package}/{filename}: {msgid!r}")
    assert not missing, (
        f"{len(missing)} message(s) without a {lang} translation; run `python3 dev.py i18n`, "
        f"translate them in core/locale/{lang}/LC_MESSAGES/kontor.po and run it again:\n"
        + "\n".join(sorted(missing)))


def _placeholders(text: str) -> set[tuple]:
    """The {fields} of a format string, with their format spec and conversion."""
    return {(name, spec, conv) for _lit, name, spec, conv in string.Formatter().parse(text)
            if name is not None}


@pytest.mark.parametrize("lang", LANGS)
def test_every_translation_keeps_the_placeholders_of_its_msgid(lang):
    catalog = _catalog(lang)
    assert catalog.num_plurals == 2  # what the tests and the translators assume
    wrong = []
    for m in catalog:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, (list, tuple)) else (m.id,)
        strings = m.string if isinstance(m.string, (list, tuple)) else (m.string,)
        for msgid, msgstr in zip(ids, strings):
            if msgstr and _placeholders(msgid) != _placeholders(msgstr):
                wrong.append(f"{msgid!r} -> {msgstr!r}")
    assert not wrong, f"{lang}: placeholders differ:\n" + "\n".join(wrong)


def test_the_placeholder_check_sees_a_dropped_or_renamed_field():
    assert _placeholders("Plan {handle} has no version {version}.") == \
        {("handle", "", None), ("version", "", None)}
    assert _placeholders("U+{code:04X}") != _placeholders("U+{code}")
    assert _placeholders("{n} piani") != _placeholders("{count} piani")
