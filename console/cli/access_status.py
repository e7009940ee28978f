"""`kontor access show|cancel|set-end|undo-cancel|bulk|pending|expiring|overdue` (issue 11).

The same services the screens use (core/services/access_status.py) and the CLI contract
(console/cli/contract.py): exit 0 done, 2 bad input or refused (nothing written), 3 not found,
4 permission denied, 5 conflict; `--at ISO` on every acting command; `--json` for scripts.
`add_verbs(verbs)` adds these verbs to the `access` noun (console/cli/access.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from console.cli.contract import UsageError, action_moment, add_at, add_format, plain
from core.i18n import _

LIST_COLUMNS = ("id", "contact_id", "contact_name", "product_name", "status", "date")
MAX_IDS_TEXT = 10_000_000


def status_word(state: str) -> str:
    from core.rules.accesses import status_label

    return status_label(state)


def add_verbs(verbs: argparse._SubParsersAction) -> None:
    show = verbs.add_parser("show", help=_("an access and its status now (or at --at)"))
    show.add_argument("id", type=int)
    show.add_argument("--at", metavar="ISO",
                      help=_("the moment to compute the status for (default now)"))
    add_format(show)
    show.set_defaults(run=show_access)

    cancel = verbs.add_parser("cancel", help=_("cancel an access or a bundle; --preview shows "
                                               "what it does"))
    cancel.add_argument("id", type=int)
    cancel.add_argument("--preview", action="store_true",
                        help=_("show the effective date and what is lost; save nothing"))
    cancel.add_argument("--version", type=int, dest="expected",
                        help=_("the version you saw (a conflict if it changed since)"))
    cancel.add_argument("--json", action="store_true", help=_("print JSON"))
    add_at(cancel)
    cancel.set_defaults(run=cancel_access)

    end = verbs.add_parser("set-end", help=_("set the end (expiry or cancellation) date"))
    end.add_argument("id", type=int)
    end.add_argument("date", help=_("2026-12-31, 31.12.2026, +14d, +2m, today, tomorrow, "
                                    "end of month (a date alone: the end of that day)"))
    end.add_argument("--version", type=int, dest="expected",
                     help=_("the version you saw (a conflict if it changed since)"))
    end.add_argument("--json", action="store_true", help=_("print JSON"))
    add_at(end)
    end.set_defaults(run=set_end)

    undo = verbs.add_parser("undo-cancel", help=_("withdraw a pending cancellation"))
    undo.add_argument("id", type=int)
    undo.add_argument("--version", type=int, dest="expected",
                      help=_("the version you saw (a conflict if it changed since)"))
    undo.add_argument("--json", action="store_true", help=_("print JSON"))
    add_at(undo)
    undo.set_defaults(run=undo_cancel)

    bulk = verbs.add_parser("bulk", help=_("one action on many accesses, all or nothing"))
    actions = bulk.add_subparsers(dest="action", required=True)
    for name, text in (("cancel", _("cancel every access of --ids")),
                       ("undo-cancel", _("withdraw the pending cancellation of every access")),
                       ("set-end", _("set the end date of every access"))):
        a = actions.add_parser(name, help=text)
        if name == "set-end":
            a.add_argument("date", help=_("the new end date (as for set-end)"))
        a.add_argument("--ids", required=True, metavar="FILE",
                       help=_("a file of access ids (one per line, or separated by spaces "
                              "or commas); - reads standard input"))
        a.add_argument("--preview", action="store_true",
                       help=_("show the counts, dates and refused accesses; save nothing"))
        a.add_argument("--json", action="store_true", help=_("print JSON"))
        add_at(a)
        a.set_defaults(run=bulk_action)

    for name, text in (("pending", _("pending cancellations ending within a number of days")),
                       ("expiring", _("accesses expiring within a number of days")),
                       ("overdue", _("accesses with a failed subscription payment"))):
        ls = verbs.add_parser(name, help=text)
        if name != "overdue":
            ls.add_argument("--within", default="30d",
                            help=_("days ahead: 30d (default), 2w, 7"))
            ls.add_argument("--from", dest="date_from", metavar="DATE",
                            help=_("from this date (instead of now)"))
            ls.add_argument("--to", dest="date_to", metavar="DATE",
                            help=_("up to the end of this date (instead of --within)"))
        ls.add_argument("--product", type=int, help=_("only accesses to this product id"))
        ls.add_argument("--limit", type=int, default=100, help=_("rows (1–500, default 100)"))
        ls.add_argument("--at", metavar="ISO", help=_("the moment the list is for (default "
                                                      "now)"))
        add_format(ls)
        ls.set_defaults(run=follow_up, which=name)


# -- helpers ---------------------------------------------------------------------------------


def _print_json(obj: Any) -> None:
    print(json.dumps(plain(obj), indent=2, ensure_ascii=False))


def _zone(ctx):
    from zoneinfo import ZoneInfo

    from core.services.subscriptions import get_account_timezone

    return ZoneInfo(get_account_timezone(ctx))


def _now(ctx, value: str | None):
    from core.models import utcnow

    return action_moment(ctx, value) or utcnow()


def parse_date_arg(ctx, text: str, at, what: str = "DATE"):
    """A keyboard date (core/dates.py) as the end moment; UsageError naming `what`."""
    from core.dates import DateInputError, parse_end
    from core.i18n import language

    tz = _zone(ctx)
    try:
        return parse_end(text, today=at.astimezone(tz).date(), tz=tz, lang=language())
    except DateInputError as exc:
        raise UsageError(f"{what}: {exc}") from None


def read_ids(source: str) -> list[int]:
    """Ids from a file (or `-`: standard input): whole numbers separated by whitespace or
    commas; `#` starts a comment. UsageError naming --ids otherwise."""
    try:
        if source == "-":
            text = sys.stdin.read(MAX_IDS_TEXT + 1)
        else:
            with open(source, encoding="utf-8") as fh:
                text = fh.read(MAX_IDS_TEXT + 1)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(_("--ids: cannot read {path}: {error}").format(
            path=source, error=getattr(exc, "strerror", None) or exc)) from None
    if len(text) > MAX_IDS_TEXT:
        raise UsageError(_("--ids: the list is too long."))
    ids = []
    for n, line in enumerate(text.splitlines(), 1):
        for token in line.split("#", 1)[0].replace(",", " ").split():
            if not token.isdigit() or not 0 < int(token) <= 2_147_483_647:
                raise UsageError(_("--ids: line {n}: not an access id: {token}").format(
                    n=n, token=token[:20]))
            ids.append(int(token))
    if not ids:
        raise UsageError(_("--ids: no access ids given."))
    return ids


def _fmt(moment) -> str:
    from core.i18n import format_datetime

    return format_datetime(moment) if moment is not None else "—"


def _status_line(out) -> str:
    if out.status == "pending_cancellation":
        return _("Access {id}: pending cancellation until {date}.").format(
            id=out.id, date=_fmt(out.pending_cancellation_at))
    return _("Access {id}: {status}.").format(id=out.id, status=status_word(out.status))


# -- commands --------------------------------------------------------------------------------


def show_access(args, ctx) -> int:
    from console.cli.output import emit_one
    from core.services import access_status

    at = action_moment(ctx, args.at)
    out = access_status.get_status(ctx, args.id, at=at)
    if args.format == "json":
        _print_json(out.contract())
        return 0
    row = {**out.contract(), "product": out.product_name,
           "subscriptions": ", ".join(f"#{s.id} {status_word(s.state)}"
                                      for s in out.subscriptions)}
    if args.format == "table":
        row["status"] = status_word(out.status)
    emit_one(row, args.format)
    return 0


def _print_preview(p) -> None:
    if p.immediate:
        print(_("Cancelling access {id} ({product}) ends it now: no subscription payment was "
                "made.").format(id=p.access_id, product=p.product_name))
    else:
        print(_("Cancelling access {id} ({product}): pending cancellation until {date}.")
              .format(id=p.access_id, product=p.product_name, date=_fmt(p.effective_at)))
    lost = ", ".join(x.name for x in p.products_lost) or "—"
    print(_("Lost then: {products} ({n} lessons).").format(products=lost, n=p.lessons_lost))
    if p.products_kept:
        print(_("Kept (another access grants them): {products}.").format(
            products=", ".join(x.name for x in p.products_kept)))
    if p.last_invoice is not None:
        from core.i18n import format_money

        print(_("Last invoice: {date}, {amount}.").format(
            date=_fmt(p.last_invoice.issued),
            amount=format_money(p.last_invoice.amount, p.last_invoice.currency)))
    for c in p.credited:
        from core.i18n import format_money

        print(_("Credited now: invoice {number}, {amount}.").format(
            number=c.number, amount=format_money(c.amount, c.currency)))
    for s in p.subscriptions:
        print(_("Subscription {id}: ends {date}.").format(id=s.id, date=_fmt(s.ends_at)))


def cancel_access(args, ctx) -> int:
    from core.services import access_status

    at = _now(ctx, args.at)
    if args.preview:
        p = access_status.preview_cancel(ctx, args.id, at=at, now=at)
        _print_json(p) if args.json else _print_preview(p)
        return 0
    out = access_status.cancel(ctx, args.id, at=at, now=at, expected_row_version=args.expected)
    _print_json(out.contract()) if args.json else print(_status_line(out))
    return 0


def set_end(args, ctx) -> int:
    from core.services import access_status

    at = _now(ctx, args.at)
    end = parse_date_arg(ctx, args.date, at)
    out = access_status.set_end(ctx, args.id, end, at=at, now=at,
                                expected_row_version=args.expected)
    _print_json(out.contract()) if args.json else print(_status_line(out))
    return 0


def undo_cancel(args, ctx) -> int:
    from core.services import access_status

    at = _now(ctx, args.at)
    out = access_status.undo_cancel(ctx, args.id, at=at, now=at,
                                    expected_row_version=args.expected)
    _print_json(out.contract()) if args.json else print(_status_line(out))
    return 0


def bulk_action(args, ctx) -> int:
    from core.services import access_status
    from core.services._bulk import BulkRefused

    action = args.action.replace("-", "_")
    at = _now(ctx, args.at)
    end = parse_date_arg(ctx, args.date, at) if action == "set_end" else None
    ids = read_ids(args.ids)
    if args.preview:
        p = access_status.preview_bulk(ctx, action, ids, end=end, at=at, now=at)
        if args.json:
            _print_json(p)
        else:
            print(_("{allowed} of {total} accesses: {immediate} end now, {pending} later "
                    "(earliest {earliest}, latest {latest}); {invoices} invoices still to "
                    "come.").format(allowed=p.allowed, total=p.total, immediate=p.immediate,
                                    pending=p.pending, earliest=_fmt(p.earliest),
                                    latest=_fmt(p.latest), invoices=p.invoices_to_come))
            for r in p.refused:
                print(_("refused #{id}: {reason}").format(id=r.id, reason=r.reason))
        return 2 if p.refused else 0
    try:
        result = access_status.bulk(ctx, action, ids, end=end, at=at, now=at)
    except BulkRefused as exc:
        if args.json:
            _print_json({"action": action, "total": exc.total, "done": 0,
                         "refused": exc.refused})
        print(_("kontor: {n} of {total} accesses refuse, nothing was changed:").format(
            n=len(exc.refused), total=exc.total), file=sys.stderr)
        for r in exc.refused:
            print(f"  #{r.id}: {r.reason}", file=sys.stderr)
        return 2
    if args.json:
        _print_json(result)
    else:
        print(_("{n} accesses changed ({action}).").format(n=result.done, action=args.action))
    return 0


def follow_up(args, ctx) -> int:
    from console.cli.output import emit
    from core.schemas.common import Window
    from core.services import access_status

    if not 1 <= args.limit <= 500:
        raise UsageError(_("--limit: a number from 1 to 500."))
    at = _now(ctx, args.at)
    kwargs: dict[str, Any] = {"product_id": args.product, "at": at}
    if args.which != "overdue":
        kwargs["within_days"] = access_status.parse_within(args.within)
        if args.date_from:
            kwargs["date_from"] = _day(ctx, args.date_from, at, "--from")
        if args.date_to:
            kwargs["date_to"] = _day(ctx, args.date_to, at, "--to")
    rows = access_status.follow_up(ctx, args.which, window=Window(limit=args.limit), **kwargs)
    data = [r.model_dump(include=set(LIST_COLUMNS)) for r in rows]
    if args.format == "table":
        for d in data:
            d["status"] = status_word(d["status"])
    emit(data, LIST_COLUMNS, args.format)
    return 0


def _day(ctx, text: str, at, what: str):
    """The local date `text` names (the service takes a date's whole local day)."""
    from core.dates import DateInputError, parse_date
    from core.i18n import language

    try:
        return parse_date(text, today=at.astimezone(_zone(ctx)).date(), lang=language())
    except DateInputError as exc:
        raise UsageError(f"{what}: {exc}") from None


__all__ = ["add_verbs", "parse_date_arg", "read_ids", "status_word"]
