"""A small shop for order and access tests: two plans and four products with offers of every
payment type, imported through the catalogue service (the demo catalogue is larger and may
change; these handles are what the tests name)."""

from __future__ import annotations

from core.services import catalogue, plans
from core.services.context import ServiceContext

PLANS = (
    {"handle": "demo-club-monthly", "name": "Club monthly", "amount": 2900, "vat": "0.19",
     "amount_incl_vat": True, "schedule_type": "month_startdate", "interval_length": 1,
     "trial_interval_length": 14, "trial_interval_unit": "days"},
    {"handle": "demo-course-3-instalments", "name": "Course in 3 instalments",
     "amount": 9900, "vat": "0.19", "amount_incl_vat": True,
     "schedule_type": "month_startdate", "interval_length": 1, "fixed_count": 3},
)
_BASE = {"open_lessons": "all", "release": "none", "checkpoints": False, "review": "none",
         "duration": None}


def _product(handle: str, name: str, kind: str, lessons: int) -> dict:
    return {"handle": handle, "name": name, "kind": kind, "bundle_of": [],
            "lessons": [{"key": f"l{i}", "title": f"{name} {i}", "module": "",
                         "delay_days": (i - 1) * 7, "open_on": None, "checkpoint": i == 2,
                         "practice": i == 2} for i in range(1, lessons + 1)]}


def _offer(handle, product, name, payment, price, plan, template) -> dict:
    return {"handle": handle, "product": product, "name": name, "payment": payment,
            "price": price, "currency": "EUR", "plan": plan,
            "template": {**_BASE, **template}}


DOCUMENT = {
    "products": [_product("yoga-basics", "Yoga Basics", "course", 12),
                 _product("italienisch-a1", "Italienisch A1", "course", 10),
                 _product("corso-acquerello", "Corso di acquerello", "course", 8),
                 _product("pilates-club", "Pilates Club", "membership", 24)],
    "offers": [
        _offer("yoga-basics-full", "yoga-basics", "Yoga Basics — full course", "one_time",
               14900, None, {"release": "delays", "checkpoints": True, "review": "curator"}),
        _offer("yoga-basics-first3", "yoga-basics", "Yoga Basics — first 3 lessons",
               "one_time", 4900, None, {"open_lessons": {"first": 3},
                                        "duration": {"length": 90, "unit": "days"}}),
        _offer("yoga-basics-3x", "yoga-basics", "Yoga Basics — 3 instalments", "instalments",
               None, "demo-course-3-instalments",
               {"release": "delays", "duration": {"length": 12, "unit": "months"}}),
        _offer("italienisch-a1", "italienisch-a1", "Italienisch A1", "one_time", 19900, None,
               {"release": "delays", "review": "automatic"}),
        _offer("corso-acquerello", "corso-acquerello", "Corso di acquerello", "one_time", 8900,
               None, {"duration": {"length": 6, "unit": "months"}}),
        _offer("pilates-club-monthly", "pilates-club", "Pilates Club monthly", "subscription",
               None, "demo-club-monthly", {"release": "delays"}),
    ],
}


def seed_small_shop(ctx: ServiceContext) -> None:
    """The plans and the catalogue above (an admin's context)."""
    for plan in PLANS:
        plans.create_plan(ctx, plan)
    catalogue.import_catalogue(ctx, DOCUMENT)
