"""The areas of the console, in ONE tuple: mode name, number key, screen, palette and help.

Adding an area (4 orders, 6 groups, 7 follow-up lists come with later issues) is
adding one `Area` here; the app's keys and modes, the palette and the help line follow.
Nothing here imports a screen: the screen module is imported when the area is first shown.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from core.i18n import N_, _


@dataclass(frozen=True)
class Area:
    mode: str     # the Textual mode (one screen stack per area)
    key: str      # its number key
    label: str    # msgid: the binding's description and the help line ("1 contacts")
    command: str  # msgid: the palette entry
    screen: str   # "module:Class", constructed with the ServiceContext

    def make(self, ctx):
        module, cls = self.screen.split(":")
        return getattr(importlib.import_module(module), cls)(ctx)


AREAS: tuple[Area, ...] = (
    Area("contacts", "1", N_("Contacts"), N_("Go to contacts"),
         "console.screens.contacts:ContactsScreen"),
    Area("plans", "2", N_("Plans"), N_("Go to plans"), "console.screens.plans:PlanListScreen"),
    Area("catalogue", "3", N_("Catalogue"), N_("Go to the catalogue"),
         "console.screens.catalogue.products:CatalogueScreen"),
    Area("orders", "4", N_("Orders"), N_("Go to orders"),
         "console.screens.orders.area:OrdersScreen"),
    Area("subscriptions", "5", N_("Subscriptions"), N_("Go to subscriptions"),
         "console.screens.subscriptions:SubscriptionsScreen"),
    Area("groups", "6", N_("Groups"), N_("Go to groups"), "console.screens.groups:GroupsScreen"),
    Area("follow_up", "7", N_("Follow-up"), N_("Go to follow-up lists"),
         "console.screens.follow_up:FollowUpScreen"),
    Area("operators", "9", N_("Operators"), N_("Go to operators"),
         "console.screens.operators:OperatorsScreen"),
)


def area(mode: str) -> Area:
    return next(a for a in AREAS if a.mode == mode)


def help_line() -> str:
    """The help screen's line of area keys: "1 Contacts · 2 Plans · 5 Subscriptions · …"."""
    return " · ".join(f"{a.key} {_(a.label)}" for a in AREAS)
