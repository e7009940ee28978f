"""Billing-run benchmark: N monthly subscriptions (mixed schedule types) billed for one month.

    python benchmarks/billing_run.py [--subscriptions 1000000] [--chunk 2000] [--keep PATH]
                                     [--worker auto|on|off] [--no-fast-path]

Prints JSON: periods invoiced, seconds, periods per second and peak RSS. The database is built
in one child process (bulk inserts straight through the DB-API) and the run executes in
another, so the RSS measured is the run's alone: `run_process_rss_mb` is the run's process,
`worker_rss_mb` its worker process (RUSAGE_CHILDREN of the run; 0 without a worker),
`peak_rss_mb` the larger of the two (max per process) and `peak_rss_sum_mb` their sum (an
upper bound of both together). `--no-fast-path` bills every subscription through the
engine's general path (for comparison).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
PLANS = [
    {"handle": "monthly-start", "name": "Monthly", "amount": 1990,
     "schedule_type": "month_startdate", "vat": "0.19"},
    {"handle": "monthly-1st", "name": "Monthly on the 1st", "amount": 2990,
     "schedule_type": "month_fixedday", "schedule_fixed_day": 1, "vat": "0.19"},
    {"handle": "monthly-15th", "name": "Monthly on the 15th", "amount": 4900,
     "schedule_type": "month_fixedday", "schedule_fixed_day": 15, "vat": "0.07",
     "amount_incl_vat": False},
    {"handle": "monthly-last", "name": "Monthly on the last day", "amount": 990,
     "schedule_type": "month_lastday", "vat": "0.19"},
]
RUN_UNTIL = date(2026, 6, 30)  # bills June; setup bills everything up to May 31
SETUP_UNTIL = date(2026, 5, 31)


def setup(path: str, n: int) -> None:
    """Migrated SQLite db with plans, n/10 contacts and n subscriptions billed up to May."""
    from core.billing import bill_until, start_subscription, until_moment
    from core.db import open_database
    from core.services import plans
    from core.services.billing_run import state_columns
    from core.services.operators import sign_in

    db = open_database(f"sqlite:///{path}")
    ctx = sign_in(db, "bench")
    created = [plans.create_plan(ctx, p, now=datetime(2026, 1, 1, tzinfo=BERLIN)) for p in PLANS]
    terms = [plans.to_terms(p) for p in created]
    upto = until_moment(SETUP_UNTIL, "Europe/Berlin")
    now = datetime(2026, 5, 31, 12, tzinfo=BERLIN)
    # A subscription's state depends only on (plan, start): compute each combination once.
    starts = [datetime(2026, 5, 1, tzinfo=BERLIN) + timedelta(days=d, hours=h)
              for d in range(31) for h in (0, 9, 14, 20)]
    combos = {}
    for pi, t in enumerate(terms):
        for si, start in enumerate(starts):
            state = start_subscription(t, start)
            invoices, state = bill_until(t, state, upto)
            cols = state_columns(t, state, upto)
            combos[pi, si] = (json.dumps(cols["billing_state"]), cols, len(invoices),
                              start)
    ts = "%Y-%m-%d %H:%M:%S.%f"

    def fmt(dt):
        return None if dt is None else dt.astimezone(tz=None).astimezone(
            __import__("datetime").timezone.utc).strftime(ts)

    raw = db.engine.raw_connection()
    cur = raw.cursor()
    cur.execute("PRAGMA cache_size=-500000")
    contacts = max(1, n // 10)
    stamp = fmt(now)
    cur.execute("DROP TRIGGER contacts_fts_ai")  # demo contacts need no search index here
    for start in range(0, contacts, 50_000):
        rows = [(f"Contact {i}", f"contact {i}", f"c{i}@example.org", f"c{i}@example.org", "",
                 "", "[]", "", "", stamp, stamp, "bench", 1)
                for i in range(start, min(contacts, start + 50_000))]
        cur.executemany(
            "INSERT INTO contacts (name, sort_key, email, email_key, phone, language, tags, "
            "notes, search_doc, created_at, updated_at, updated_by, version) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    rnd = random.Random(42)
    sql = ("INSERT INTO subscriptions (contact_id, plan_id, state, quantity, amount, start, "
           "timezone, billing_state, next_billing_at, current_period_start, "
           "current_period_end, expires, expire_reason, cancelled_at, on_hold_at, "
           "pending_plan_id, pending_change_at, invoice_count, created_at, updated_at, "
           "updated_by, row_version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
    for start in range(0, n, 50_000):
        rows = []
        for i in range(start, min(n, start + 50_000)):
            pi, si = rnd.randrange(len(terms)), rnd.randrange(len(starts))
            state_json, cols, count, st = combos[pi, si]
            rows.append((i % contacts + 1, created[pi].id, cols["state"], 1, None, fmt(st),
                         "Europe/Berlin", state_json, fmt(cols["next_billing_at"]),
                         fmt(cols["current_period_start"]), fmt(cols["current_period_end"]),
                         None, None, None, None, None, None, count, stamp, stamp, "bench", 1))
        cur.executemany(sql, rows)
        raw.commit()
    cur.execute("ANALYZE")
    raw.commit()
    raw.close()
    db.dispose()


def run(path: str, chunk: int, worker: bool | None, fast: bool) -> dict:
    from core.db import open_database
    from core.services.billing_run import run_billing
    from core.services.operators import sign_in

    db = open_database(f"sqlite:///{path}")
    ctx = sign_in(db, "bench")
    t0 = time.perf_counter()
    summary = run_billing(ctx, RUN_UNTIL, chunk=chunk, worker=worker, fast=fast)
    seconds = time.perf_counter() - t0
    again = run_billing(ctx, RUN_UNTIL, chunk=chunk, worker=worker, fast=fast)
    db.dispose()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"periods": summary.periods, "invoices": summary.invoices,
            "subscriptions": summary.subscriptions, "seconds": round(seconds, 2),
            "periods_per_second": round(summary.periods / seconds),
            "second_run_invoices": again.invoices,
            "peak_rss_mb": round(max(own, worker_rss), 1),
            "run_process_rss_mb": round(own, 1), "worker_rss_mb": round(worker_rss, 1),
            "peak_rss_sum_mb": round(own + worker_rss, 1)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscriptions", type=int, default=1_000_000)
    ap.add_argument("--chunk", type=int, default=2000)
    ap.add_argument("--keep", help="build the database at this path and keep it")
    ap.add_argument("--worker", choices=("auto", "on", "off"), default="auto",
                    help="compute chunks in a worker process (auto: by the run's size)")
    ap.add_argument("--no-fast-path", action="store_true",
                    help="bill everything through the engine's general path")
    ap.add_argument("--_setup", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--_run", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._setup:
        setup(args._setup[0], int(args._setup[1]))
        return 0
    if args._run:
        worker = {"auto": None, "on": True, "off": False}[args.worker]
        print(json.dumps(run(args._run, args.chunk, worker, not args.no_fast_path)))
        return 0
    tmp = None if args.keep else tempfile.mkdtemp(prefix="kontor-bench-")
    path = args.keep or os.path.join(tmp, "bench.db")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--_setup", path, str(args.subscriptions)],
                   check=True)
    setup_seconds = time.perf_counter() - t0
    out = subprocess.run([sys.executable, __file__, "--_run", path, "--chunk", str(args.chunk),
                          "--worker", args.worker]
                         + (["--no-fast-path"] if args.no_fast_path else []),
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result.update(setup_seconds=round(setup_seconds, 1), chunk=args.chunk,
                  worker=args.worker, fast_path=not args.no_fast_path,
                  sqlite_file_mb=round(os.path.getsize(path) / 2**20, 1))
    print(json.dumps(result, indent=2))
    if tmp is not None:
        for f in os.listdir(tmp):
            os.remove(os.path.join(tmp, f))
        os.rmdir(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
