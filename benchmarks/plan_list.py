"""The plan list at 100,000 plans: open, filter changes, scroll to the end, peak RSS. JSON.

    python benchmarks/plan_list.py [--db PATH] [--plans 100000] [--rounds 3]

The database is reused when it already holds the requested number of plans. "A filter
change" is what the list does when a filter changes: count the matches and fetch the first
window of 50 rows (default sort, newest first). Every filter kind is measured alone, with
values of wide and narrow selectivity, plus combinations; also every sort column.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import common  # noqa: E402

TODAY = None  # the real date: the demo data's created dates are relative to now

# Each filter kind of the seed, alone (wide and narrow), then combinations.
QUERIES = [
    "created:yesterday", "created:last_week", "created:last_month", "created:last_3_months",
    "created:last_year", "created:2024-01-01..2024-06-30", "created:..2023-12-31",
    "handle:gold-yoga-monthly-17", "handle:nope",
    "state:active", "state:superseded", "state:deleted", "state:superseded,deleted",
    "schedule_type:month_fixedday", "schedule_type:daily,weekly_fixedday",
    "schedule_type:manual",
    "partial_period_handling:no_bill", "partial_period_handling:bill_full,bill_zero_amount",
    "setup_fee_handling:separate", "setup_fee_handling:first,separate_conditional",
    "fixed_life_time_unit:days", "fixed_life_time_unit:months",
    "trial_interval_unit:days", "trial_interval_unit:months",
    "dunning_plan:dunning-strict", "dunning_plan:none-such",
    "name:gold", "name:yoga", "name:\"gold yoga\"", "name:v3", "premium", "zzz",
    "description:gold", "description:\"gold member\"", "description:kursen",
    "description:\"certificate lesson\"", "description:nothing",
    "setup_fee_text:onboarding", "setup_fee_text:\"welcome pack\"",
    "amount:10-50", "amount:9.90", "amount:0", "amount:100-", "amount:-5",
    "quantity:1", "quantity:2-10", "quantity:10",
    "fixed_count:12", "fixed_count:2-6",
    "trial_interval_length:14", "trial_interval_length:1-3",
    "interval_length:3", "interval_length:1", "interval_length:6-12",
    "schedule_fixed_day:1", "schedule_fixed_day:1-7",
    "renewal_reminder_email_days:7", "renewal_reminder_email_days:3-14",
    "trial_reminder_email_days:1", "trial_reminder_email_days:1-3",
    # combinations
    "state:active schedule_type:month_fixedday amount:10-50 trial_interval_unit:days",
    ("state:active,superseded schedule_type:month_fixedday amount:10-50 "
     "description:\"gold member\""),
    "state:active created:last_year name:gold",
    "schedule_type:month_lastday interval_length:3 setup_fee_handling:separate",
    "state:deleted dunning_plan:dunning-b2b quantity:2-10",
    "description:gold setup_fee_text:onboarding amount:20-",
    "created:last_3_months state:active trial_interval_length:14",
    "name:pilates fixed_count:2-12 partial_period_handling:no_bill",
]
SORTS = ["created:desc", "created:asc", "name:asc", "name:desc", "handle:asc", "state:asc",
         "version:desc", "trial:desc", "amount:asc", "amount:desc", "billing_frequency:asc"]


def ensure_database(path: Path, count: int) -> dict:
    from core.services import demo, plan_catalogue

    return common.ensure_database(path, count, "plans", plan_catalogue.count_plans, demo.generate_plans)


pct = common.pct


def measure(path: Path, rounds: int) -> dict:
    from core import plan_query
    from core.db import Database
    from core.schemas.common import Window
    from core.services import plan_catalogue as pc
    from core.services.operators import sign_in

    t0 = time.perf_counter()
    db = Database(f"sqlite:///{path}")  # the console opens it this way after the schema check
    ctx = sign_in(db, "bench")
    first = pc.list_plans_window(ctx, None, None, Window(limit=50))
    total = pc.count_plans(ctx)
    open_ms = (time.perf_counter() - t0) * 1000
    assert len(first) == 50 and total > 0
    today = date.today()
    filters = [(q, plan_query.parse(q, today=today)) for q in QUERIES]
    samples: list[float] = []
    per_query: dict[str, float] = {}
    for _ in range(rounds):
        for q, f in filters:
            t = time.perf_counter()
            n = pc.count_plans(ctx, f)
            rows = pc.list_plans_window(ctx, f, None, Window(limit=50))
            ms = (time.perf_counter() - t) * 1000
            assert len(rows) == min(50, n), q
            samples.append(ms)
            per_query[q] = max(per_query.get(q, 0.0), ms)
    sort_ms: dict[str, float] = {}
    for s in SORTS:
        sort = pc.PlanSort.parse(s)
        t = time.perf_counter()
        rows = pc.list_plans_window(ctx, None, sort, Window(limit=50))
        pc.list_plans_window(ctx, None, sort, Window(after=rows[-1].key, limit=50))
        sort_ms[s] = round((time.perf_counter() - t) * 1000 / 2, 2)
    t = time.perf_counter()
    last = pc.list_plans_window(ctx, None, None, Window(from_end=True, limit=50))
    end_ms = (time.perf_counter() - t) * 1000
    assert len(last) == 50
    t = time.perf_counter()
    f = plan_query.parse("state:active", today=today)
    last = pc.list_plans_window(ctx, f, pc.PlanSort.parse("name"), Window(from_end=True))
    end_filtered_ms = (time.perf_counter() - t) * 1000
    slowest = sorted(per_query.items(), key=lambda kv: -kv[1])[:5]
    db.dispose()
    return {
        "open_ms": round(open_ms, 2),
        "filter_ms_p50": pct(samples, 50), "filter_ms_p95": pct(samples, 95),
        "filter_ms_max": pct(samples, 100), "filter_samples": len(samples),
        "filter_kinds": len(QUERIES),
        "slowest_filters_ms": {q: round(ms, 2) for q, ms in slowest},
        "sort_first_window_ms": sort_ms,
        "scroll_to_end_ms": round(end_ms, 2),
        "scroll_to_end_filtered_by_name_ms": round(end_filtered_ms, 2),
    }


def export_time(path: Path) -> dict:
    from core.db import Database
    from core.services import plan_catalogue as pc
    from core.services.operators import sign_in

    db = Database(f"sqlite:///{path}")
    ctx = sign_in(db, "bench")
    out = {}
    for fmt in ("csv", "json"):
        with open(os.devnull, "w", encoding="utf-8") as sink:
            t = time.perf_counter()
            n = pc.write_plans(ctx, None, None, fmt, sink)
            out[f"export_{fmt}_s"] = round(time.perf_counter() - t, 2)
    out["export_rows"] = n
    db.dispose()
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--db", default=str(Path(os.environ.get("TMPDIR", "/tmp"))
                                       / "kontor-bench-plans.db"))
    p.add_argument("--plans", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--no-export", action="store_true")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    path = Path(args.db)
    if args.child:  # a fresh process, so peak RSS is the list's, not the generator's
        result = measure(path, args.rounds)
        result["peak_rss_mb"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        if not args.no_export:
            result.update(export_time(path))
            result["peak_rss_mb_after_export"] = round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(result))
        return
    result = {"benchmark": "plan_list", "db": str(path)}
    result.update(ensure_database(path, args.plans))
    argv = [sys.executable, __file__, "--child", "--db", str(path), "--rounds",
            str(args.rounds)] + (["--no-export"] if args.no_export else [])
    out = subprocess.run(argv, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    result.update(json.loads(out.stdout.strip().splitlines()[-1]))
    result["targets"] = {"open_ms": 150, "filter_ms_p95": 30, "peak_rss_mb": 150}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
