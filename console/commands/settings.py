"""`kontor settings list|get KEY|set KEY VALUE`: the account settings (admins set them)."""

from __future__ import annotations

import argparse
import sys

from console.commands import emit
from core.i18n import _

COLUMNS = ("key", "value", "default", "is_default", "description")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("settings", help=_("account settings (time zone, default currency "
                                          "and VAT)"))
    verbs = p.add_subparsers(dest="verb", required=True)
    for verb, fn, text in (("list", settings_list, _("every setting with its value")),
                           ("get", settings_get, _("one setting"))):
        v = verbs.add_parser(verb, help=text)
        if verb == "get":
            v.add_argument("key")
        fmt = v.add_mutually_exclusive_group()
        fmt.add_argument("--format", choices=("table", "json", "csv"), default="table")
        fmt.add_argument("--json", dest="format", action="store_const", const="json",
                         help=_("short for --format json"))
        v.set_defaults(run=fn)
    s = verbs.add_parser("set", help=_("change a setting (admins only)"))
    s.add_argument("key")
    s.add_argument("value")
    s.set_defaults(run=settings_set)


def _refused(exc) -> int:
    for field, why in exc.fields.items():
        print(_("kontor: {field}: {error}").format(field=field, error=why), file=sys.stderr)
    return 2


def settings_list(args, ctx) -> int:
    from core.services import settings

    emit([s.row() for s in settings.list_settings(ctx)], COLUMNS, args.format)
    return 0


def settings_get(args, ctx) -> int:
    from core.errors import ValidationFailed
    from core.services import settings

    try:
        value = settings.get_setting(ctx, args.key)
    except ValidationFailed as exc:
        return _refused(exc)
    if args.format == "table":
        print(value.text)
    else:
        emit([value.row()], COLUMNS, args.format)
    return 0


def settings_set(args, ctx) -> int:
    from core.errors import ValidationFailed
    from core.services import settings

    try:
        value = settings.set_setting(ctx, args.key, args.value)
    except ValidationFailed as exc:
        return _refused(exc)
    print(_("{key} = {value}").format(key=value.key, value=value.text))
    return 0
