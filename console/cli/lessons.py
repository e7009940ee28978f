"""`kontor lessons`: the lesson preview of SPEC §4.1 from the shell, without a database.

    kontor lessons --offer FILE.json --start ISO [--at ISO] [--pause ISO/ISO]...
                   [--accepted N,N...] [--tz ZONE] [--json | --format table|json|csv]

FILE.json (`-` = stdin): {"lessons": [LessonSpec...], "template": AccessTemplate}. The answer
comes from core.lessons.lesson_states, the function the order editor and the Products tab use.
Every bad input is a ValidationFailed naming its field (exit 2, nothing on stdout).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from console.cli.contract import add_at, add_format
from core.errors import ValidationFailed
from core.i18n import _

# A pause of the CLI: "START/END" or "START/" (not yet resumed).
MAX_PAUSES = 100


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lessons", help=_("preview which lessons an access opens, and when "
                                         "(without a database)"))
    p.add_argument("--offer", required=True, metavar="FILE.json",
                   help=_('{"lessons": [...], "template": {...}} as JSON ("-" reads stdin)'))
    p.add_argument("--start", required=True, metavar="ISO",
                   help=_("the access start, an ISO date-time (without an offset: in --tz)"))
    add_at(p, _("the moment to show the lessons at (default now)"))
    p.add_argument("--pause", action="append", default=[], metavar="ISO/ISO",
                   help=_("a pause from/to (repeatable); FROM/ with no end: not yet resumed"))
    p.add_argument("--accepted", metavar="N,N...", default="",
                   help=_("positions of the lessons whose practice is accepted"))
    p.add_argument("--tz", default=None, help=_("account time zone (default Europe/Berlin)"))
    add_format(p)
    p.set_defaults(run=lessons_preview, needs_db=False)


# -- input -----------------------------------------------------------------------------------


def parse_document(text: str, source: str = "--offer"):
    """The --offer document (console/cli/lessons_input.py, imported only when the command
    runs: building the parser must not load pydantic), or ValidationFailed naming each field."""
    from console.cli.lessons_input import parse_document as parse

    return parse(text, source)


def _zone(name: str | None):
    from zoneinfo import ZoneInfo

    from core.lessons import DEFAULT_TZ

    name = name or DEFAULT_TZ
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # not found (a KeyError), a bad name, a directory
        raise ValidationFailed({"--tz": _("unknown time zone {tz}").format(tz=name)}) from None


def _moment(value: str, what: str, tz) -> datetime:
    from core.limits import date_in_range, date_range_message

    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed({what: _("not an ISO date-time (2026-03-14T10:00): {value}").format(
            value=value)}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    try:
        in_range = date_in_range(moment) and date_in_range(moment.astimezone(tz))
    except OverflowError:
        in_range = False
    if not in_range:
        raise ValidationFailed({what: date_range_message()})
    return moment


def parse_pause(value: str, tz):
    from core.lessons import Pause

    if "/" not in value:
        raise ValidationFailed({"--pause": _(
            "expected FROM/TO or FROM/ (not yet resumed): {value}").format(value=value)})
    first, _sep, second = value.partition("/")
    start = _moment(first, "--pause", tz)
    end = _moment(second, "--pause", tz) if second.strip() else None
    if end is not None and end.astimezone(UTC) <= start.astimezone(UTC):
        raise ValidationFailed({"--pause": _("the pause ends before it starts: {value}").format(
            value=value)})
    return Pause(start, end)


def parse_accepted(value: str, n: int) -> tuple[int, ...]:
    positions = []
    for part in (value or "").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isascii() or not part.isdigit():
            raise ValidationFailed({"--accepted": _(
                "not a lesson position: {value}").format(value=part)})
        pos = int(part)
        if not 1 <= pos <= n:
            raise ValidationFailed({"--accepted": _(
                "Lesson position {pos} is outside 1..{n}.").format(pos=pos, n=n)})
        positions.append(pos)
    return tuple(sorted(set(positions)))


def _read(path: str) -> str:
    try:
        if path == "-":
            return sys.stdin.read()
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise ValidationFailed({"--offer": _("cannot read {path}: {error}").format(
            path=path, error=exc.strerror or exc)}) from None
    except UnicodeDecodeError:
        raise ValidationFailed({"--offer": _("{path} is not UTF-8 text").format(
            path=path)}) from None


def compute(args) -> Any:
    """Parse every input (ValidationFailed on the first bad one), then run the engine."""
    from core.lessons import LessonRangeError, lesson_states

    tz = _zone(args.tz)
    doc = parse_document(_read(args.offer))
    start = _moment(args.start, "--start", tz)
    at = _moment(args.at, "--at", tz) if args.at is not None else datetime.now(UTC)
    if len(args.pause) > MAX_PAUSES:
        raise ValidationFailed({"--pause": _("at most {n} pauses").format(n=MAX_PAUSES)})
    pauses = [parse_pause(p, tz) for p in args.pause]
    accepted = parse_accepted(args.accepted, len(doc.lessons))
    try:
        return doc, lesson_states(doc.lessons, doc.template, start, at=at, pauses=pauses,
                                  accepted=accepted, tz=tz)
    except LessonRangeError as exc:
        field = {"delay_days": "lessons", "duration": "template.duration"}.get(exc.field,
                                                                               "--pause")
        raise ValidationFailed({field: _("a moment would fall after the year 9999")}) from None


# -- output ----------------------------------------------------------------------------------


def preview_json(doc, preview) -> dict:
    """The JSON answer: {"access": {"start", "end"}, "lessons": [{"position", "title", "state",
    "opens_at"}]}, datetimes ISO 8601 with the zone's offset."""
    def iso(value):
        return value.isoformat() if value is not None else None

    return {"access": {"start": iso(preview.start), "end": iso(preview.end)},
            "lessons": [{"position": s.position, "title": doc.lessons[s.position - 1].title,
                         "state": s.state, "opens_at": iso(s.opens_at)}
                        for s in preview.lessons]}


def state_label(state: str) -> str:
    return {"not_in_tariff": _("not in tariff"), "ended": _("ended"), "blocked": _("blocked"),
            "open": _("open"), "scheduled": _("scheduled")}[state]


def _when(value: datetime | None) -> str:
    """A local moment by locale with a four-digit year: '20 Mar 2026 15:00', '20.03.2026 15:00'."""
    from core.i18n import format_date

    if value is None:
        return ""
    return f"{format_date(value.date())} {value:%H:%M}"


def lessons_preview(args, _ctx) -> int:
    doc, preview = compute(args)
    if args.format == "json":
        print(json.dumps(preview_json(doc, preview), indent=2, ensure_ascii=False))
        return 0
    if args.format == "csv":  # one row per lesson, as the JSON's "lessons"
        from console.cli.output import emit

        emit(preview_json(doc, preview)["lessons"], ("position", "title", "state", "opens_at"),
             "csv")
        return 0
    end = (_("held by a pause not yet resumed") if preview.end_held
           else _when(preview.end) if preview.end else _("unlimited"))
    opened, total = preview.count()
    print(_("Access start: {start}").format(start=_when(preview.start)))
    print(_("Access end: {end}").format(end=end))
    print(_("Open lessons at {at}: {open} of {total}").format(
        at=_when(preview.at), open=opened, total=total))
    print()
    headers = ("#", _("Lesson"), _("State"), _("Opens"))
    rows = [(str(s.position), doc.lessons[s.position - 1].title, state_label(s.state),
             _when(s.opens_at) if s.opens_at else ("…" if s.state == "scheduled" else ""))
            for s in preview.lessons]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    return 0
