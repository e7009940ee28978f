"""Access status at scale (issue 11): prints one JSON object.

On a SQLite database of `--contacts` contacts with `--accesses` accesses (a tenth of them
pending cancellation within 60 days, a twentieth expiring), measures

* the pending-cancellations list: first window (50 rows) and its count, unfiltered and
  filtered by product (p50/p95 over `--rounds`);
* the status computation of a card with 200 accesses (`contact_statuses`, p50/p95);
* a bulk cancel and a bulk set-end of 1,000 accesses (one transaction each, with their
  1,000 audit records), seconds and CPU seconds.

The issue's targets: list open and filter p95 ≤ 30 ms, card ≤ 20 ms, bulk cancel ≤ 2 s.
Full size (the issue's): --contacts 1000000 --accesses 2000000 (builds a ~1 GB file once,
reused while the counts match).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import pct  # noqa: E402

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
PRODUCTS = 50
BATCH = 20_000


def _iso(d: datetime) -> str:
    return d.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def build(path: Path, contacts: int, accesses: int) -> dict:
    """Fill a fresh migrated file through the DB-API (the services would take hours)."""
    from core.db import open_database
    from core.services.operators import sign_in

    db = open_database(f"sqlite:///{path}")
    sign_in(db, "bench")
    db.dispose()
    import sqlite3

    started = time.perf_counter()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    rnd = random.Random(11)
    now = _iso(NOW)
    con.executemany(
        "INSERT INTO products (id, handle, name, sort_key, kind, description, is_bundle, "
        "lesson_count, created_at, updated_at, updated_by, row_version) "
        "VALUES (?, ?, ?, ?, 'course', '', 0, 10, ?, ?, 'bench', 1)",
        [(i, f"p{i}", f"Product {i}", f"product {i:03d}", now, now)
         for i in range(1, PRODUCTS + 1)])
    con.executemany(
        "INSERT INTO offers (id, handle, product_id, name, sort_key, payment, price, currency, "
        "template, created_at, updated_at, updated_by, row_version) "
        "VALUES (?, ?, ?, ?, ?, 'one_time', 4900, 'EUR', '{}', ?, ?, 'bench', 1)",
        [(i, f"o{i}", i, f"Offer {i}", f"offer {i:03d}", now, now)
         for i in range(1, PRODUCTS + 1)])
    for start in range(1, contacts + 1, BATCH):
        rows = [(i, f"Contact {i}", f"contact {i:07d}", f"c{i}@example.org",
                 f"c{i}@example.org", f"contact {i} c{i}@example.org", now, now)
                for i in range(start, min(start + BATCH, contacts + 1))]
        con.executemany(
            "INSERT INTO contacts (id, name, sort_key, email, email_key, phone, language, "
            "tags, notes, search_doc, created_at, updated_at, updated_by, row_version) "
            "VALUES (?, ?, ?, ?, ?, '', 'de', '[]', '', ?, ?, ?, 'bench', 1)", rows)
    started_at = _iso(NOW - timedelta(days=200))
    # contact 1 holds 200 accesses (the card measured); the rest are spread at random
    for start in range(1, accesses + 1, BATCH):
        rows = []
        for i in range(start, min(start + BATCH, accesses + 1)):
            cid = 1 if i <= 200 else rnd.randint(2, contacts)
            pid = rnd.randint(1, PRODUCTS)
            r = rnd.random()
            pending = ends = None
            status = "active"
            if r < 0.10:
                pending = _iso(NOW + timedelta(minutes=rnd.randint(1, 60 * 24 * 60)))
                status = "pending_cancellation"
            elif r < 0.15:
                ends = _iso(NOW + timedelta(minutes=rnd.randint(1, 60 * 24 * 60)))
            rows.append((i, cid, pid, pid, started_at, ends, pending, status, now, now))
        con.executemany(
            "INSERT INTO accesses (id, contact_id, product_id, offer_id, starts_at, ends_at, "
            "pending_cancellation_at, status, individual, pauses, accepted, created_at, "
            "updated_at, updated_by, row_version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, '[]', '[]', ?, ?, 'bench', 1)", rows)
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return {"generated": True, "generate_seconds": round(time.perf_counter() - started, 1)}


def timed(fn, rounds: int) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for _ in range(rounds):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--contacts", type=int, default=1_000_000)
    p.add_argument("--accesses", type=int, default=2_000_000)
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--db", help="SQLite file (reused while its counts match)")
    args = p.parse_args(argv)

    from sqlalchemy import func, select

    from core.db import open_database
    from core.models import Access, Contact
    from core.schemas.common import Window
    from core.services import access_status as st
    from core.services.operators import sign_in

    path = Path(args.db or os.path.join(tempfile.gettempdir(),
                                        f"kontor-access-{args.accesses}.db"))
    info: dict = {"generated": False}
    if path.exists():
        db = open_database(f"sqlite:///{path}")
        with db.reading() as s:
            ok = (s.scalar(select(func.count()).select_from(Contact)) == args.contacts and
                  s.scalar(select(func.count()).select_from(Access)) == args.accesses)
        db.dispose()
        if not ok:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    if not path.exists():
        info = build(path, args.contacts, args.accesses)
    db = open_database(f"sqlite:///{path}")
    ctx = sign_in(db, "bench")
    out = {"benchmark": "access_bulk", "contacts": args.contacts, "accesses": args.accesses,
           **info}

    def pending_open():
        st.follow_up(ctx, "pending", within_days=30, at=NOW, window=Window(limit=50))
        st.count_follow_up(ctx, "pending", within_days=30, at=NOW)

    def pending_filtered():
        st.follow_up(ctx, "pending", within_days=30, at=NOW, product_id=7,
                     window=Window(limit=50))
        st.count_follow_up(ctx, "pending", within_days=30, at=NOW, product_id=7)

    def card():
        rows = st.contact_statuses(ctx, 1, at=NOW)
        assert len(rows) >= 200

    for name, fn in (("pending_list_open", pending_open),
                     ("pending_list_filter_product", pending_filtered),
                     ("card_200_statuses", card)):
        fn()  # warm
        wall, cpu = timed(fn, args.rounds)
        out[name] = {"p50_ms": pct(wall, 50), "p95_ms": pct(wall, 95),
                     "cpu_p50_ms": pct(cpu, 50), "cpu_p95_ms": pct(cpu, 95)}

    with db.reading() as s:
        active = list(s.scalars(select(Access.id).where(Access.status == "active",
                                                        Access.ends_at.is_(None),
                                                        Access.id > 200)
                                .order_by(Access.id.desc()).limit(2000)))
    cancel_ids, end_ids = active[:1000], active[1000:2000]
    for name, fn in (
            ("bulk_cancel_1000", lambda: st.bulk(ctx, "cancel", cancel_ids, at=NOW, now=NOW)),
            ("bulk_set_end_1000", lambda: st.bulk(ctx, "set_end", end_ids,
                                                  end=NOW + timedelta(days=20), at=NOW,
                                                  now=NOW))):
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        out[name] = {"seconds": round(time.perf_counter() - t, 3),
                     "cpu_seconds": round(time.process_time() - c, 3), "done": result.done}
    # put them back so the file can be reused for the next run
    with db.transaction() as s:
        s.query(Access).filter(Access.id.in_(cancel_ids + end_ids)).update(
            {"status": "active", "cancelled_at": None, "pending_cancellation_at": None,
             "ends_at": None, "end_reason": None}, synchronize_session=False)
    out["targets"] = {"list_p95_ms": 30, "card_ms": 20, "bulk_cancel_s": 2}
    try:
        out["load"] = os.getloadavg()[0]
    except OSError:
        pass
    db.dispose()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
