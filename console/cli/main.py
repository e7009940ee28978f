"""`kontor`: opens the console, or runs a `kontor <noun> <verb>` command without the UI."""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import sys
import tempfile

COMMAND_MODULES = ("console.cli.contacts", "console.cli.admin",
                   "console.cli.plans", "console.cli.billing",
                   "console.cli.settings", "console.cli.lessons",
                   "console.cli.catalogue", "console.cli.orders", "console.cli.access",
                   "console.cli.groups")


def build_parser(commands: bool = True) -> argparse.ArgumentParser:
    """The whole parser; `commands=False`: the console's options only (importing and
    registering every command costs ~45 ms, a seventh of a bare Textual app's first frame)."""
    import importlib

    from core.i18n import _

    p = argparse.ArgumentParser(
        prog="kontor", description=_("Keyboard-driven backoffice console."))
    p.add_argument("--db", help=_("database URL or SQLite file (default: KONTOR_DATABASE_URL, "
                                  "then a file in the XDG data directory)"))
    p.add_argument("--operator", help=_("act as this operator (default: your OS login)"))
    p.add_argument("--lang", help=_("interface language: en, de or it (default: from the "
                                    "environment)"))
    p.add_argument("--demo", action="store_true",
                   help=_("open a throwaway database filled with demo data"))
    p.add_argument("--no-mouse", action="store_true", help=_("do not capture the mouse"))
    p.add_argument("--theme", help=_("colour theme, e.g. textual-dark, ansi-dark"))
    p.add_argument("--version", action="store_true", help=_("print the version and exit"))
    if not commands:
        p.set_defaults(command=None)
        return p
    sub = p.add_subparsers(dest="command")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return p


_VALUE_OPTIONS = ("--db", "--operator", "--lang", "--theme")


def _pre_language(argv: list[str]) -> str | None:
    """--lang must be known before the parser's help texts are translated. Only the global
    option counts (before the command): `kontor contacts add --lang it` is the contact's."""
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--lang="):
            return a.split("=", 1)[1]
        if a in _VALUE_OPTIONS:
            i += 2
            continue
        if not a.startswith("-"):
            return None  # the command: what follows is its own
        i += 1
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from core.i18n import set_language

    set_language(_pre_language(argv))
    args = _parse(argv)
    if args.version:
        from core import __version__

        print(f"kontor {__version__}")
        return 0
    from console.cli.contract import UsageError, error_lines, exit_status
    from core.errors import KontorError

    try:
        if args.command:
            return _run_command(args)
        return _run_console(args)
    except (KontorError, UsageError) as exc:
        for line in error_lines(exc):
            print(line, file=sys.stderr)
        return exit_status(exc)
    except KeyboardInterrupt:
        return 130


def _parse(argv: list[str]) -> argparse.Namespace:
    """Plain `kontor [--db …]` opens the console: parsed without the commands' parsers."""
    if not {"-h", "--help"} & set(argv):
        args, rest = build_parser(commands=False).parse_known_args(argv)
        if not rest:
            return args
    return build_parser().parse_args(argv)


def operator_login(args) -> str:
    return args.operator or os.environ.get("KONTOR_OPERATOR") or getpass.getuser()


def _run_command(args) -> int:
    if not getattr(args, "needs_db", True):  # e.g. `simulate`: must not open a database
        return args.run(args, None)
    from core.db import Database, open_database, refuse_missing_database, resolve_url
    from core.services.operators import sign_in

    if not getattr(args, "creates_db", False):  # only `db init` and `demo-data` create one
        refuse_missing_database(resolve_url(args.db))
    if getattr(args, "checks_schema", True):
        db = open_database(args.db)
    else:  # `kontor db …` looks at or upgrades the schema itself
        db = Database(resolve_url(args.db))
    try:
        if not getattr(args, "needs_ctx", True):
            return args.run(args, db)
        return args.run(args, sign_in(db, operator_login(args)))
    finally:
        db.dispose()


def _demo_progress_text(step: str) -> str:
    from core.i18n import _

    messages = {
        "contacts": _("Building the demo database (once; later starts copy it): contacts …"),
        "plans": _("Building the demo database: plans …"),
        "catalogue": _("Building the demo database: products and offers …"),
        "subscriptions": _("Building the demo database: subscriptions and invoices …"),
        "orders": _("Building the demo database: orders and accesses …"),
        "billing": _("Opening the demo: billing up to now …"),
    }
    return messages.get(step, step)


def _run_console(args) -> int:
    # The first frame is drawn before SQLAlchemy and the services are imported: the database
    # is opened (or the demo copied) in a thread while the start screen shows progress; on
    # SQLite the first contacts are shown before that (core/first_window.py).
    from console.app import KontorApp

    opened: list = []
    tmpdir = tempfile.mkdtemp(prefix="kontor-demo-") if args.demo else None
    login = operator_login(args)

    def preview():
        from console.widgets.paging import PAGE
        from core.first_window import read_first_window

        return read_first_window(args.db, login, PAGE)

    def connect(progress):
        from core.db import open_database, refuse_missing_database, resolve_url
        from core.services.operators import sign_in

        if args.demo:
            from pathlib import Path

            from core.services.demo_database import open_demo

            url = open_demo(Path(tmpdir), login,
                            progress=lambda step: progress(_demo_progress_text(step)))
        else:
            url = args.db
            refuse_missing_database(resolve_url(url))
        db = open_database(url)
        opened.append(db)
        return sign_in(db, login)

    try:
        app = KontorApp(demo=args.demo, theme=args.theme, connect=connect,
                        preview=None if args.demo else preview)
        app.run(mouse=not args.no_mouse)
        return app.return_code or 0
    finally:
        for db in opened:
            db.dispose()
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
