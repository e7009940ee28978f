"""English and German from the start: catalogs, language choice, locale formats."""

from __future__ import annotations

import gettext
from datetime import UTC, date, datetime
from pathlib import Path

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


def test_language_comes_from_the_flag_then_the_environment(monkeypatch):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    assert detect_language() == "en"
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert detect_language() == "de"
    assert detect_language("en") == "en"
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert detect_language() == "en"  # unsupported languages fall back to English


def test_numbers_and_dates_follow_the_locale():
    set_language("en")
    assert format_number(1234567) == "1,234,567"
    assert i18n.format_short_date(date(2026, 3, 14)) == "14/03/2026"
    set_language("de")
    assert format_number(1234567) == "1.234.567"
    assert i18n.format_short_date(date(2026, 3, 14)) == "14.03.26"


def test_times_are_shown_in_the_account_time_zone():
    set_language("de")
    # 23:30 UTC on 31 March is already 1 April in Berlin (summer time).
    assert i18n.format_short_date(datetime(2026, 3, 31, 23, 30, tzinfo=UTC)) == "01.04.26"


def test_compiled_catalog_matches_its_po_file():
    po_path = LOCALE_DIR / "de" / "LC_MESSAGES" / "kontor.po"
    def norm(v):
        return tuple(v) if isinstance(v, (list, tuple)) else v

    with po_path.open("rb") as f:
        po = {norm(m.id): norm(m.string) for m in read_po(f, locale="de")
              if m.id and any(norm(m.string) if isinstance(m.string, (list, tuple))
                              else [m.string])}
    with po_path.with_suffix(".mo").open("rb") as f:
        mo = {norm(m.id): norm(m.string) for m in read_mo(f) if m.id}
    assert po == mo, "run `python3 dev.py i18n` to recompile the catalogs"
    assert isinstance(gettext.translation("kontor", str(LOCALE_DIR), ["de"]),
                      gettext.GNUTranslations)


def test_every_message_has_a_german_translation():
    # What `python3 dev.py i18n` extracts: babel.cfg's python files under core/ and console/,
    # with babel's default keywords (they include _, N_ and ngettext:1,2, as tools/i18n.py).
    root = Path(__file__).resolve().parents[2]
    with (LOCALE_DIR / "de" / "LC_MESSAGES" / "kontor.po").open("rb") as f:
        catalog = read_po(f, locale="de")
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
        f"{len(missing)} message(s) without a German translation; run `python3 dev.py i18n`, "
        "translate them in core/locale/de/LC_MESSAGES/kontor.po and run it again:\n"
        + "\n".join(sorted(missing)))
