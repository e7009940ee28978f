"""The ranges every input is checked against before it reaches a column or the engine.

One place, so a filter, an import, a form and the CLI refuse the same values (pure: no
SQLAlchemy, no Textual). Documented in docs/limits.md.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

# Every date Kontor accepts, in filters, imports, forms, the CLI and `kontor simulate`.
# Far enough from year 1 and 9999 that "+1 day", a time-zone conversion or a 100-year
# simulation never leaves what `datetime` can hold.
DATE_MIN = date(1970, 1, 1)
DATE_MAX = date(2199, 12, 31)

# Column ranges. Reepay's API uses int32 for amounts, quantities and counts.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# Longest span `kontor simulate` (and any projection) walks.
MAX_SIMULATION_YEARS = 100

# Characters that make a name look empty or reorder what a terminal shows.
INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
MULTILINE_OK = frozenset("\n\t\r")


def date_in_range(value: date | datetime) -> bool:
    """True when the (local) date of `value` lies in DATE_MIN..DATE_MAX."""
    day = value.date() if isinstance(value, datetime) else value
    return DATE_MIN <= day <= DATE_MAX


def date_range_message() -> str:
    from core.i18n import _

    return _("Dates must lie between {lo} and {hi}.").format(
        lo=DATE_MIN.isoformat(), hi=DATE_MAX.isoformat())


def is_control(ch: str) -> bool:
    """C0/C1 control characters (and DEL): NUL, ESC, CSI … — never stored, never printed.

    Lone surrogates (U+D800–U+DFFF, which no encoding can write) count as controls too.
    """
    return unicodedata.category(ch) in ("Cc", "Cs")


def text_problem(value: str, *, multiline: bool = False, identifier: bool = False) -> str | None:
    """Why `value` may not be stored, or None when it may.

    NUL and C0/C1 controls are refused (newline and tab too unless `multiline`); in names
    and e-mail addresses (`identifier`) so are bidirectional overrides. A value made only of
    whitespace and invisible characters counts as empty and is left to the caller's
    "required" rule.
    """
    from core.i18n import _

    for ch in value:
        if ch == "\x00":
            return _("Must not contain a NUL character.")
        if "\ud800" <= ch <= "\udfff":
            return _("Must not contain control characters (U+{code:04X}).").format(code=ord(ch))
        if is_control(ch) and not (multiline and ch in MULTILINE_OK):
            return _("Must not contain control characters (U+{code:04X}).").format(code=ord(ch))
        if identifier and ch in BIDI_CONTROLS:
            return _("Must not contain text-direction controls (U+{code:04X}).").format(
                code=ord(ch))
    return None


def visibly_empty(value: str) -> bool:
    """True for text made only of whitespace and invisible characters (U+200B, U+FEFF …)."""
    return all(ch.isspace() or ch in INVISIBLE for ch in value)


def strip_controls(value: str, *, keep_multiline: bool = False) -> str:
    """`value` without control characters (search input, imported text with a warning)."""
    return "".join(
        ch for ch in value if not is_control(ch) or (keep_multiline and ch in MULTILINE_OK))


def fold(value: str) -> str:
    """The one case-and-width folding of every search: NFKC, then full case folding.

    Python computes it on both databases (into stored, indexed columns and for the query),
    so "Ä" finds "ä", "STRASSE" finds "Straße" and "İ" means the same on SQLite and
    PostgreSQL. Documented in docs/limits.md.
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())


def printable(value: str) -> str:
    """`value` with each control character shown as U+FFFD: safe to echo on a terminal, and
    every character keeps its position (for a caret under an error)."""
    return "".join("\ufffd" if is_control(ch) else ch for ch in value)


def _word_char(ch: str) -> bool:
    return ch.isalnum() or unicodedata.category(ch).startswith("M")


def search_words(value: str | None) -> list[str]:
    """The words of a text as the word filters see them: runs of letters, digits
    (`str.isalnum`) and combining marks of the folded text, each once, in order.

    "shop.example.com" is shop, example, com; "v1.5" is v1, 5; "Gold-Member" is gold, member.
    """
    out: list[str] = []
    cur: list[str] = []
    for ch in fold(value or "") + " ":
        if _word_char(ch):
            cur.append(ch)
        elif cur:
            w = "".join(cur)
            cur = []
            if w not in out:
                out.append(w)
    return out


def word_document(value: str | None) -> str:
    """`search_words` joined by single spaces: the stored, indexed word column."""
    return " ".join(search_words(value))


def search_input(value: str) -> str:
    """What a search sees of typed or pasted text: control characters dropped, whitespace
    controls (tab, newline) as a space. Searches strip; stored text refuses (text_problem)."""
    return "".join(" " if ch.isspace() else ch for ch in value
                   if not is_control(ch) or ch.isspace())
