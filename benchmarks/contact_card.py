"""The contact card with all its tabs at scale: the service time of every tab's load. Prints JSON.

    python benchmarks/contact_card.py [--db PATH] [--contacts 1000000] [--orders 2000000]
                                      [--cards 200]

Builds (once, reused) a SQLite database of `--contacts` contacts and `--orders` orders with
their accesses (the demo catalogue: up to 300 lessons a product), then opens `--cards` cards of
contacts that have orders, calling what the card's tabs call (Overview, Products, Orders,
Subscriptions, Groups, History) one after the other, as the card does. Reports p50/p95 of the
whole card, wall and CPU (the machine is shared: CPU time is what the card costs), and the
slowest tab. Target (issue 10): card ≤ 30 ms. A copy of benchmarks/contacts.py's database
(1,000,000 contacts, no orders) gets only the orders; KONTOR_BENCH_OPERATOR names its admin
(default `bench`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import common  # noqa: E402


def _fill(ctx, contacts: int, orders: int) -> None:
    from core.services import demo
    from core.services.demo_orders import ensure_demo_offers, generate_orders

    if contacts:
        demo.generate_contacts(ctx, contacts)
    ensure_demo_offers(ctx)
    generate_orders(ctx, orders, recurring=0)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--db", default=os.environ.get("KONTOR_BENCH_CARD_DB",
                                                 "/tmp/kontor-bench-card.db"))
    p.add_argument("--contacts", type=int, default=1_000_000)
    p.add_argument("--orders", type=int, default=2_000_000)
    p.add_argument("--cards", type=int, default=200)
    args = p.parse_args()

    from sqlalchemy import func, select

    from core.db import open_database
    from core.models import Contact, Order
    from core.services import access_status, accesses, contacts, groups, orders, subscriptions
    from core.services.operators import sign_in

    path = Path(args.db)
    db = open_database(f"sqlite:///{path}")
    ctx = sign_in(db, os.environ.get("KONTOR_BENCH_OPERATOR", "bench"))
    with db.reading() as s:
        have = s.scalar(select(func.count()).select_from(Order))
        people = s.scalar(select(func.count()).select_from(Contact))
    built = None
    if have == 0 and people == args.contacts:  # e.g. a copy of benchmarks/contacts.py's file
        t = time.perf_counter()
        _fill(ctx, 0, args.orders)
        built = round(time.perf_counter() - t, 1)
    elif have != args.orders:
        db.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        db = open_database(f"sqlite:///{path}")
        ctx = sign_in(db, os.environ.get("KONTOR_BENCH_OPERATOR", "bench"))
        t = time.perf_counter()
        _fill(ctx, args.contacts, args.orders)
        built = round(time.perf_counter() - t, 1)
    with db.reading() as s:
        top = s.scalar(select(func.max(Order.id)))
    rng = random.Random(7)
    tabs = {
        "overview": lambda cid: contacts.get_contact(ctx, cid),
        "products": lambda cid: accesses.list_accesses(ctx, cid),
        "orders": lambda cid: orders.contact_orders(ctx, cid),
        "subscriptions": lambda cid: subscriptions.list_subscriptions(ctx, contact_id=cid),
        "groups": lambda cid: groups.groups_of_contact(ctx, cid),
        "history": lambda cid: access_status.contact_history(ctx, cid),
    }
    walls, cpus, per_tab = [], [], {k: [] for k in tabs}
    for i in range(args.cards + 5):
        with db.reading() as s:
            cid = s.scalar(select(Order.contact_id).where(Order.id == rng.randint(1, top)))
        w0, c0 = time.perf_counter(), time.process_time()
        for name, call in tabs.items():
            t = time.perf_counter()
            call(cid)
            if i >= 5:
                per_tab[name].append((time.perf_counter() - t) * 1000)
        if i >= 5:  # the first cards warm the caches
            walls.append((time.perf_counter() - w0) * 1000)
            cpus.append((time.process_time() - c0) * 1000)
    db.dispose()
    out = {"benchmark": "contact_card", "db": str(path), "contacts": args.contacts,
           "orders": args.orders, "cards": args.cards, "built_seconds": built,
           "card_wall_ms": {"p50": common.pct(walls, 50), "p95": common.pct(walls, 95)},
           "card_cpu_ms": {"p50": common.pct(cpus, 50), "p95": common.pct(cpus, 95)},
           "tab_wall_p95_ms": {k: common.pct(v, 95) for k, v in per_tab.items()},
           "target_ms": 30, "load_average": list(os.getloadavg())}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
