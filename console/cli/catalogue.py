"""`kontor catalogue import|export|list`: the product and offer document (docs/catalogue.md)."""

from __future__ import annotations

import argparse
import json
import sys

from console.cli.contract import UsageError, action_moment, add_at, add_format, plain
from console.cli.output import emit
from core.i18n import _

PRODUCT_COLUMNS = ("handle", "name", "kind", "is_bundle", "lesson_count", "archived")
OFFER_COLUMNS = ("handle", "name", "product", "payment", "price", "currency", "plan",
                 "archived")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("catalogue", help=_("products, lessons and offers"))
    verbs = p.add_subparsers(dest="verb", required=True)
    imp = verbs.add_parser("import", help=_("create or update products and offers from a "
                                            "document, by handle (all or nothing)"))
    imp.add_argument("file", help=_("JSON file, - for stdin"))
    imp.add_argument("--json", action="store_true", help=_("print the report as JSON"))
    add_at(imp)
    imp.set_defaults(run=catalogue_import)
    exp = verbs.add_parser("export", help=_("the catalogue as the document import reads"))
    group = exp.add_mutually_exclusive_group()
    group.add_argument("--format", choices=("json",), default="json",
                       help=_("output format (default: {default})").format(default="json"))
    group.add_argument("--json", dest="format", action="store_const", const="json",
                       help=_("short for --format json"))
    exp.add_argument("--archived", action="store_true",
                     help=_("also archived products and offers"))
    exp.set_defaults(run=catalogue_export)
    ls = verbs.add_parser("list", help=_("products (or offers) by name"))
    ls.add_argument("--offers", action="store_true", help=_("list offers instead of products"))
    ls.add_argument("--search", default="", metavar="TEXT",
                    help=_("a fragment of the name or handle"))
    ls.add_argument("--product", metavar="HANDLE", help=_("offers of this product"))
    ls.add_argument("--payment", choices=("one_time", "subscription", "instalments"),
                    help=_("offers of this payment type"))
    ls.add_argument("--archived", action="store_true", help=_("include archived ones"))
    ls.add_argument("--limit", type=int, default=None,
                    help=_("at most this many rows (default: all)"))
    add_format(ls)
    ls.set_defaults(run=catalogue_list)


def _read(path: str):
    """The parsed document; UsageError naming why it cannot be read."""
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
    except OSError as exc:
        raise UsageError(_("cannot read {path}: {error}").format(
            path=path, error=exc.strerror or exc)) from None
    except UnicodeDecodeError:
        raise UsageError(_("{path} is not UTF-8 text").format(path=path)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(_("{path} is not valid JSON: {error}").format(
            path=path, error=exc)) from None
    except RecursionError:
        raise UsageError(_("{path} is not valid JSON: nested too deeply").format(
            path=path)) from None


def catalogue_import(args, ctx) -> int:
    """Exit 0 when imported (or nothing changed), 2 with every rejected object otherwise."""
    from core.errors import ValidationFailed
    from core.limits import printable
    from core.services import catalogue

    payload = _read(args.file)
    try:
        report = catalogue.import_catalogue(ctx, payload, now=action_moment(ctx, args.at))
    except ValidationFailed as exc:
        print(_("kontor: nothing was imported:"), file=sys.stderr)
        for where, why in exc.fields.items():
            print(f"  {printable(where)}: {why}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(plain(report), indent=2, ensure_ascii=False))
        return 0
    for what, items in ((_("created"), report.created), (_("updated"), report.updated)):
        for item in items:
            print(f"{what}: {item}")
    print(_("{created} created, {updated} updated, {unchanged} unchanged").format(
        created=len(report.created), updated=len(report.updated),
        unchanged=len(report.unchanged)))
    return 0


def catalogue_export(args, ctx) -> int:
    from core.services import catalogue

    doc = catalogue.export_catalogue(ctx, include_archived=args.archived)
    json.dump(plain(doc), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def catalogue_list(args, ctx) -> int:
    from core.schemas.common import Window
    from core.services import catalogue

    if args.limit is not None and args.limit < 0:
        raise UsageError(_("--limit must be 0 or more"))
    if not args.offers and (args.product or args.payment):
        raise UsageError(_("--product and --payment filter offers: add --offers"))
    limit = args.limit
    rows: list = []
    window = Window(limit=500)
    while limit is None or len(rows) < limit:
        if args.offers:
            got = catalogue.list_offers(ctx, args.search, window, product=args.product,
                                        payment=args.payment, include_archived=args.archived)
        else:
            got = catalogue.list_products(ctx, args.search, window,
                                          include_archived=args.archived)
        rows += got if limit is None else got[:limit - len(rows)]
        if len(got) < window.limit:
            break
        window = Window(after=got[-1].key, limit=500)
    columns = OFFER_COLUMNS if args.offers else PRODUCT_COLUMNS
    data = [{c: getattr(r, c) for c in columns} for r in rows]
    emit(data, columns, args.format)
    return 0
