"""The plan form: how soon it is drawn and ready after it is opened, in a headless 80x24 app.
Prints JSON.

    python benchmarks/plan_form.py [--rounds 7]

For a new plan and for an existing one (a stored plan with every section filled): the time
from `push_screen` to the form's first frame (`first_frame_s`) and to the form being idle
with its workers done (`ready_s`), medians over the rounds (the first round warms caches and
is not counted), and the CPU seconds until ready (what a loaded machine does not inflate
much); also how many widgets the form mounts. Issue 9: screens open at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOLD = {"handle": "gold", "name": "Gold", "amount": 10000, "schedule_type": "month_fixedday",
        "schedule_fixed_day": 1, "vat": "0.19", "description": "Gold membership",
        "trial_interval_length": 14, "trial_interval_unit": "days", "setup_fee": 500,
        "setup_fee_text": "Welcome pack", "fixed_count": 12}


async def measure(ctx, plan, rounds: int) -> dict:
    from console.app import KontorApp
    from console.screens.plan.form import PlanForm

    app = KontorApp(ctx)
    frames, readies, cpus, widgets = [], [], [], 0
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(rounds + 1):
            drawn = asyncio.Event()
            form = PlanForm(ctx, plan)
            t, c = time.perf_counter(), time.process_time()
            await app.push_screen(form)
            form.call_after_refresh(drawn.set)
            await drawn.wait()
            frame = time.perf_counter() - t
            while any(w.is_running for w in app.workers):
                await asyncio.sleep(0.001)
            await pilot.pause()
            ready = time.perf_counter() - t
            cpus.append(time.process_time() - c)
            widgets = len(list(form.walk_children(with_self=False)))
            frames.append(frame)
            readies.append(ready)
            form.dismiss(None)
            await pilot.pause()
    frames, readies, cpus = frames[1:], readies[1:], cpus[1:]
    return {"first_frame_s": round(statistics.median(frames), 3),
            "ready_s": round(statistics.median(readies), 3),
            "ready_cpu_s": round(statistics.median(cpus), 3), "widgets": widgets,
            "samples_first_frame": [round(x, 3) for x in frames],
            "samples_ready": [round(x, 3) for x in readies]}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=7)
    args = p.parse_args()
    from core.db import open_database
    from core.services import plans as plan_service
    from core.services.operators import sign_in

    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'plans.db'}")
        ctx = sign_in(db, "bench")
        plan = plan_service.create_plan(ctx, GOLD)
        result = {"benchmark": "plan_form", "rounds": args.rounds,
                  "load_average": [round(x, 2) for x in os.getloadavg()],
                  "new_plan": asyncio.run(measure(ctx, None, args.rounds)),
                  "existing_plan": asyncio.run(measure(ctx, plan, args.rounds))}
        db.dispose()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
