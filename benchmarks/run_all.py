"""`python3 dev.py bench [--full]`: every benchmark in turn, one JSON object per line.

By default at a small size that finishes in about a minute (a smoke run that the scripts
still work and a first figure); `--full` uses each script's own default size (minutes, and
GBs of scratch databases under $TMPDIR). For figures to quote, run a script on its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (script, small-size arguments); the full run drops the size arguments.
BENCHMARKS = [
    ("contacts.py", ["--contacts", "20000"]),
    ("plan_list.py", ["--plans", "5000", "--rounds", "1", "--no-export"]),
    ("billing_run.py", ["--subscriptions", "10000"]),
    ("lesson_preview.py", ["--rounds", "500"]),
    ("order_editor.py", ["--rounds", "300"]),
    ("startup.py", ["--contacts", "20000", "--rounds", "1"]),
    ("plan_form.py", ["--rounds", "1"]),
    ("orders.py", ["--small", "--rounds", "3"]),
    ("access_bulk.py", ["--contacts", "20000", "--accesses", "40000", "--rounds", "5"]),
    ("groups.py", ["--groups", "5000", "--participants", "50000", "--big", "2000",
                   "--contacts", "10000", "--rounds", "5", "--seconds", "3"]),
    ("contact_card.py", ["--contacts", "20000", "--orders", "40000", "--cards", "50"]),
    ("catalogue.py", ["--products", "50", "--offers", "500", "--rounds", "20"]),
]


def main(argv: list[str]) -> int:
    full = "--full" in argv
    failed = 0
    with tempfile.TemporaryDirectory(prefix="kontor-bench-") as tmp:
        for script, small in BENCHMARKS:
            args = [] if full else list(small)
            if script in ("contacts.py", "plan_list.py", "startup.py", "orders.py",
                          "access_bulk.py", "groups.py", "contact_card.py"):
                args += ["--db", os.path.join(tmp, script.replace(".py", ".db"))]
            started = time.perf_counter()
            r = subprocess.run([sys.executable, str(HERE / script), *args],
                               capture_output=True, text=True)
            line = {"benchmark": script, "args": args, "exit": r.returncode,
                    "seconds": round(time.perf_counter() - started, 1)}
            try:
                line["result"] = json.loads(r.stdout)
            except ValueError:
                line["stdout"], line["stderr"] = r.stdout[-2000:], r.stderr[-2000:]
            failed += r.returncode != 0
            print(json.dumps(line), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
