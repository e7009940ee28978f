"""Groups benchmark (issue 12): the groups list's filters at 100,000 groups with 2,000,000
participants, a group of 10,000 participants opening (windowed), and enrolments under
contention (16 processes on SQLite).

    python benchmarks/groups.py [--groups 100000] [--participants 2000000] [--big 10000]
                                [--contacts 200000] [--rounds 30] [--processes 16]
                                [--seconds 10] [--db PATH]

Prints JSON: `list_p95_ms` per filter (first page + count, as the groups area asks),
`open_big_group_p95_ms` (quota view + first participant window + count), and
`contention`: enrolments per second, refusals and errors ("database is locked" never
reaching a caller is errors == 0). The database is kept at --db and reused when it has the
asked size.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import pct  # noqa: E402

AT = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
CHUNK = 50_000


def _setup_catalogue(ctx) -> tuple[int, int]:
    """A product with a one-time group offer; (product_id, offer_id)."""
    from core.models import Lesson, Offer, Product

    with ctx.db.transaction() as s:
        product = Product(handle="bench-course", name="Bench course", sort_key="bench course",
                          kind="course", lesson_count=1)
        s.add(product)
        s.flush()
        s.add(Lesson(product_id=product.id, key="l1", position=1, title="Lesson 1"))
        offer = Offer(handle="bench-group", product_id=product.id, name="Bench group",
                      sort_key="bench group", payment="one_time", price=1000,
                      currency="EUR", template={"release": "none"}, group_min_seats=1,
                      group_max_seats=100_000)
        s.add(offer)
        s.flush()
        return product.id, offer.id


def _build(ctx, groups: int, participants: int, big: int, contacts: int) -> dict:
    """Bulk rows straight through the DB-API (no purchases: the counters are what lists
    read); one group of `big` participants."""
    from sqlalchemy import insert

    from core.models import Group, GroupMember
    from core.services import demo

    t0 = time.perf_counter()
    demo.generate_contacts(ctx, contacts)
    product_id, offer_id = _setup_catalogue(ctx)
    rng = random.Random(12)
    per_group = max(1, (participants - big) // max(1, groups - 1))
    members_done = 0
    with ctx.db.engine.begin() as conn:
        rows = []
        for gid in range(1, groups + 1):
            n = big if gid == 1 else per_group
            removed = rng.randint(0, 2) if n > 2 else 0
            active = n - removed
            total = n + rng.choice((-1, 0, 0, 1, 2, 5))
            total = max(total, 0)
            rows.append({
                "id": gid, "name": f"Group {gid}", "name_key": f"group {gid}",
                "product_id": product_id, "offer_id": offer_id,
                "leader_id": rng.randint(1, contacts), "leader_takes_seat": False,
                "seats_total": total, "active_count": active, "removed_count": removed,
                "seats_free_open": total - active,
                "seats_free_limited": total - active - removed,
                "live_until": None, "has_open_purchase": True,
                "sub_live_until": (datetime(9000, 1, 1, tzinfo=UTC) if gid % 5 == 0 else
                                   datetime(1970, 1, 1, tzinfo=UTC) if gid % 3 else AT),
                "has_open_sub": gid % 5 == 0,
                "offline_at": None, "created_at": AT, "updated_at": AT, "updated_by": "bench",
                "row_version": 1})
            if len(rows) >= CHUNK:
                conn.execute(insert(Group), rows)
                rows = []
        if rows:
            conn.execute(insert(Group), rows)
        members = []
        for gid in range(1, groups + 1):
            n = big if gid == 1 else per_group
            first = rng.randint(1, max(1, contacts - n))
            for k in range(n):
                members.append({
                    "group_id": gid, "contact_id": first + k, "access_id": None,
                    "status": "active" if k >= 2 else "removed", "is_leader": False,
                    "enrolled_at": AT, "removed_at": None, "seat_freed": None,
                    "created_at": AT, "updated_at": AT, "updated_by": "bench",
                    "row_version": 1})
                if len(members) >= CHUNK:
                    conn.execute(insert(GroupMember), members)
                    members_done += len(members)
                    members = []
        if members:
            conn.execute(insert(GroupMember), members)
            members_done += len(members)
    return {"generated": True, "generate_seconds": round(time.perf_counter() - t0, 1),
            "groups": groups, "participants": members_done}


def _timed(fn, rounds: int) -> tuple[float, float]:
    """(wall p95, CPU p95) in ms: a shared machine's load inflates the wall time."""
    times, cpu = [], []
    for _ in range(rounds):
        t, c = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return pct(times, 95), pct(cpu, 95)


def _enrol_worker(url: str, group_ids: list[int], n: int, seconds: float, barrier, out):
    from core.db import Database
    from core.errors import ValidationFailed
    from core.services import groups
    from core.services.operators import sign_in

    db = Database(url)
    ctx = sign_in(db, "bench")
    ok = refused = errors = 0
    messages: list[str] = []
    barrier.wait(timeout=120)
    end = time.perf_counter() + seconds
    k = 0
    while time.perf_counter() < end:
        k += 1
        try:
            groups.enrol(ctx, group_ids[k % len(group_ids)], f"w{n}-{k}@bench.example",
                         now=AT)
            ok += 1
        except ValidationFailed:
            refused += 1
        except Exception as exc:  # noqa: BLE001 - counted: must stay 0
            errors += 1
            messages.append(f"{type(exc).__name__}: {exc}"[:200])
    db.dispose()
    out.put({"ok": ok, "refused": refused, "errors": errors, "messages": messages[:3]})


def _contention(url: str, ctx, processes: int, seconds: float) -> dict:
    from core.services import groups

    ids = []
    for i in range(4):
        g = groups.create_group(ctx, {"offer": "bench-group", "leader": f"lead{i}@bench.example",
                                      "name": f"Contention {i} {time.time_ns()}",
                                      "seats": 100_000}, now=AT)
        ids.append(g.id)
    # Two nearly full groups: the last seats are raced for as well.
    for i in range(2):
        g = groups.create_group(ctx, {"offer": "bench-group", "leader": f"lead{i}@bench.example",
                                      "name": f"Last seat {i} {time.time_ns()}", "seats": 3},
                                now=AT)
        ids.append(g.id)
    mp = multiprocessing.get_context("fork")
    barrier, out = mp.Barrier(processes), mp.Queue()
    ctx.db.engine.dispose()
    procs = [mp.Process(target=_enrol_worker, args=(url, ids, n, seconds, barrier, out))
             for n in range(processes)]
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 180) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    ok = sum(r["ok"] for r in results)
    return {"processes": processes, "seconds": seconds, "enrolments": ok,
            "enrolments_per_second": round(ok / seconds, 1),
            "refused_no_seat": sum(r["refused"] for r in results),
            "errors": sum(r["errors"] for r in results),
            "error_samples": [m for r in results for m in r["messages"]][:3]}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--groups", type=int, default=100_000)
    ap.add_argument("--participants", type=int, default=2_000_000)
    ap.add_argument("--big", type=int, default=10_000)
    ap.add_argument("--contacts", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--processes", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--db")
    args = ap.parse_args(argv)

    from core.db import open_database
    from core.schemas.common import Window
    from core.services import groups
    from core.services.operators import sign_in

    path = Path(args.db or os.path.join(tempfile.gettempdir(), "kontor-bench-groups.db"))
    url = f"sqlite:///{path}"
    db = open_database(url)
    ctx = sign_in(db, "bench")
    result: dict = {"benchmark": "groups"}
    if groups.count_groups(ctx) < args.groups:
        db.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        db = open_database(url)
        ctx = sign_in(db, "bench")
        result["build"] = _build(ctx, args.groups, args.participants, args.big,
                                 args.contacts)
    else:
        result["build"] = {"generated": False}
    total = groups.count_groups(ctx)
    result["groups"] = total
    leader = groups.list_groups(ctx, window=Window(limit=1))[0].leader_id
    filters = {
        "none": {}, "product": {"product": "bench-course"}, "leader": {"leader": leader},
        "full": {"full": True}, "over_quota": {"over_quota": True},
        "no_live_subscription": {"no_live_subscription": True},
        "product+full": {"product": "bench-course", "full": True},
    }
    window = Window(limit=100)
    p95, cpu = {}, {}
    for name, f in filters.items():
        def run(f=f):
            groups.list_groups(ctx, f, window, at=AT)
            groups.count_groups(ctx, f, at=AT)
        run()
        p95[name], cpu[name] = _timed(run, args.rounds)
    result["list_p95_ms"] = p95
    result["list_cpu_p95_ms"] = cpu
    result["list_p95_ms_max"] = max(p95.values())
    result["list_cpu_p95_ms_max"] = max(cpu.values())
    result["load_average"] = os.getloadavg()[0]

    def open_big():
        groups.get_group(ctx, 1, at=AT)
        groups.list_participants(ctx, 1, Window(limit=100), at=AT)
        groups.count_participants(ctx, 1)

    open_big()
    result["open_big_group_participants"] = groups.count_participants(ctx, 1)
    result["open_big_group_p95_ms"], result["open_big_group_cpu_p95_ms"] = _timed(
        open_big, args.rounds)
    if args.processes > 0:
        result["contention"] = _contention(url, ctx, args.processes, args.seconds)
    db.dispose()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
