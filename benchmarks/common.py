"""Helpers the benchmark scripts share: percentiles and a reusable SQLite database."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank), rounded to 0.01."""
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))], 2)


def ensure_database(path: Path, count: int, what: str,
                    counter: Callable, generator: Callable) -> dict:
    """Reuse the SQLite file at `path` when `counter(ctx)` is `count`, else build it anew.

    `generator(ctx, count)` fills a fresh database; its time is reported.
    """
    from core.db import open_database
    from core.services.operators import sign_in

    db = open_database(f"sqlite:///{path}")
    have = counter(sign_in(db, "bench"))
    result = {what: have, "generated": False}
    if have != count:
        db.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        db = open_database(f"sqlite:///{path}")
        t = time.perf_counter()
        generator(sign_in(db, "bench"), count)
        secs = time.perf_counter() - t
        result = {what: count, "generated": True, "generate_seconds": round(secs, 1),
                  "generate_rows_per_second": round(count / secs)}
    db.dispose()
    return result
