"""`kontor plans import|list|show|versions|delete|undelete|affected`."""

from __future__ import annotations

import argparse
import json
import sys

from console.commands import emit
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
    imp.set_defaults(run=plans_import)
    ls = verbs.add_parser("list", help=_("newest plans first"))
    ls.add_argument("--state", action="append", choices=("active", "superseded", "deleted"))
    ls.add_argument("--handle-prefix")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--format", choices=("table", "json", "csv"), default="table")
    ls.set_defaults(run=plans_list)
    show = verbs.add_parser("show", help=_("one plan version as Reepay JSON"))
    show.add_argument("handle")
    show.add_argument("--version", type=int, dest="plan_version")
    show.set_defaults(run=plans_show)
    vs = verbs.add_parser("versions", help=_("every version of a handle"))
    vs.add_argument("handle")
    vs.add_argument("--format", choices=("table", "json", "csv"), default="table")
    vs.set_defaults(run=plans_versions)
    for verb, fn, text in (("delete", plans_delete, _("delete: existing subscriptions continue, "
                                                        "new ones are refused")),
                           ("undelete", plans_undelete, _("make a deleted plan active again"))):
        d = verbs.add_parser(verb, help=text)
        d.add_argument("handle")
        d.set_defaults(run=fn)
    aff = verbs.add_parser("affected", help=_("live subscribers a new version would move"))
    aff.add_argument("handle")
    aff.set_defaults(run=plans_affected)


def _read_json(path: str):
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
        return json.loads(text)
    except OSError as exc:
        raise SystemExit(_("kontor: cannot read {path}: {error}").format(
            path=path, error=exc.strerror)) from None
    except json.JSONDecodeError as exc:
        raise SystemExit(_("kontor: {path} is not valid JSON: {error}").format(
            path=path, error=exc)) from None


def plans_import(args, ctx) -> int:
    from core.errors import ValidationFailed
    from core.services import plans

    payload = _read_json(args.file)
    try:
        report = plans.import_plans(ctx, payload)
    except ValidationFailed as exc:
        print(_("kontor: nothing was imported:"), file=sys.stderr)
        for where, why in exc.fields.items():
            print(f"  {where}: {why}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.model_dump(), indent=2, ensure_ascii=False))
        return 0
    for p in report.plans:
        print(_("imported {handle} v{version} ({state})").format(
            handle=p.handle, version=p.version, state=p.state))
    if report.ignored_fields:
        print(_("ignored fields: {fields}").format(fields=", ".join(report.ignored_fields)))
    if report.dunning_plans_created:
        print(_("dunning plans registered: {handles}").format(
            handles=", ".join(report.dunning_plans_created)))
    return 0


def _row(p) -> dict:
    return {"handle": p.handle, "version": p.version, "state": p.state, "name": p.name,
            "amount": p.amount, "currency": p.currency,
            "billing_frequency": p.billing_frequency, "created": p.created.isoformat()}


def plans_list(args, ctx) -> int:
    from core.schemas.common import Window
    from core.services import plans

    rows = plans.list_plans(ctx, states=tuple(args.state or ()) or None,
                            handle_prefix=args.handle_prefix,
                            window=Window(limit=max(1, min(args.limit, 500))))
    emit([_row(p) for p in rows], COLUMNS, args.format)
    return 0


def plans_show(args, ctx) -> int:
    from core.services import plans

    p = plans.get_plan(ctx, args.handle, args.plan_version)
    print(json.dumps(p.to_reepay(), indent=2, ensure_ascii=False))
    return 0


def plans_versions(args, ctx) -> int:
    from core.services import plans

    emit([_row(p) for p in plans.list_plan_versions(ctx, args.handle)], COLUMNS, args.format)
    return 0


def plans_delete(args, ctx) -> int:
    from core.services import plans

    p = plans.delete_plan(ctx, args.handle)
    print(_("{handle} v{version} is deleted.").format(handle=p.handle, version=p.version))
    return 0


def plans_undelete(args, ctx) -> int:
    from core.services import plans

    p = plans.undelete_plan(ctx, args.handle)
    print(_("{handle} v{version} is active.").format(handle=p.handle, version=p.version))
    return 0


def plans_affected(args, ctx) -> int:
    from core.services import plans

    a = plans.count_affected_subscribers(ctx, args.handle)
    print(json.dumps(a.model_dump(), indent=2))
    return 0
