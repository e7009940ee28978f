"""`kontor contacts search|show|add`: the same services the screens use."""

from __future__ import annotations

import argparse

from console.cli.contract import action_moment, add_at, add_format
from console.cli.output import emit, emit_one
from core.i18n import _

COLUMNS = ("id", "name", "email", "phone", "language", "tags", "created_at")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("contacts", help=_("search and show contacts"))
    verbs = p.add_subparsers(dest="verb", required=True)
    s = verbs.add_parser("search", help=_("contacts matching a fragment of name, email or phone"))
    s.add_argument("text", nargs="?", default="")
    add_format(s)
    s.add_argument("--limit", type=int, default=50)
    s.set_defaults(run=search)
    show = verbs.add_parser("show", help=_("one contact"))
    show.add_argument("id", type=int)
    add_format(show)
    show.set_defaults(run=show_contact)
    add = verbs.add_parser("add", help=_("add a contact"))
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--phone", default="")
    add.add_argument("--lang", dest="contact_lang", default="",
                     help=_("the contact's language (de, it, en, ...)"))
    add.add_argument("--json", action="store_true", help=_('print {"id"} as JSON'))
    add_at(add)
    add.set_defaults(run=add_contact)
    for verb, text in (("lock", _("lock a contact: no content from any access, billing goes "
                                  "on (admins)")),
                       ("unlock", _("lift a contact's lock (admins)"))):
        v = verbs.add_parser(verb, help=text)
        v.add_argument("id", type=int)
        v.add_argument("--json", action="store_true", help=_("print JSON"))
        add_at(v)
        v.set_defaults(run=lock_contact, lock=verb == "lock")


def search(args, ctx) -> int:
    from core.schemas.common import Window
    from core.services import contacts

    rows = contacts.list_contacts(ctx, args.text, Window(limit=max(1, min(args.limit, 500))))
    emit([r.model_dump(include=set(COLUMNS)) for r in rows], COLUMNS, args.format)
    return 0


def show_contact(args, ctx) -> int:
    from core.services import contacts

    emit_one(contacts.get_contact(ctx, args.id), args.format)
    return 0


def add_contact(args, ctx) -> int:
    import json

    from core.services import contacts

    c = contacts.create_contact(ctx, {"name": args.name, "email": args.email,
                                      "phone": args.phone, "language": args.contact_lang},
                                now=action_moment(ctx, args.at))
    if args.json:
        print(json.dumps({"id": c.id}))
    else:
        print(_("Contact {id} added: {name} <{email}>").format(id=c.id, name=c.name,
                                                              email=c.email))
    return 0


def lock_contact(args, ctx) -> int:
    import json

    from console.cli.contract import action_moment, plain
    from core.services import access_status

    at = action_moment(ctx, args.at)
    service = access_status.lock_contact if args.lock else access_status.unlock_contact
    out = service(ctx, args.id, at=at)
    if args.json:
        print(json.dumps(plain(out), indent=2, ensure_ascii=False))
    elif out["locked"]:
        print(_("Contact {id} is locked.").format(id=out["id"]))
    else:
        print(_("Contact {id} is unlocked.").format(id=out["id"]))
    return 0
