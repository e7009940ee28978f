"""The one contract of every `kontor <noun> <verb>` command, old and new.

Exit status: 0 done, 1 the database cannot be used (DatabaseError), 2 bad input or a refused
action (ValidationFailed, a bad option value), 3 not found, 4 permission denied, 5 conflict
(the record changed since it was read). Messages go to stderr, prefixed "kontor: ".

List and show commands take `--format table|json|csv` (`--json` is its short form). JSON keys,
states and enum values are English snake_case whatever `--lang` says; tables and messages are
translated. Datetimes are ISO 8601 with an offset (a stored UTC moment keeps +00:00).

Every command that acts takes `--at ISO`, the moment of the action (default now), passed to the
services' `now=`/`at=` parameters: a script can replay a day with a test clock.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from core.i18n import _

EXIT_OK = 0
EXIT_UNUSABLE = 1
EXIT_INPUT = 2
EXIT_NOT_FOUND = 3
EXIT_PERMISSION = 4
EXIT_CONFLICT = 5

FORMATS = ("table", "json", "csv")


class UsageError(Exception):
    """A bad option value found by a command itself: exit status 2, the message on stderr."""


def exit_status(exc: BaseException) -> int:
    """The contract's exit status for a domain error (core/errors.py) or a UsageError."""
    from core.errors import Conflict, DatabaseError, NotFound, PermissionDenied, ValidationFailed

    if isinstance(exc, (ValidationFailed, UsageError)):
        return EXIT_INPUT
    if isinstance(exc, NotFound):
        return EXIT_NOT_FOUND
    if isinstance(exc, PermissionDenied):
        return EXIT_PERMISSION
    if isinstance(exc, Conflict):
        return EXIT_CONFLICT
    if isinstance(exc, DatabaseError):
        return EXIT_UNUSABLE
    return EXIT_UNUSABLE


def error_lines(exc: BaseException) -> list[str]:
    """What stderr says: one line per refused field for ValidationFailed."""
    from core.errors import ValidationFailed

    if isinstance(exc, ValidationFailed) and exc.fields:
        return [_("kontor: {field}: {error}").format(field=f, error=why)
                for f, why in exc.fields.items()]
    return [_("kontor: {error}").format(error=exc)]


def add_format(parser: argparse.ArgumentParser, default: str = "table") -> None:
    """`--format table|json|csv` with `--json` as its short form."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--format", choices=FORMATS, default=default,
                       help=_("output format (default: {default})").format(default=default))
    group.add_argument("--json", dest="format", action="store_const", const="json",
                       help=_("short for --format json"))


def add_at(parser: argparse.ArgumentParser, text: str | None = None) -> None:
    """`--at ISO`: the moment of the action (default now)."""
    parser.add_argument("--at", metavar="ISO", help=text or _(
        "the moment of the action, an ISO date-time such as 2026-03-14T10:00+01:00 "
        "(default now; without an offset: the account's time zone)"))


def parse_moment(value: str | None, what: str = "--at") -> datetime | None:
    """An ISO date-time (a date means its midnight); None stays None. Out-of-range or
    unreadable values raise UsageError naming the option. A value without an offset is
    returned naive (see action_moment)."""
    from core.limits import date_in_range, date_range_message

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(_("{what}: not an ISO date-time (2026-03-14T10:00): {value}").format(
            what=what, value=value)) from None
    if not date_in_range(moment):
        raise UsageError(f"{what}: {date_range_message()}")
    return moment


def action_moment(ctx, value: str | None, what: str = "--at") -> datetime | None:
    """`--at` as an aware moment for the services' `now=`/`at=`; a value without an offset is
    read in the account's time zone. None (the option not given) means now."""
    moment = parse_moment(value, what)
    if moment is None or moment.tzinfo is not None:
        return moment
    from zoneinfo import ZoneInfo

    from core.services.subscriptions import get_account_timezone

    return moment.replace(tzinfo=ZoneInfo(get_account_timezone(ctx)))


def plain(value: Any) -> Any:
    """`value` as JSON-ready data: models dumped, datetimes ISO 8601 with an offset (naive ones
    are stored UTC), dates ISO, enums their value, tuples lists."""
    if hasattr(value, "model_dump"):
        return plain(value.model_dump())
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return value
