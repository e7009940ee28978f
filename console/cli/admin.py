"""`kontor db …`, `kontor operators …`, `kontor demo-data`."""

from __future__ import annotations

import argparse
import sys

from console.cli.contract import action_moment, add_at, add_format
from console.cli.output import emit
from core.i18n import _


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help=_("database schema"))
    verbs = p.add_subparsers(dest="verb", required=True)
    verbs.add_parser("upgrade", help=_("apply pending migrations")).set_defaults(
        run=db_upgrade, needs_ctx=False, checks_schema=False)
    verbs.add_parser("current", help=_("show the schema revision")).set_defaults(
        run=db_current, needs_ctx=False, checks_schema=False)
    init = verbs.add_parser("init", help=_("create the database (or migrate an existing one)"))
    _db_option(init)
    init.set_defaults(run=db_init, needs_ctx=False, checks_schema=False, creates_db=True)

    p = sub.add_parser("operators", help=_("operators and roles"))
    verbs = p.add_subparsers(dest="verb", required=True)
    ls = verbs.add_parser("list")
    add_format(ls)
    ls.set_defaults(run=operators_list)
    add = verbs.add_parser("add")
    add.add_argument("login")
    add.add_argument("--role", choices=("admin", "agent", "viewer"), default="agent")
    add.add_argument("--name", default="")
    add_at(add)
    add.set_defaults(run=operators_add)

    p = sub.add_parser("demo-data", help=_("fill a database with realistic demo data, fast"))
    p.add_argument("--contacts", type=int, default=0)
    p.add_argument("--plans", type=int, default=0,
                   help=_("plan versions of every schedule type, state, trial and setup fee"))
    p.add_argument("--orders", type=int, default=0,
                   help=_("orders and accesses on the contacts, using the offers there are "
                          "(a small catalogue is made when there is none)"))
    add_at(p)
    _db_option(p)
    p.set_defaults(run=demo_data, creates_db=True)


def _db_option(parser: argparse.ArgumentParser) -> None:
    # Also accepted after the command (`kontor demo-data --db x.db`); SUPPRESS keeps a
    # `--db` given before the command when it is not repeated here.
    parser.add_argument("--db", default=argparse.SUPPRESS,
                        help=_("database URL or SQLite file"))


def db_init(args, db) -> int:
    before, after = db.upgrade()
    if before is None:
        print(_("Created the database {url} (schema {rev}).").format(url=db.safe_url, rev=after))
    else:
        print(_("Schema {before} → {after}").format(before=before, after=after))
    return 0


def db_upgrade(args, db) -> int:
    before, after = db.upgrade()
    print(_("Schema {before} → {after}").format(before=before or "∅", after=after))
    return 0


def db_current(args, db) -> int:
    from core.db import head_revision

    print(_("Schema {rev} (this Kontor: {head})").format(
        rev=db.current_revision() or "∅", head=head_revision()))
    return 0


def operators_list(args, ctx) -> int:
    from core.services import operators

    rows = [o.model_dump() for o in operators.list_operators(ctx)]
    emit(rows, ("login", "name", "role", "active", "created_at"), args.format)
    return 0


def operators_add(args, ctx) -> int:
    from core.services import operators

    op = operators.add_operator(ctx, {"login": args.login, "name": args.name, "role": args.role},
                                now=action_moment(ctx, args.at))
    print(_("Added {login} as {role}.").format(login=op.login, role=op.role))
    return 0


def demo_data(args, ctx) -> int:
    from core.services import demo

    if args.contacts < 0:
        print(_("--contacts must be 0 or more"), file=sys.stderr)
        return 2
    if args.plans < 0:
        print(_("--plans must be 0 or more"), file=sys.stderr)
        return 2
    if args.orders < 0:
        print(_("--orders must be 0 or more"), file=sys.stderr)
        return 2
    now = action_moment(ctx, args.at)
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if tty:
            print(f"\r{done:>10,} / {total:,}", end="", file=sys.stderr, flush=True)

    if args.contacts or not (args.plans or args.orders):
        total = demo.generate_contacts(ctx, args.contacts, progress=progress, now=now)
        if tty:
            print(file=sys.stderr)
        print(_("{n} contacts in the database.").format(n=total))
    if args.plans:
        total = demo.generate_plans(ctx, args.plans, progress=progress, now=now)
        if tty:
            print(file=sys.stderr)
        print(_("{n} plans in the database.").format(n=total))
    if args.orders:
        from core.services.demo_orders import ensure_demo_offers, generate_orders

        ensure_demo_offers(ctx, now=now)
        total = generate_orders(ctx, args.orders, progress=progress, now=now)
        if tty:
            print(file=sys.stderr)
        print(_("{n} orders in the database.").format(n=total))
    return 0
