"""`kontor access …`: the access noun; each module of ACCESS_VERB_MODULES adds its verbs
(`add_verbs(verbs)`): the status actions and follow-up lists of issue 11 here."""

from __future__ import annotations

import argparse
import importlib

from core.i18n import _

ACCESS_VERB_MODULES = ("console.cli.access_status",)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("access", help=_("accesses: status, cancel, end date, follow-up lists"))
    verbs = p.add_subparsers(dest="verb", required=True)
    for name in ACCESS_VERB_MODULES:
        importlib.import_module(name).add_verbs(verbs)
