"""`kontor plans import|list|show|versions|delete|undelete|affected`."""

from __future__ import annotations

import argparse
import json
import sys

from console.cli.contract import action_moment, add_at, add_format, plain
from console.cli.output import emit, emit_one
from core.i18n import _

COLUMNS = ("handle", "version", "state", "name", "amount", "currency", "billing_frequency",
           "created")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plans", help=_("plan catalogue (Reepay fields)"))
    verbs = p.add_subparsers(dest="verb", required=True)
    imp = verbs.add_parser("import", help=_("import a plan or a list of plans as Reepay's API "
                                            "returns them (all or nothing)"))
    imp.add_argument("file", help=_("JSON file, - for stdin"))
    imp.add_argument("--json", action="store_true", help=_("print the report as JSON"))
    add_at(imp)
    imp.set_defaults(run=plans_import)
    ls = verbs.add_parser("list", help=_("the plan list: filter, sort, export (CSV/JSON)"))
    ls.add_argument("--filter", default="", metavar="QUERY",
                    help=_("query language, e.g. 'state:active amount:10-50' "
                           "(see docs/plans.md)"))
    ls.add_argument("--sort", default="created:desc", metavar="COL[:asc|desc]",
                    help=_("state, name, handle, version, created, trial, amount or "
                           "billing_frequency"))
    ls.add_argument("--columns", metavar="COL,COL",
                    help=_("list columns for table and CSV (default: all)"))
    ls.add_argument("--limit", type=int, default=None,
                    help=_("at most this many rows (table default: 50; CSV/JSON: all)"))
    add_format(ls)
    ls.set_defaults(run=plans_list)
    show = verbs.add_parser("show", help=_("one plan version (JSON: Reepay's plan object)"))
    show.add_argument("handle")
    show.add_argument("--version", type=int, dest="plan_version")
    add_format(show)
    show.set_defaults(run=plans_show)
    vs = verbs.add_parser("versions", help=_("every version of a handle"))
    vs.add_argument("handle")
    add_format(vs)
    vs.set_defaults(run=plans_versions)
    for verb, fn, text in (("delete", plans_delete, _("delete: existing subscriptions continue, "
                                                        "new ones are refused")),
                           ("undelete", plans_undelete, _("make a deleted plan active again"))):
        d = verbs.add_parser(verb, help=text)
        d.add_argument("handle")
        add_at(d)
        d.set_defaults(run=fn)
    aff = verbs.add_parser("affected", help=_("live subscribers a new version would move"))
    aff.add_argument("handle")
    add_format(aff)
    aff.set_defaults(run=plans_affected)


class _Unreadable(Exception):
    pass


def _read_json(path: str):
    """The parsed file; _Unreadable with the reason when it cannot be read or parsed."""
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
    except OSError as exc:
        raise _Unreadable(_("kontor: cannot read {path}: {error}").format(
            path=path, error=exc.strerror or exc)) from None
    except UnicodeDecodeError:
        raise _Unreadable(_("kontor: {path} is not UTF-8 text").format(path=path)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Unreadable(_("kontor: {path} is not valid JSON: {error}").format(
            path=path, error=exc)) from None
    except RecursionError:
        raise _Unreadable(_("kontor: {path} is not valid JSON: nested too deeply").format(
            path=path)) from None


def plans_import(args, ctx) -> int:
    """Exit 0 when imported (or the file holds no plans), 2 when nothing was imported."""
    from core.errors import ValidationFailed
    from core.services import plans

    try:
        payload = _read_json(args.file)
    except _Unreadable as exc:
        print(str(exc), file=sys.stderr)
        return 2
    try:
        report = plans.import_plans(ctx, payload, now=action_moment(ctx, args.at))
    except ValidationFailed as exc:
        print(_("kontor: nothing was imported:"), file=sys.stderr)
        for where, why in exc.fields.items():
            print(f"  {where}: {why}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(plain(report), indent=2, ensure_ascii=False))
        return 0
    if not report.plans:
        print(_("nothing was imported: the file holds no plans"))
        return 0
    for p in report.plans:
        print(_("imported {handle} v{version} ({state})").format(
            handle=p.handle, version=p.version, state=p.state))
        for warning in p.warnings:
            print("  " + _("warning: {warning}").format(warning=warning))
    if report.ignored_fields:
        print(_("ignored fields: {fields}").format(fields=", ".join(report.ignored_fields)))
    if report.dunning_plans_created:
        print(_("dunning plans registered: {handles}").format(
            handles=", ".join(report.dunning_plans_created)))
    return 0


def _row(p) -> dict:
    return {"handle": p.handle, "version": p.version, "state": p.state, "name": p.name,
            "amount": p.amount, "currency": p.currency,
            "billing_frequency": p.billing_frequency, "created": p.created}


def _created_day(moment):
    """The local day a plan was created (a table shows it as the locale writes dates)."""
    from datetime import UTC

    from core.i18n import format_short_date

    return format_short_date(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def plans_list(args, ctx) -> int:
    from core.errors import ValidationFailed
    from core.limits import printable
    from core.plan_query import QueryError, parse
    from core.schemas.common import Window
    from core.services import plan_catalogue as pc

    try:
        f = parse(args.filter, today=pc.account_today(ctx))
    except QueryError as exc:
        print(_("kontor: bad --filter: {message}").format(message=exc.message),
              file=sys.stderr)
        # Control characters are shown as U+FFFD: an ESC sequence in the query must not
        # repaint the terminal, and the caret below still points at the right place.
        print("  " + printable(args.filter), file=sys.stderr)
        print("  " + " " * exc.position + "^" * exc.length, file=sys.stderr)
        return 2
    sort = pc.PlanSort.parse(args.sort)
    columns = [c.strip() for c in args.columns.split(",")] if args.columns else list(pc.COLUMNS)
    unknown = [c for c in columns if c not in pc.COLUMNS]
    if unknown:
        raise ValidationFailed({"columns": _("Unknown column {column}; choose from {columns}."
                                             ).format(column=unknown[0],
                                                      columns=", ".join(pc.COLUMNS))})
    if args.format in ("csv", "json") and args.limit is None:
        pc.write_plans(ctx, f, sort, args.format, sys.stdout, columns=columns)
        return 0
    limit = 50 if args.limit is None else max(0, args.limit)
    rows, window = [], Window(limit=min(500, max(1, limit)))
    while len(rows) < limit:
        got = pc.list_plans_window(ctx, f, sort, window)
        rows += got[:limit - len(rows)]
        if len(got) < window.limit:
            break
        window = Window(after=got[-1].key, limit=window.limit)
    if args.format == "json":
        from core.services import plans

        emit([plans.get_plan_by_id(ctx, r.id).to_reepay() for r in rows], (), "json")
        return 0
    if args.format == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(pc.csv_header(columns))
        writer.writerows(pc.csv_record(r, columns) for r in rows)
        return 0
    table = [{**{c: getattr(r, c) for c in pc.COLUMNS}, "currency": r.currency,
              "created": _created_day(r.created)} for r in rows]
    emit(table, columns, "table")
    total = pc.count_plans(ctx, f)
    if total > len(rows):
        sys.stdout.flush()
        print(_("{shown} of {total} plans; see --limit, --format csv|json").format(
            shown=len(rows), total=total), file=sys.stderr)
    return 0


def plans_show(args, ctx) -> int:
    from core.services import plans

    p = plans.get_plan(ctx, args.handle, args.plan_version)
    emit_one(p.to_reepay(), args.format, field_names=True)
    return 0


def plans_versions(args, ctx) -> int:
    from core.services import plans

    emit([_row(p) for p in plans.list_plan_versions(ctx, args.handle)], COLUMNS, args.format)
    return 0


def plans_delete(args, ctx) -> int:
    from core.services import plans

    p = plans.delete_plan(ctx, args.handle, now=action_moment(ctx, args.at))
    print(_("{handle} v{version} is deleted.").format(handle=p.handle, version=p.version))
    return 0


def plans_undelete(args, ctx) -> int:
    from core.services import plans

    p = plans.undelete_plan(ctx, args.handle, now=action_moment(ctx, args.at))
    print(_("{handle} v{version} is active.").format(handle=p.handle, version=p.version))
    return 0


def plans_affected(args, ctx) -> int:
    from core.services import plans

    emit_one(plans.count_affected_subscribers(ctx, args.handle), args.format)
    return 0
