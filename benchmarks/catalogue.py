"""The catalogue at the issue's size: 500 products (up to 300 lessons), thousands of offers.
Prints JSON.

    python benchmarks/catalogue.py [--products 500] [--offers 5000] [--rounds 200] [--db PATH]

Builds the catalogue through `import_catalogue` (one document per 50 products), then times
service calls a screen makes per keystroke or open (wall and CPU p50/p95, ms):
`list_products` (first window and a search word), `count_products`, `list_offers` for one
product and for a payment type with a search word, `get_product` of a 300-lesson course (the
product form's open), `offer_template` + `lesson_states` for it (what an access's lessons
cost), and an export → import no-op of the whole catalogue (seconds, once).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import pct

WORDS = ["Deutsch", "Italiano", "Photography", "Cucina", "Yoga", "Gitarre", "Excel", "Python",
         "Marketing", "Fotografia", "Pilates", "Spanisch", "Inglese", "Buchhaltung"]


def document(products: int, offers: int, seed: int = 5) -> list[dict]:
    rng = random.Random(seed)
    docs, handles = [], []
    for start in range(0, products, 50):
        ps = []
        for i in range(start, min(products, start + 50)):
            n = 300 if i % 10 == 0 else rng.randint(5, 120)
            handle = f"p{i}"
            handles.append((handle, n))
            ps.append({"handle": handle, "name": f"{rng.choice(WORDS)} {i} {rng.choice(WORDS)}",
                       "kind": "course" if i % 7 else "membership",
                       "lessons": [{"title": f"Lesson {k}", "delay_days": k // 5,
                                    "checkpoint": k % 10 == 9} for k in range(n)]})
        docs.append({"products": ps, "offers": []})
    os = []
    for j in range(offers):
        handle, n = handles[j % len(handles)]
        kind = j % 3
        o = {"handle": f"o{j}", "product": handle, "name": f"{rng.choice(WORDS)} tariff {j}",
             "template": {"open_lessons": {"first": min(n, 10)} if j % 4 == 0 else "all",
                          "release": "delays", "checkpoints": j % 2 == 0}}
        if kind == 0:
            o.update(payment="one_time", price=rng.randint(0, 50000))
        else:
            o.update(payment="subscription" if kind == 1 else "instalments",
                     plan="gold-monthly" if kind == 1 else "coaching-6")
        os.append(o)
    for start in range(0, len(os), 1000):
        docs.append({"products": [], "offers": os[start:start + 1000]})
    return docs


def timed(fn, rounds: int) -> dict:
    wall, cpu = [], []
    for _ in range(rounds):
        t, c = time.perf_counter(), time.thread_time()
        fn()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    return {"p50_ms": pct(wall, 50), "p95_ms": pct(wall, 95), "cpu_p95_ms": pct(cpu, 95)}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=500)
    ap.add_argument("--offers", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--db", help="SQLite file (default: a temporary one)")
    args = ap.parse_args(argv)

    from core import lessons as engine
    from core.db import open_database
    from core.models import Offer
    from core.schemas.common import Window
    from core.services import catalogue
    from core.services.demo_billing import seed_demo_plans
    from core.services.operators import sign_in

    path = args.db or str(Path(tempfile.mkdtemp()) / "catalogue.db")
    db = open_database(f"sqlite:///{path}")
    ctx = sign_in(db, "bench")
    out: dict = {"products": args.products, "offers": args.offers}
    if catalogue.count_products(ctx) != args.products:
        seed_demo_plans(ctx)
        t = time.perf_counter()
        for doc in document(args.products, args.offers):
            catalogue.import_catalogue(ctx, doc)
        out["import_seconds"] = round(time.perf_counter() - t, 1)
    r = args.rounds
    out["list_products_first_window"] = timed(
        lambda: catalogue.list_products(ctx, "", Window(limit=100)), r)
    out["list_products_search"] = timed(
        lambda: catalogue.list_products(ctx, "ital", Window(limit=100)), r)
    out["count_products_search"] = timed(lambda: catalogue.count_products(ctx, "ital"), r)
    out["list_offers_of_a_product"] = timed(
        lambda: catalogue.list_offers(ctx, "", Window(limit=100), product="p10"), r)
    out["list_offers_payment_search"] = timed(
        lambda: catalogue.list_offers(ctx, "tariff 1", Window(limit=100),
                                      payment="one_time"), r)
    out["count_offers_payment_search"] = timed(
        lambda: catalogue.count_offers(ctx, "tariff 1", payment="one_time"), r)
    out["get_product_300_lessons"] = timed(lambda: catalogue.get_product(ctx, "p0"),
                                           max(10, r // 4))
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)

    def states():
        with db.reading() as session:
            offer = session.query(Offer).filter(Offer.handle == "o0").one()
            t, lessons, _keys = catalogue.offer_template(session, offer)
        engine.lesson_states(lessons, t, start, at=start, tz="Europe/Berlin")

    out["offer_template_and_states_300_lessons"] = timed(states, max(10, r // 4))
    t = time.perf_counter()
    doc = catalogue.export_catalogue(ctx)
    out["export_seconds"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    report = catalogue.import_catalogue(ctx, doc)
    out["reimport_noop_seconds"] = round(time.perf_counter() - t, 2)
    out["reimport_changed"] = len(report.created) + len(report.updated)
    db.dispose()
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
