"""`kontor contacts search|show`: the same services the screens use."""

from __future__ import annotations

import argparse

from console.commands import emit
from core.i18n import _

COLUMNS = ("id", "name", "email", "phone", "language", "tags", "created_at")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("contacts", help=_("search and show contacts"))
    verbs = p.add_subparsers(dest="verb", required=True)
    s = verbs.add_parser("search", help=_("contacts matching a fragment of name, email or phone"))
    s.add_argument("text", nargs="?", default="")
    s.add_argument("--format", choices=("table", "json", "csv"), default="table")
    s.add_argument("--limit", type=int, default=50)
    s.set_defaults(run=search)


def search(args, ctx) -> int:
    from core.schemas.common import Window
    from core.services import contacts

    rows = contacts.list_contacts(ctx, args.text, Window(limit=max(1, min(args.limit, 500))))
    data = [r.model_dump(include=set(COLUMNS)) for r in rows]
    for d in data:
        d["created_at"] = d["created_at"].isoformat()
    emit(data, COLUMNS, args.format)
    return 0
