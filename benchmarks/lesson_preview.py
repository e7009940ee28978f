"""The order editor's lesson preview: one recompute of a 300-lesson course. Prints JSON.

    python benchmarks/lesson_preview.py [--lessons 300] [--rounds 2000]

What a keystroke in the order editor costs: validate the edited template (AccessTemplate) and
run core.lessons.lesson_states for every lesson, with checkpoints on (every 10th lesson a
checkpoint, half of them accepted), three resumed pauses and one not yet resumed, in
Europe/Berlin over both DST switches. Three figures (target: p95 well under 10 ms):

- `warm`: the same inputs every time (the day-start cache filled, as while typing);
- `varied`: a different start each time (a new day every round: the cache misses for days
  it has not seen);
- `cold`: the day-start cache cleared before each recompute (the worst case).

`p*_ms` is wall time; `cpu_p*_ms` the thread's CPU time, which a busy machine (other
processes taking the core) does not inflate.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import pct
from core import lessons as engine
from core.schemas.access_template import AccessTemplate, LessonSpec


def course(n: int) -> list[LessonSpec]:
    return [LessonSpec(title=f"Lesson {i}", delay_days=(i - 1) * 2, checkpoint=i % 10 == 0)
            for i in range(1, n + 1)]


def measure(n: int, rounds: int, mode: str) -> dict:
    tz = ZoneInfo("Europe/Berlin")
    items = course(n)
    accepted = [i for i in range(10, n + 1, 20)]
    raw = {"open_lessons": {"first": n - 20}, "release": "delays", "checkpoints": True,
           "duration": {"length": 24, "unit": "months"}}
    base = datetime(2026, 3, 1, 9, 30, tzinfo=tz)
    times, cpu = [], []
    for r in range(rounds):
        start = base + timedelta(days=r) if mode == "varied" else base
        pauses = [(start + timedelta(days=20), start + timedelta(days=23, hours=5)),
                  (start + timedelta(days=200), start + timedelta(days=214)),
                  (start + timedelta(days=240, hours=3), start + timedelta(days=241)),
                  (start + timedelta(days=500), None)]
        at = start + timedelta(days=230)
        if mode == "cold":
            engine.start_of_day.cache_clear()
            engine._utc_day.cache_clear()
        t, c = time.perf_counter(), time.thread_time()
        template = AccessTemplate.model_validate(raw)
        preview = engine.lesson_states(items, template, start, at=at, pauses=pauses,
                                       accepted=accepted, tz=tz)
        preview.count()
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    return {"p50_ms": pct(times, 50), "p95_ms": pct(times, 95), "max_ms": pct(times, 100),
            "cpu_p50_ms": pct(cpu, 50), "cpu_p95_ms": pct(cpu, 95)}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lessons", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2000)
    args = ap.parse_args(argv)
    result = {"benchmark": "lesson_preview", "lessons": args.lessons, "rounds": args.rounds,
              "pauses": 4, "checkpoints": True, "target_ms": 10}
    for mode in ("warm", "varied", "cold"):
        result[mode] = measure(args.lessons, args.rounds, mode)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
