"""A realistic Reepay plan catalogue (GET /v1/plan objects) and its import time. JSON.

    python benchmarks/reepay_catalogue.py [--plans 3000] [--db URL] [--write FILE]

`catalogue(n)` is also the test suite's generator (tests/services/test_plan_import_reepay.py):
every schedule type, manual plans with trials (Reepay allows them), every plan field of
Reepay's API set somewhere (and null elsewhere, as the API returns them), superseded and
deleted versions, several currencies, millisecond `created` stamps.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCHEDULES = ("manual", "daily", "weekly_fixedday", "month_startdate", "month_fixedday",
             "month_lastday")
PRODUCTS = ("Yoga", "Pilates", "Spanish A1", "Python Basics", "Guitar", "Photo Club",
            "Mindful Leadership", "Excel Pro", "Piano Kids", "Nordic Walking")
CURRENCIES = (("EUR", 0.19), ("DKK", 0.25), ("SEK", 0.25), ("CHF", 0.081), ("JPY", 0.1))


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _plan(rng: random.Random, i: int, version: int, schedule: str, created: datetime
          ) -> dict:
    currency, vat = CURRENCIES[i % len(CURRENCIES)]
    product = PRODUCTS[i % len(PRODUCTS)]
    fixed_day = schedule in ("weekly_fixedday", "month_fixedday", "month_lastday")
    by_days = rng.random() < 0.8
    plan = {
        "name": f"{product} {schedule.replace('_', ' ')} #{i}",
        "description": rng.choice(["", f"{product}: live sessions and recordings.",
                                   "Zugang zu allen Kursen\nKündigung jederzeit."]),
        "vat": vat if rng.random() < 0.9 else None,
        "amount": rng.choice([0, 900, 2900, 4900, 9900, 29900, 119900]),
        "quantity": rng.choice([1, 1, 1, 2, 5]),
        "prepaid": rng.choice([True, False, None]),
        "handle": f"plan-{i:05d}",
        "version": version,
        "state": "active",
        "currency": currency,
        "created": _stamp(created),
        "dunning_plan": rng.choice(["default-dunning", "soft-dunning", None]),
        "renewal_reminder_email_days": rng.choice([None, 3, 7, 14]),
        "trial_reminder_email_days": None,
        "partial_period_handling": rng.choice(
            ["bill_prorated", "bill_full", "bill_zero_amount", "no_bill"]),
        "include_zero_amount": rng.random() < 0.3,
        "setup_fee": None, "setup_fee_text": None,
        "setup_fee_handling": rng.choice(["first", "separate", "separate_conditional"]),
        "partial_proration_days": by_days,
        "fixed_trial_days": (rng.random() < 0.7) if by_days else False,
        "minimum_prorated_amount": rng.choice([0, 0, 100, 500]),
        "amount_incl_vat": rng.random() < 0.8,
        "fixed_count": None, "fixed_life_time_unit": None, "fixed_life_time_length": None,
        "trial_interval_unit": None, "trial_interval_length": None,
        "interval_length": {"daily": rng.choice([1, 7, 14, 30])}.get(
            schedule, rng.choice([1, 1, 3, 6, 12])),
        "schedule_type": schedule,
        "schedule_fixed_day": None, "base_month": None,
        "notice_periods": rng.choice([0, 0, 1, 2]),
        "notice_periods_after_current": rng.random() < 0.7,
        "fixation_periods": rng.choice([0, 0, 3, 12]),
        "fixation_periods_full": rng.random() < 0.3,
        "entitlements": rng.choice([[], ["videos"], ["videos", "forum", "live-q-and-a"]]),
        "tax_policy": rng.choice([None, None, f"{currency.lower()}-standard"]),
        "account_funding": rng.choice([None, False, True]),
        "schedule_fixed_hour": None,
    }
    if schedule == "weekly_fixedday":
        plan["schedule_fixed_day"] = rng.randint(1, 7)
        plan["interval_length"] = rng.choice([1, 2, 4])
    elif schedule == "month_fixedday":
        plan["schedule_fixed_day"] = rng.randint(1, 28)
    if schedule in ("month_fixedday", "month_lastday") and rng.random() < 0.4:
        plan["base_month"] = rng.randint(1, 12)
    if fixed_day and rng.random() < 0.4:
        plan["schedule_fixed_hour"] = rng.randint(0, 23)
    # Reepay allows a trial on every type, manual included (the catalogue of issue 7).
    if rng.random() < (0.6 if schedule == "manual" else 0.35):
        plan["trial_interval_length"] = rng.choice([7, 14, 30, 1])
        plan["trial_interval_unit"] = "months" if plan["trial_interval_length"] == 1 else "days"
        plan["trial_reminder_email_days"] = rng.choice([None, 1, 3])
    if rng.random() < 0.3:
        plan["setup_fee"] = rng.choice([0, 1900, 4900])
        plan["setup_fee_text"] = rng.choice(["Setup", "Einrichtungsgebühr", "Welcome kit"])
    duration = rng.random()
    if duration < 0.15:
        plan["fixed_count"] = rng.choice([3, 6, 12])
    elif duration < 0.25:
        plan["fixed_life_time_length"] = rng.choice([6, 12, 90])
        plan["fixed_life_time_unit"] = "days" if plan["fixed_life_time_length"] == 90 \
            else "months"
    if plan["vat"] is None:
        del plan["vat"]  # the account default applies
    return plan


def catalogue(n: int = 3000, seed: int = 7) -> list[dict]:
    """`n` plan versions as Reepay's API returns them (handles with 1–3 versions)."""
    rng = random.Random(seed)
    out: list[dict] = []
    moment = datetime(2023, 1, 9, 8, 15, 30, 123000, tzinfo=UTC)
    i = 0
    while len(out) < n:
        schedule = SCHEDULES[i % len(SCHEDULES)]
        versions = min(rng.choice([1, 1, 1, 2, 3]), n - len(out))
        deleted = rng.random() < 0.05
        for v in range(1, versions + 1):
            moment += timedelta(minutes=rng.randint(1, 600), milliseconds=rng.randint(0, 999))
            plan = _plan(rng, i, v, schedule, moment)
            if v < versions:
                plan["state"] = "superseded"
            elif deleted:
                plan["state"] = "deleted"
                plan["deleted"] = _stamp(moment + timedelta(days=30))
            out.append(plan)
        i += 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plans", type=int, default=3000)
    ap.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    ap.add_argument("--write", help="write the catalogue to this file and stop")
    args = ap.parse_args()
    plans_json = catalogue(args.plans)
    if args.write:
        Path(args.write).write_text(json.dumps(plans_json, indent=1, ensure_ascii=False))
        return
    from core.db import open_database
    from core.services import plans
    from core.services.operators import sign_in

    tmp = tempfile.mkdtemp(prefix="kontor-bench-")
    db = open_database(args.db or f"sqlite:///{tmp}/k.db")
    ctx = sign_in(db, "bench")
    t = time.perf_counter()
    report = plans.import_plans(ctx, plans_json)
    secs = time.perf_counter() - t
    t = time.perf_counter()
    exported = [plans.get_plan(ctx, p.handle, p.version).to_reepay() for p in report.plans[:200]]
    export_secs = time.perf_counter() - t
    db.dispose()
    print(json.dumps({
        "plans": len(report.plans), "import_seconds": round(secs, 2),
        "plans_per_second": round(len(report.plans) / secs),
        "warnings": sum(len(p.warnings) for p in report.plans),
        "manual_with_trial": sum(1 for p in plans_json if p["schedule_type"] == "manual"
                                 and p.get("trial_interval_length")),
        "export_200_seconds": round(export_secs, 2), "exported": len(exported),
    }))


if __name__ == "__main__":
    main()
