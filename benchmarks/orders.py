"""The orders list at scale: open (first window + count) and filter change p95. Prints JSON.

    python benchmarks/orders.py [--db PATH] [--orders 2000000] [--contacts 1000000]
                                [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/kontor_bench_orders]
    python benchmarks/orders.py --small          # 20,000 orders, about a minute

The SQLite file is reused when it already holds the requested number of orders. With
`--pg-url` the same is measured on PostgreSQL (a scratch database of that name is created,
filled and dropped). Orders are generated in bulk by core/services/demo_orders.py (one-time
offers, chunks of 50,000 rows in one transaction each, with line, payment and access).

A shared machine inflates wall times; the CPU time of the process is reported next to them
(PostgreSQL's own work is not in it). What is timed is what the orders area asks for at each step — the service calls, not the
screen: `list_orders` for the first window of 100 rows and `count_orders` for the same filter.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import common  # noqa: E402

PAGE = 100


def _fill(ctx, orders: int, contacts: int) -> dict:
    from core.services import demo
    from core.services.demo_orders import ensure_demo_offers, generate_orders

    t = time.perf_counter()
    demo.generate_contacts(ctx, contacts)
    t1 = time.perf_counter()
    ensure_demo_offers(ctx)
    generate_orders(ctx, orders, recurring=0)
    t2 = time.perf_counter()
    return {"contacts_seconds": round(t1 - t, 1), "orders_seconds": round(t2 - t1, 1),
            "orders_rows_per_second": round(orders / max(t2 - t1, 1e-9))}


def _filters(ctx, rng: random.Random) -> list[tuple[str, dict]]:
    """The filter changes an agent makes: status, product, contact, a month, a number, and
    combinations."""
    from sqlalchemy import func, select

    from core.models import Order, Product

    with ctx.db.reading() as s:
        products = list(s.scalars(select(Product.id).order_by(Product.id)))
        top = s.scalar(select(func.max(Order.number))) or 1
        contact = s.scalar(select(Order.contact_id).where(Order.number == max(1, top // 2)))
    today = date.today()
    month = (today - timedelta(days=200)).replace(day=1)
    out = [("none", {}), ("status=pending", {"status": "pending"}),
           ("status=paid", {"status": "paid"}), ("status=refunded", {"status": "refunded"}),
           ("contact", {"contact_id": contact}),
           ("month", {"date_from": month, "date_to": month + timedelta(days=30)}),
           ("number", {"number": rng.randint(1, top)}),
           ("status+month", {"status": "cancelled", "date_from": month,
                             "date_to": month + timedelta(days=30)})]
    for pid in products[:3]:
        out.append((f"product={pid}", {"product_id": pid}))
        out.append((f"product={pid}+status", {"product_id": pid, "status": "pending"}))
    return out


def measure(url: str, rounds: int) -> dict:
    from core.db import open_database
    from core.schemas.common import Window
    from core.services import orders
    from core.services.operators import sign_in

    db = open_database(url)
    ctx = sign_in(db, "bench")
    rng = random.Random(5)
    filters = _filters(ctx, rng)
    for _name, f in filters:  # warm the caches once, as a running console would have them
        orders.list_orders(ctx, f, Window(limit=PAGE))
        orders.count_orders(ctx, f)
    page, count, both, per, cpu = [], [], [], {}, []
    deep = []
    for _ in range(rounds):
        for name, f in filters:
            c = time.process_time()
            t = time.perf_counter()
            rows = orders.list_orders(ctx, f, Window(limit=PAGE))
            t1 = time.perf_counter()
            orders.count_orders(ctx, f)
            t2 = time.perf_counter()
            cpu.append((time.process_time() - c) * 1000)
            page.append((t1 - t) * 1000)
            count.append((t2 - t1) * 1000)
            both.append((t2 - t) * 1000)
            per.setdefault(name, []).append((t2 - t) * 1000)
            if rows:  # scrolling on: the next window by keyset
                t = time.perf_counter()
                orders.list_orders(ctx, f, Window(after=rows[-1].key, limit=PAGE))
                deep.append((time.perf_counter() - t) * 1000)
    total = orders.count_orders(ctx, {})
    db.dispose()
    return {"orders": total, "samples": len(both),
            # A filter change draws the first window at once; the count follows it (the
            # status line says "Counting…" meanwhile, as everywhere in Kontor).
            "filter_change_ms_p50": common.pct(page, 50),
            "filter_change_ms_p95": common.pct(page, 95),
            "count_ms_p95": common.pct(count, 95),
            "window_and_count_ms_p95": common.pct(both, 95),
            # CPU time of this process: a shared machine's load inflates the wall time.
            "filter_change_cpu_ms_p95": common.pct(cpu, 95),
            "next_window_ms_p95": common.pct(deep, 95) if deep else None,
            "per_filter_ms_max": {k: round(max(v), 2) for k, v in per.items()}}


def sqlite_run(path: Path, n: int, contacts: int, rounds: int) -> dict:
    from core.services import orders

    built = common.ensure_database(path, n, "orders", orders.count_orders,
                                   lambda ctx, count: _fill(ctx, count, contacts))
    t = time.perf_counter()
    out = measure(f"sqlite:///{path}", rounds)
    out.update(built, database="sqlite", measure_seconds=round(time.perf_counter() - t, 1),
               sqlite_file_mb=round(os.path.getsize(path) / 2**20, 1))
    return out


def pg_run(url: str, n: int, contacts: int, rounds: int) -> dict:
    from benchmarks.billing_run import _pg_database
    from core.db import open_database
    from core.services.operators import sign_in

    _pg_database(url, create=True)
    try:
        db = open_database(url)
        t = time.perf_counter()
        fill = _fill(sign_in(db, "bench"), n, contacts)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        db.dispose()
        fill["generate_seconds"] = round(time.perf_counter() - t, 1)
        out = measure(url, rounds)
        out.update(fill, database="postgresql")
        return out
    finally:
        _pg_database(url, create=False)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", help="SQLite file (kept and reused; default a temporary one)")
    p.add_argument("--orders", type=int)
    p.add_argument("--contacts", type=int)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--small", action="store_true", help="20,000 orders (about a minute)")
    p.add_argument("--pg-url", help="also on PostgreSQL: a scratch database URL")
    p.add_argument("--no-sqlite", action="store_true")
    args = p.parse_args(argv)
    n = args.orders or (20_000 if args.small else 2_000_000)
    contacts = args.contacts or (5_000 if args.small else min(1_000_000, max(1, n // 2)))
    result = {"benchmark": "orders", "orders_requested": n, "contacts": contacts,
              "page": PAGE, "targets": {"filter_change_ms_p95": 30}}
    if not args.no_sqlite:
        if args.db:
            result["sqlite"] = sqlite_run(Path(args.db), n, contacts, args.rounds)
        else:
            with tempfile.TemporaryDirectory(prefix="kontor-bench-") as tmp:
                result["sqlite"] = sqlite_run(Path(tmp) / "orders.db", n, contacts,
                                              args.rounds)
    if args.pg_url:
        result["postgresql"] = pg_run(args.pg_url, n, contacts, args.rounds)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
