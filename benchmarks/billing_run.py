"""Billing-run benchmark: N monthly subscriptions (mixed schedule types) billed for one month.

    python benchmarks/billing_run.py [--subscriptions 1000000] [--chunk 2000] [--keep PATH]
                                     [--worker auto|on|off] [--no-fast-path]
                                     [--population plain|general|mixed]
                                     [--compare [--repeat 3]] [--db-url URL]

Prints JSON: periods invoiced, seconds, periods per second and peak RSS. The database is built
in one child process (bulk inserts straight through the DB-API) and the run executes in
another, so the RSS measured is the run's alone: `run_process_rss_mb` is the run's process,
`worker_rss_mb` its worker process (RUSAGE_CHILDREN of the run; 0 without a worker),
`peak_rss_mb` the larger of the two (max per process) and `peak_rss_sum_mb` their sum (an
upper bound of both together). `--no-fast-path` bills every subscription through the
engine's general path (for comparison).

Populations (each subscription bills one month, June, in the run):
- `plain` (default): renewing plans, the four monthly schedule types;
- `general`: in equal shares, a fixed_count plan (12 periods, not yet reached), a contract
  plan ending at the contract term (`subscription_duration` contract_end), a renewing
  contract plan with a month's notice cancelled in May (pending until its term end), a plan
  with three periods' notice cancelled in May (pending until September), and a plan whose
  new version (for new and existing subscribers, published May 31) moves each subscriber at
  its next period start and bills June at the new price;
- `mixed`: half plain, half general.

`--compare` builds a plain and a general database and runs them alternately `--repeat`
times, printing every run, the medians, `ratio_general_to_plain` (of the median periods per
second) and `pair_ratios` / `median_pair_ratio` (each general run over the plain run just
before it, which a shared machine's changing load disturbs less). `--db-url postgresql+psycopg://postgres@127.0.0.1:5432/kontor_bench_h4` runs on
PostgreSQL: that database is created (dropped first if it exists) for each run and dropped
afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
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
# The general population: (plan, what happens to its subscribers in May).
GENERAL_PLANS = [
    ({"handle": "fixed-12", "name": "Twelve months", "amount": 1990,
      "schedule_type": "month_startdate", "vat": "0.19", "fixed_count": 12}, None),
    ({"handle": "contract-end", "name": "Twelve-month contract", "amount": 2990,
      "schedule_type": "month_fixedday", "schedule_fixed_day": 1, "vat": "0.19",
      "contract_period_length": 12, "contract_period_unit": "months",
      "subscription_duration": "contract_end"}, None),
    ({"handle": "contract-renew", "name": "Contract, renewing", "amount": 4900,
      "schedule_type": "month_fixedday", "schedule_fixed_day": 15, "vat": "0.07",
      "amount_incl_vat": False, "contract_period_length": 12,
      "contract_period_unit": "months", "notice_period_length": 1,
      "notice_period_unit": "months"}, "cancel"),
    ({"handle": "notice-3", "name": "Three periods' notice", "amount": 990,
      "schedule_type": "month_lastday", "vat": "0.19", "notice_periods": 3}, "cancel"),
    ({"handle": "new-price", "name": "Monthly, new price", "amount": 1490,
      "schedule_type": "month_startdate", "vat": "0.19"}, "version"),
]
NEW_VERSION = {"amount": 1790}
RUN_UNTIL = date(2026, 6, 30)  # bills June; setup bills everything up to May 31
SETUP_UNTIL = date(2026, 5, 31)
PUBLISHED = datetime(2026, 5, 31, 12, tzinfo=BERLIN)  # the new version (general population)


def _kinds(ctx, population: str) -> list[tuple]:
    """The subscription kinds of a population: (plan id, terms, event, new plan id, terms)."""
    from core.services import plans

    created = datetime(2026, 1, 1, tzinfo=BERLIN)
    kinds = []
    if population in ("plain", "mixed"):
        for p in PLANS:
            out = plans.create_plan(ctx, p, now=created)
            kinds.append((out.id, plans.to_terms(out), None, None, None))
    if population in ("general", "mixed"):
        for p, event in GENERAL_PLANS:
            out = plans.create_plan(ctx, p, now=created)
            new = None
            if event == "version":
                new = plans.create_plan_version(ctx, p["handle"], NEW_VERSION,
                                                scope="new_and_existing", now=PUBLISHED,
                                                expected_row_version=plans.get_plan(
                                                    ctx, p["handle"]).row_version).plan
            kinds.append((out.id, plans.to_terms(out), event, new and new.id,
                          new and plans.to_terms(new)))
    if population == "mixed":  # half plain, half general
        plain, general = kinds[:len(PLANS)], kinds[len(PLANS):]
        kinds = plain * len(general) + general * len(plain)
    return kinds


def setup(url: str, n: int, population: str = "plain") -> None:
    """Migrated db with plans, n/10 contacts and n subscriptions billed up to May."""
    from core.billing import bill_until, cancel, start_subscription, until_moment, version_switch_at
    from core.db import open_database
    from core.services.billing_run import state_columns
    from core.services.operators import sign_in

    db = open_database(url)
    ctx = sign_in(db, "bench")
    kinds = _kinds(ctx, population)
    upto = until_moment(SETUP_UNTIL, "Europe/Berlin")
    now = datetime(2026, 5, 31, 12, tzinfo=BERLIN)
    # A subscription's state depends only on (kind, start): compute each combination once.
    starts = [datetime(2026, 5, 1, tzinfo=BERLIN) + timedelta(days=d, hours=h)
              for d in range(31) for h in (0, 9, 14, 20)]
    combos = {}
    for pi, (plan_id, t, event, new_id, _new) in enumerate(kinds):
        for si, start in enumerate(starts):
            state = start_subscription(t, start)
            invoices, state = bill_until(t, state, upto)
            pending = (None, None)
            if event == "cancel":
                state = cancel(t, state, start + timedelta(hours=1))
            elif event == "version":
                pending = (new_id, version_switch_at(t, state, max(PUBLISHED, start)))
            cols = state_columns(t, state, upto)
            combos[pi, si] = (json.dumps(cols["billing_state"]), cols, len(invoices),
                              start, plan_id, pending)
    if db.dialect != "sqlite":
        _insert_generic(db, n, now, starts, kinds, combos)
        db.dispose()
        return
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
            "notes, search_doc, created_at, updated_at, updated_by, row_version) "
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
            pi, si = rnd.randrange(len(kinds)), rnd.randrange(len(starts))
            state_json, cols, count, st, plan_id, (pending_id, pending_at) = combos[pi, si]
            rows.append((i % contacts + 1, plan_id, cols["state"], 1, None, fmt(st),
                         "Europe/Berlin", state_json, fmt(cols["next_billing_at"]),
                         fmt(cols["current_period_start"]), fmt(cols["current_period_end"]),
                         fmt(cols["expires"]), cols["expire_reason"], fmt(cols["cancelled_at"]),
                         None, pending_id, fmt(pending_at), count, stamp, stamp, "bench", 1))
        cur.executemany(sql, rows)
        raw.commit()
    cur.execute("ANALYZE")
    raw.commit()
    raw.close()
    db.dispose()


def _insert_generic(db, n: int, now: datetime, starts: list, kinds: list,
                    combos: dict) -> None:
    """The same rows through SQLAlchemy Core (PostgreSQL): contacts, then subscriptions."""
    from sqlalchemy import insert

    from core.models import Contact, Subscription

    contacts = max(1, n // 10)
    with db.engine.begin() as conn:
        for start in range(0, contacts, 10_000):
            conn.execute(insert(Contact.__table__), [
                {"name": f"Contact {i}", "sort_key": f"contact {i}",
                 "email": f"c{i}@example.org", "email_key": f"c{i}@example.org", "phone": "",
                 "language": "", "tags": [], "notes": "", "search_doc": "",
                 "created_at": now, "updated_at": now, "updated_by": "bench", "row_version": 1}
                for i in range(start, min(contacts, start + 10_000))])
        first = conn.execute(Contact.__table__.select().with_only_columns(
            Contact.__table__.c.id).order_by(Contact.__table__.c.id).limit(1)).scalar()
    rnd = random.Random(42)
    for start in range(0, n, 10_000):
        rows = []
        for i in range(start, min(n, start + 10_000)):
            pi, si = rnd.randrange(len(kinds)), rnd.randrange(len(starts))
            _json, cols, count, st, plan_id, (pending_id, pending_at) = combos[pi, si]
            rows.append({
                "contact_id": first + i % contacts, "plan_id": plan_id, "state": cols["state"],
                "quantity": 1, "amount": None, "start": st, "timezone": "Europe/Berlin",
                "billing_state": cols["billing_state"],
                "next_billing_at": cols["next_billing_at"],
                "current_period_start": cols["current_period_start"],
                "current_period_end": cols["current_period_end"], "expires": cols["expires"],
                "expire_reason": cols["expire_reason"], "cancelled_at": cols["cancelled_at"],
                "on_hold_at": None, "pending_plan_id": pending_id,
                "pending_change_at": pending_at, "invoice_count": count, "created_at": now,
                "updated_at": now, "updated_by": "bench", "row_version": 1})
        with db.engine.begin() as conn:
            conn.execute(insert(Subscription.__table__), rows)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def _url(target: str) -> str:
    return target if "://" in target else f"sqlite:///{target}"


def run(path: str, chunk: int, worker: bool | None, fast: bool) -> dict:
    from core.db import open_database
    from core.services.billing_run import run_billing
    from core.services.operators import sign_in

    db = open_database(_url(path))
    ctx = sign_in(db, "bench")
    t0 = time.perf_counter()
    summary = run_billing(ctx, RUN_UNTIL, chunk=chunk, worker=worker, fast=fast)
    seconds = time.perf_counter() - t0
    again = run_billing(ctx, RUN_UNTIL, chunk=chunk, worker=worker, fast=fast)
    db.dispose()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"periods": summary.periods, "invoices": summary.invoices,
            "subscriptions": summary.subscriptions, "version_moves": summary.version_moves,
            "seconds": round(seconds, 2),
            "periods_per_second": round(summary.periods / seconds),
            "second_run_invoices": again.invoices,
            "peak_rss_mb": round(max(own, worker_rss), 1),
            "run_process_rss_mb": round(own, 1), "worker_rss_mb": round(worker_rss, 1),
            "peak_rss_sum_mb": round(own + worker_rss, 1)}


def _pg_database(url: str, create: bool) -> None:
    """Drop the scratch database of `url` (and create it afresh when `create`)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    target = make_url(url)
    name = target.database
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"--db-url: a plain database name is needed, not {name!r}")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if create:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()


def _one(args, population: str, template: str | None) -> dict:
    """Build (or copy) a database of `population`, run the billing on it, return the JSON."""
    tmp = None
    if args.db_url:
        target = args.db_url
        _pg_database(target, create=True)
    elif args.keep and template is None:
        target = args.keep
    else:
        tmp = tempfile.mkdtemp(prefix="kontor-bench-")
        target = os.path.join(tmp, "bench.db")
    setup_seconds = 0.0
    try:
        if template is not None and not args.db_url:
            shutil.copy(template, target)
            os.sync()  # the copy on disk first: its write-back would slow the run down
        else:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--_setup", target,
                            str(args.subscriptions), "--population", population], check=True)
            setup_seconds = time.perf_counter() - t0
        out = subprocess.run([sys.executable, __file__, "--_run", target, "--chunk",
                              str(args.chunk), "--worker", args.worker]
                             + (["--no-fast-path"] if args.no_fast_path else []),
                             check=True, stdout=subprocess.PIPE, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        result.update(setup_seconds=round(setup_seconds, 1), chunk=args.chunk,
                      worker=args.worker, fast_path=not args.no_fast_path,
                      population=population)
        if args.db_url:
            result["database"] = "postgresql"
        else:
            result.update(database="sqlite",
                          sqlite_file_mb=round(os.path.getsize(target) / 2**20, 1))
        return result
    finally:
        if args.db_url:
            _pg_database(target, create=False)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _compare(args) -> dict:
    """Plain and general side by side, alternately, `--repeat` times each."""
    templates, tmp = {}, None
    if not args.db_url:  # build each population once; every run bills a fresh copy
        tmp = tempfile.mkdtemp(prefix="kontor-bench-")
        for population in ("plain", "general"):
            templates[population] = os.path.join(tmp, f"{population}.db")
            subprocess.run([sys.executable, __file__, "--_setup", templates[population],
                            str(args.subscriptions), "--population", population], check=True)
    try:
        runs: dict[str, list[dict]] = {"plain": [], "general": []}
        for _ in range(args.repeat):
            for population in ("plain", "general"):
                runs[population].append(_one(args, population, templates.get(population)))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    medians = {p: statistics.median(r["periods_per_second"] for r in rs)
               for p, rs in runs.items()}
    # Each general run against the plain run just before it: robust to the load changing.
    pairs = [round(g["periods_per_second"] / p["periods_per_second"], 3)
             for p, g in zip(runs["plain"], runs["general"], strict=True)]
    return {"compare": True, "database": "postgresql" if args.db_url else "sqlite",
            "subscriptions": args.subscriptions, "repeat": args.repeat,
            "periods_per_second": {p: [r["periods_per_second"] for r in rs]
                                   for p, rs in runs.items()},
            "median_periods_per_second": medians,
            "ratio_general_to_plain": round(medians["general"] / medians["plain"], 3),
            "pair_ratios": pairs, "median_pair_ratio": statistics.median(pairs),
            "runs": runs}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscriptions", type=int, default=1_000_000)
    ap.add_argument("--chunk", type=int, default=2000)
    ap.add_argument("--keep", help="build the database at this path and keep it")
    ap.add_argument("--worker", choices=("auto", "on", "off"), default="auto",
                    help="compute chunks in a worker process (auto: by the run's size)")
    ap.add_argument("--no-fast-path", action="store_true",
                    help="bill everything through the engine's general path")
    ap.add_argument("--population", choices=("plain", "general", "mixed"), default="plain",
                    help="which subscriptions to bill (see the module docstring)")
    ap.add_argument("--compare", action="store_true",
                    help="plain and general side by side (alternately, --repeat times)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per population (--compare)")
    ap.add_argument("--db-url", help="a PostgreSQL URL whose database is created and dropped")
    ap.add_argument("--_setup", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--_run", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._setup:
        setup(_url(args._setup[0]), int(args._setup[1]), args.population)
        return 0
    if args._run:
        worker = {"auto": None, "on": True, "off": False}[args.worker]
        print(json.dumps(run(args._run, args.chunk, worker, not args.no_fast_path)))
        return 0
    if args.db_url and not args.db_url.startswith("postgresql"):
        raise SystemExit("--db-url: only PostgreSQL URLs (SQLite is the default)")
    result = _compare(args) if args.compare else _one(args, args.population, None)
    print(json.dumps(result, indent=2))
    return 0

if __name__ == "__main__":
    sys.exit(main())
