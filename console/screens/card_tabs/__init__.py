"""The contact card's tabs: one module per tab, found here (no list to edit elsewhere).

Each module defines `Tab`, a `CardTab` subclass: `tab_id`, `label`, `key` (its one-key
shortcut on the card), `order` (left to right), and `load()`, which fetches its own rows
through run_service. Adding the Products, Orders or Groups tab is adding a module here.
"""

from __future__ import annotations

import importlib
import pkgutil

from console.screens.card_tabs.base import CardTab

__all__ = ["CardTab", "tab_classes"]

_cache: list[type[CardTab]] | None = None


def tab_classes() -> list[type[CardTab]]:
    """Every tab class, in `order`."""
    global _cache
    if _cache is None:
        found = []
        for info in pkgutil.iter_modules(__path__):
            if info.name == "base":
                continue
            module = importlib.import_module(f"{__name__}.{info.name}")
            found.append(module.Tab)
        _cache = sorted(found, key=lambda t: t.order)
    return _cache
