"""Contact search under load, with and without cancelling the previous keystroke's query.

    .venv/bin/kontor --db /tmp/contacts-1m.db demo-data --contacts 1000000   # once, ~35 s
    python benchmarks/search_load.py --db /tmp/contacts-1m.db [--duration 60] [--readers 4]

Readers (one process each) type search words keystroke by keystroke, one keystroke every
`--keystroke-ms` (above the console's 120 ms debounce, so every keystroke searches). Each
keystroke starts a search in a thread, as the console's worker does: the first page of 50,
then the count. A writer process edits random contacts meanwhile. The run has two phases
of `--duration` seconds each:

* `without_cancel`: a new keystroke leaves the previous search running (stale work queues
  with the fresh one, as before issue 8);
* `with_cancel`: a new keystroke cancels the previous search's `SearchCancel` token
  (SQLite `interrupt()`), as the console does now.

Prints JSON: per phase, first-page and count latency p50/p95 (ms, from the keystroke) of
every search that completed and of the last keystroke of each word (the one the agent waits
for), searches cancelled, writer p50/p95 and errors.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import common

WORDS = ["müller", "rossi", "anna maria", "schmidt", "giuseppe", "marco", "weber", "ferrari",
         "braun", "emma", "lucia", "oliver", "patel", "koch", "gmx.de", "libero", "hall",
         "+49 151", "bianchi", "fischer", "sophie", "martina", "hoffmann", "conti"]


def _reader(url: str, seconds: float, keystroke: float, cancel: bool, seed: int, out) -> None:
    from core.db import Database
    from core.errors import SearchCancelled
    from core.schemas.common import Window
    from core.services import contacts
    from core.services.cancel import SearchCancel
    from core.services.operators import sign_in

    db = Database(url)
    ctx = sign_in(db, "bench")
    rng = random.Random(seed)
    lock = threading.Lock()
    res = {"first": [], "count": [], "final_first": [], "final_count": [], "cancelled": 0,
           "errors": 0, "searches": 0}

    def search(query: str, token: SearchCancel, started: float, final: bool) -> None:
        try:
            contacts.list_contacts(ctx, query, Window(limit=50), cancel=token)
            t1 = (time.perf_counter() - started) * 1000
            contacts.count_contacts(ctx, query, cancel=token)
            t2 = (time.perf_counter() - started) * 1000
        except SearchCancelled:
            with lock:
                res["cancelled"] += 1
            return
        except Exception:  # noqa: BLE001 - counted and reported
            with lock:
                res["errors"] += 1
            return
        with lock:
            res["first"].append(t1)
            res["count"].append(t2)
            if final:
                res["final_first"].append(t1)
                res["final_count"].append(t2)

    end = time.perf_counter() + seconds
    threads: list[threading.Thread] = []
    previous: SearchCancel | None = None
    while time.perf_counter() < end:
        word = rng.choice(WORDS)
        for i in range(1, len(word) + 1):
            if cancel and previous is not None:
                previous.cancel()
            token = SearchCancel()
            t = threading.Thread(target=search, args=(word[:i], token, time.perf_counter(),
                                                      i == len(word)), daemon=True)
            t.start()
            threads.append(t)
            res["searches"] += 1
            previous = token
            time.sleep(keystroke)
        time.sleep(keystroke * 3)  # a pause between words, as an agent reads the list
        threads = [t for t in threads if t.is_alive()]
    if previous is not None and cancel:
        previous.cancel()
    for t in threads:
        t.join()
    db.dispose()
    out.put(res)


def _writer(url: str, seconds: float, seed: int, out) -> None:
    from core.db import Database
    from core.services import contacts
    from core.services.operators import sign_in

    db = Database(url)
    ctx = sign_in(db, "bench")
    rng = random.Random(seed)
    n = contacts.count_contacts(ctx)
    res = {"latency": [], "errors": 0}
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        cid = rng.randint(1, n)
        t = time.perf_counter()
        try:
            c = contacts.get_contact(ctx, cid)
            contacts.update_contact(ctx, cid, {
                "name": c.name, "email": c.email, "language": c.language, "tags": c.tags,
                "notes": c.notes, "phone": f"+49 30 {rng.randint(1000000, 9999999)}"},
                expected_version=c.version)
            res["latency"].append((time.perf_counter() - t) * 1000)
        except Exception:  # noqa: BLE001 - counted and reported
            res["errors"] += 1
        time.sleep(0.05)
    db.dispose()
    out.put(res)


def phase(url: str, seconds: float, readers: int, keystroke: float, cancel: bool) -> dict:
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_reader, args=(url, seconds, keystroke, cancel, 100 + i, out))
             for i in range(readers)]
    procs.append(ctx.Process(target=_writer, args=(url, seconds, 7, out)))
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    readers_res = [r for r in results if "first" in r]
    writer = next(r for r in results if "latency" in r)

    def merged(key):
        return [v for r in readers_res for v in r[key]]

    def stats(values):
        if not values:
            return {"n": 0}
        return {"n": len(values), "p50": common.pct(values, 50), "p95": common.pct(values, 95)}

    return {
        "searches": sum(r["searches"] for r in readers_res),
        "completed_first_page_ms": stats(merged("first")),
        "completed_count_ms": stats(merged("count")),
        "last_keystroke_first_page_ms": stats(merged("final_first")),
        "last_keystroke_count_ms": stats(merged("final_count")),
        "cancelled": sum(r["cancelled"] for r in readers_res),
        "reader_errors": sum(r["errors"] for r in readers_res),
        "writer_ms": stats(writer["latency"]),
        "writer_errors": writer["errors"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="/tmp/contacts-1m.db")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds per phase")
    ap.add_argument("--readers", type=int, default=4)
    ap.add_argument("--keystroke-ms", type=float, default=130.0)
    args = ap.parse_args()
    from core.db import open_database
    from core.services import contacts
    from core.services.operators import sign_in

    url = f"sqlite:///{args.db}"
    db = open_database(url)  # migrates when needed
    n = contacts.count_contacts(sign_in(db, "bench"))
    db.dispose()
    result = {"db": args.db, "contacts": n, "readers": args.readers, "writers": 1,
              "duration_s_per_phase": args.duration, "keystroke_ms": args.keystroke_ms}
    for name, cancel in (("without_cancel", False), ("with_cancel", True)):
        result[name] = phase(url, args.duration, args.readers, args.keystroke_ms / 1000,
                             cancel)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
