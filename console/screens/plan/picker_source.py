"""The plan catalogue as a picker source: active plans whose name contains the text, or whose
handle is the text, through the plan catalogue service (windowed; no SQL here)."""

from __future__ import annotations

from console.widgets.picker import PickerItem
from core.i18n import format_money
from core.plan_query import PlanFilter
from core.schemas.common import Window
from core.services import plan_catalogue
from core.services.context import ServiceContext


class PlanSource:
    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx

    def search(self, text: str, window: int) -> list[PickerItem]:
        text = text.strip()[:255]
        if not text:
            return []
        rows = []
        try:
            if " " not in text:  # a handle has no spaces: the exact one first
                rows += plan_catalogue.list_plans_window(
                    self.ctx, PlanFilter(handle=text, state=("active",)),
                    window=Window(limit=1))
            rows += plan_catalogue.list_plans_window(
                self.ctx, PlanFilter(name=text, state=("active",)),
                plan_catalogue.PlanSort(column="name", descending=False), Window(limit=window))
        except ValueError:  # text no filter accepts (a control character …): no results
            return []
        seen, items = set(), []
        for r in rows:
            if r.handle in seen:
                continue
            seen.add(r.handle)
            items.append(PickerItem(r.handle, f"{r.name} · {r.handle} · "
                                    f"{format_money(r.amount, r.currency)} {r.billing_frequency}"))
        return items[:window]
