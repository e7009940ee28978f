"""`kontor access <verb>`: a contact's accesses — list, switch tariff, delete, extend, pause,
resume, accept a lesson's practice — through core/services/accesses.py.

    kontor access list --contact EMAIL|ID [--at ISO] [--all] [--json]
    kontor access switch ID --offer HANDLE [--start ISO] [--preview] [--at ISO] [--json]
    kontor access delete ID [--at ISO] [--json]
    kontor access extend ID (--by 14d|2m | --to DATE) [--at ISO] [--json]
    kontor access pause ID [--from ISO] [--to ISO] [--at ISO] [--json]
    kontor access resume ID [--at ISO] [--json]
    kontor access accept ID --lesson KEY [--at ISO] [--json]

The `access` noun is shared: `register` creates its parser and calls `add_verbs(verbs)` of
every module in ACCESS_VERB_MODULES (this one; the status actions add theirs), so a module
adds verbs without editing another's.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from console.cli.contract import UsageError, action_moment, add_at, add_format, plain
from core.i18n import _

# Modules that add verbs to `kontor access` (each has `add_verbs(verbs)`).
ACCESS_VERB_MODULES: tuple[str, ...] = ("console.cli.access", "console.cli.access_status")
LIST_COLUMNS = ("id", "product", "offer", "status", "starts_at", "ends_at")


def register(sub: argparse._SubParsersAction) -> None:
    import importlib

    p = sub.add_parser("access", help=_(
        "accesses to products: list, status, cancel, end date, switch tariff, delete, extend, "
        "pause, resume, accept"))
    verbs = p.add_subparsers(dest="verb", required=True)
    for name in ACCESS_VERB_MODULES:
        importlib.import_module(name).add_verbs(verbs)


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=_("print the result as JSON"))


def add_verbs(verbs: argparse._SubParsersAction) -> None:
    ls = verbs.add_parser("list", help=_("the accesses of a contact, newest first"))
    ls.add_argument("--contact", required=True, metavar="EMAIL|ID")
    add_at(ls, _("show the status and lessons at this moment (default now)"))
    ls.add_argument("--all", action="store_true",
                    help=_("include deleted and replaced accesses"))
    ls.add_argument("--limit", type=int, default=100)
    add_format(ls)
    ls.set_defaults(run=access_list)

    sw = verbs.add_parser("switch", help=_("switch to another offer of the same product in "
                                           "one step; --preview shows the effect only"))
    sw.add_argument("id", type=int)
    sw.add_argument("--offer", required=True, metavar="HANDLE")
    sw.add_argument("--start", metavar="ISO",
                    help=_("a new access start (default: keep the start and the progress)"))
    sw.add_argument("--preview", action="store_true")
    add_at(sw)
    _json_flag(sw)
    sw.set_defaults(run=access_switch)

    de = verbs.add_parser("delete", help=_("delete an access (kept in the history)"))
    de.add_argument("id", type=int)
    add_at(de)
    _json_flag(de)
    de.set_defaults(run=access_delete)

    ex = verbs.add_parser("extend", help=_("move the end of an access later"))
    ex.add_argument("id", type=int)
    span = ex.add_mutually_exclusive_group(required=True)
    span.add_argument("--by", metavar="14d|2m", help=_("days (d) or months (m) from the end"))
    span.add_argument("--to", metavar="DATE", help=_("the new end: a date (the end's time of "
                                                     "day) or an ISO date-time"))
    add_at(ex)
    _json_flag(ex)
    ex.set_defaults(run=access_extend)

    pa = verbs.add_parser("pause", help=_("pause an access from a moment, with or without an "
                                          "end; changes no invoice"))
    pa.add_argument("id", type=int)
    pa.add_argument("--from", dest="start", metavar="ISO", help=_("default: --at"))
    pa.add_argument("--to", dest="end", metavar="ISO",
                    help=_("the planned end (default: until resumed)"))
    add_at(pa)
    _json_flag(pa)
    pa.set_defaults(run=access_pause)

    re = verbs.add_parser("resume", help=_("end the pause now (or cancel a planned one)"))
    re.add_argument("id", type=int)
    add_at(re)
    _json_flag(re)
    re.set_defaults(run=access_resume)

    ac = verbs.add_parser("accept", help=_("accept the practice of a lesson (curator review)"))
    ac.add_argument("id", type=int)
    ac.add_argument("--lesson", required=True, metavar="KEY")
    add_at(ac)
    _json_flag(ac)
    ac.set_defaults(run=access_accept)


# -- helpers ---------------------------------------------------------------------------------


def contact_id(ctx, ref: str) -> int:
    """A contact by id or e-mail address; NotFound otherwise."""
    from core.errors import NotFound
    from core.schemas.common import Window
    from core.services import contacts

    text = (ref or "").strip()
    if text.isascii() and text.isdigit():
        return int(text)
    if "@" not in text:
        raise UsageError(_("--contact: an e-mail address or a contact id: {value}").format(
            value=ref))
    wanted = text.lower()
    for row in contacts.list_contacts(ctx, text, Window(limit=50)):
        if (row.email or "").lower() == wanted:
            return row.id
    raise NotFound(_("No contact with e-mail {email}.").format(email=text))


def _moment(ctx, value: str | None, what: str):
    return action_moment(ctx, value, what)


def _print(args, obj: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(plain(obj), indent=2, ensure_ascii=False))
    else:
        print(text)


def _end_text(detail) -> str:
    from core.i18n import format_datetime

    return format_datetime(detail.ends_at) if detail.ends_at else _("no end")


# -- verbs -----------------------------------------------------------------------------------


def access_list(args, ctx) -> int:
    from console.cli.output import emit
    from core.schemas.common import Window
    from core.services import accesses

    at = _moment(ctx, args.at, "--at")
    if not 1 <= args.limit <= 500:
        raise UsageError(_("--limit: from 1 to 500"))
    rows = accesses.list_accesses(ctx, contact_id(ctx, args.contact), at=at,
                                  window=Window(limit=args.limit), include_deleted=args.all)
    emit([{k: getattr(r, k) for k in LIST_COLUMNS} for r in rows], LIST_COLUMNS, args.format)
    return 0


def access_switch(args, ctx) -> int:
    from core.services import accesses

    at = _moment(ctx, args.at, "--at")
    start = _moment(ctx, args.start, "--start") if args.start else None
    if args.preview:
        p = accesses.preview_switch(ctx, args.id, args.offer, starts_at=start, at=at)
        _print(args, p, _("Switch access {id} from {old} to {new} (nothing saved): lessons "
                          "open today {b0} of {b1} → {a0} of {a1}; billing: {billing}.").format(
            id=args.id, old=p.offer, new=p.new_offer, b0=p.lessons_before[0],
            b1=p.lessons_before[1], a0=p.lessons_after[0], a1=p.lessons_after[1],
            billing=p.billing))
        return 0
    r = accesses.switch_tariff(ctx, args.id, args.offer, starts_at=start, at=at)
    _print(args, r, _("Access {old} replaced by access {new} on {offer}.").format(
        old=r.old.id, new=r.new.id, offer=r.new.offer))
    return 0


def access_delete(args, ctx) -> int:
    from core.services import accesses

    at = _moment(ctx, args.at, "--at")
    r = accesses.delete_access(ctx, args.id, at=at)
    _print(args, r, _("Access {id} deleted.").format(id=r.id))
    return 0


def access_extend(args, ctx) -> int:
    from datetime import date

    from core.services import accesses

    at = _moment(ctx, args.at, "--at")
    to = None
    if args.to is not None:
        text = args.to.strip()
        if len(text) == 10:
            try:
                to = date.fromisoformat(text)
            except ValueError:
                raise UsageError(_("--to: not an ISO date (2026-06-30): {value}").format(
                    value=args.to)) from None
        else:
            to = _moment(ctx, text, "--to")
    by = None
    if args.by is not None:
        try:
            by = accesses.parse_span(args.by)
        except ValueError as exc:
            raise UsageError(f"--by: {exc}") from None
    r = accesses.extend_access(ctx, args.id, by=by, to=to, at=at)
    _print(args, r, _("Access {id} now ends {end}.").format(id=r.id, end=_end_text(r)))
    return 0


def access_pause(args, ctx) -> int:
    from core.services import accesses

    at = _moment(ctx, args.at, "--at")
    start = _moment(ctx, args.start, "--from") if args.start else None
    end = _moment(ctx, args.end, "--to") if args.end else None
    r = accesses.pause_access(ctx, args.id, start=start, end=end, at=at)
    _print(args, r, _("Access {id} paused; it ends {end}.").format(id=r.id, end=_end_text(r)))
    return 0


def access_resume(args, ctx) -> int:
    from core.services import accesses

    at = _moment(ctx, args.at, "--at")
    r = accesses.resume_access(ctx, args.id, at=at)
    _print(args, r, _("Access {id} resumed; it ends {end}.").format(id=r.id, end=_end_text(r)))
    return 0


def access_accept(args, ctx) -> int:
    from core.services import accesses

    at = _moment(ctx, args.at, "--at")
    r = accesses.accept_practice(ctx, args.id, args.lesson, at=at)
    _print(args, r, _("Practice of lesson {key} accepted; {open} of {total} lessons open.")
           .format(key=args.lesson.strip(), open=r.open_lessons, total=r.lessons_in_tariff))
    return 0
