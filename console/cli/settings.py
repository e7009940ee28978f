"""`kontor settings list|get KEY|set KEY VALUE`: the account settings (admins set them)."""

from __future__ import annotations

import argparse

from console.cli.contract import action_moment, add_at, add_format
from console.cli.output import emit
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
        add_format(v)
        v.set_defaults(run=fn)
    s = verbs.add_parser("set", help=_("change a setting (admins only)"))
    s.add_argument("key")
    s.add_argument("value")
    add_at(s)
    s.set_defaults(run=settings_set)


def settings_list(args, ctx) -> int:
    from core.services import settings

    emit([s.row() for s in settings.list_settings(ctx)], COLUMNS, args.format)
    return 0


def settings_get(args, ctx) -> int:
    from core.services import settings

    value = settings.get_setting(ctx, args.key)
    if args.format == "table":
        print(value.text)
    else:
        emit([value.row()], COLUMNS, args.format)
    return 0


def settings_set(args, ctx) -> int:
    from core.services import settings

    value = settings.set_setting(ctx, args.key, args.value, now=action_moment(ctx, args.at))
    print(_("{key} = {value}").format(key=value.key, value=value.text))
    if value.key == "group_limit_active":
        from core.services.groups import limit_effect

        e = limit_effect(ctx)
        full, over = (e.full_limited, e.over_limited) if e.limited else (e.full_open,
                                                                          e.over_open)
        print(_("Every group follows at once: {full} full, {over} over quota; {changed} "
                "groups count removed participants differently.").format(
                    full=full, over=over, changed=e.changed))
    return 0
