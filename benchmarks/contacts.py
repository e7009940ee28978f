"""Contacts at scale: bulk load, first screen, search latency, peak RSS. Prints JSON.

    python benchmarks/contacts.py [--db PATH] [--contacts 1000000]

The database is reused when it already holds the requested number of contacts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import common  # noqa: E402

# Varied fragments as agents type them: email parts, names, phone digits, short prefixes.
FRAGMENTS = ["müller", "mueller", "rossi", "anna", "gmx", "@libero.it", "smith", "1576",
             "+49 151", "braun12", "emma.braun0@", "giu", "ma", "a", "k", "schmidt99", "zzzz",
             "de luca", "anna müller", "oliver jones", "example.it", "3344", "weber7",
             "lucia", "t-online", "+39 16", "hall", "patel", "ferrari1", "koch9"]


def ensure_database(path: Path, count: int) -> dict:
    from core.services import demo, contacts

    return common.ensure_database(path, count, "contacts", contacts.count_contacts, demo.generate_contacts)


pct = common.pct


def service_search(path: Path, rounds: int = 3) -> dict:
    """What one keystroke costs in core: the count plus the first window of 50 rows."""
    from core.db import open_database
    from core.schemas.common import Window
    from core.services import contacts
    from core.services.operators import sign_in

    db = open_database(f"sqlite:///{path}")
    ctx = sign_in(db, "bench")
    for f in FRAGMENTS:  # warm the page cache once, as a running console would have it
        contacts.list_contacts(ctx, f, Window(limit=50))
        contacts.count_contacts(ctx, f)
    samples, page_only = [], []
    for _ in range(rounds):
        for f in FRAGMENTS:
            t = time.perf_counter()
            contacts.list_contacts(ctx, f, Window(limit=50))
            t1 = time.perf_counter()
            contacts.count_contacts(ctx, f)
            t2 = time.perf_counter()
            samples.append((t2 - t) * 1000)
            page_only.append((t1 - t) * 1000)
    db.dispose()
    return {"search_ms_p50": pct(samples, 50), "search_ms_p95": pct(samples, 95),
            "search_ms_max": pct(samples, 100), "first_window_ms_p95": pct(page_only, 95),
            "samples": len(samples)}


CHILD = r"""
import asyncio, json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from core.db import open_database
from core.services.operators import sign_in
from console.app import KontorApp
from console.widgets.windowed_table import WindowedTable

async def main():
    db = open_database("sqlite:///" + sys.argv[1])
    app = KontorApp(sign_in(db, "bench"))
    async with app.run_test(headless=True, size=(80, 24)) as pilot:
        while True:
            tables = app.screen.query(WindowedTable)
            if tables and tables.first().total is not None and tables.first().row_at(0):
                break
            await asyncio.sleep(0.002)
        first = time.time()
        screen = app.screen
        table = screen.query_one(WindowedTable)
        ui = []
        for frag in json.loads(sys.argv[3]):
            t = time.perf_counter()
            gen = table._generation
            screen.apply_search(frag)
            # Until the new rows are in the table (drawn on the next frame).
            while table._generation == gen or table.total is None or (
                    table.total and table.row_at(0) is None):
                await asyncio.sleep(0.0005)
            ui.append((time.perf_counter() - t) * 1000)
            await pilot.pause()
    print(json.dumps({"first_screen_at": first, "ui_search_ms": ui,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))

asyncio.run(main())
"""


def console_run(path: Path) -> dict:
    """A fresh process: time to the first rows on screen, UI search latency, peak RSS."""
    firsts, ui, rss = [], [], []
    for _ in range(3):
        t0 = time.time()
        out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(ROOT),
                              json.dumps(FRAGMENTS)], capture_output=True, text=True,
                             env={**os.environ, "TEXTUAL_ANIMATIONS": "none"})
        if out.returncode != 0:
            raise SystemExit(out.stderr)
        data = json.loads(out.stdout.strip().splitlines()[-1])
        firsts.append(data["first_screen_at"] - t0)
        ui.extend(data["ui_search_ms"])
        rss.append(data["peak_rss_mb"])
    return {"first_screen_s_min": round(min(firsts), 3),
            "first_screen_s_median": round(statistics.median(firsts), 3),
            "ui_search_ms_p50": pct(ui, 50), "ui_search_ms_p95": pct(ui, 95),
            "peak_rss_mb": round(max(rss), 1)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--db", default=str(Path(os.environ.get("TMPDIR", "/tmp"))
                                       / "kontor-bench-contacts.db"))
    p.add_argument("--contacts", type=int, default=1_000_000)
    args = p.parse_args()
    path = Path(args.db)
    result = {"benchmark": "contacts", "db": str(path)}
    result.update(ensure_database(path, args.contacts))
    result.update(service_search(path))
    result.update(console_run(path))
    result["targets"] = {"first_screen_s": 0.6, "search_ms_p95": 30, "peak_rss_mb": 150}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
