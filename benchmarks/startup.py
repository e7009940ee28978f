"""Start-up: how soon the console draws its first frame and its first rows. Prints JSON.

    python benchmarks/startup.py [--db PATH] [--contacts 1000000] [--rounds 7]

Three commands, run in turn in each round (side by side, so a noisy machine slows all
three alike), each in a pseudo-terminal of 80x24 as over SSH:

- `bare`: a Textual app with one label, to its first frame: what any Textual app costs;
- `imports`: `import textual, sqlalchemy, pydantic, babel` alone;
- `kontor`: `kontor --db PATH` to its first frame (the start screen, drawn before SQLAlchemy
  is imported) and to its first rows of contacts (database opened, first window shown).

Medians over the rounds, and the ratios to `bare` (targets: first frame ≤ 1.3×, first rows
≤ 2×). The app reports its moments through KONTOR_STARTUP_PROBE (console/app.py).
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from fcntl import ioctl
from pathlib import Path

BARE_APP = r"""
import json, os, sys, time
from textual.app import App
from textual.widgets import Label

class Bare(App):
    def compose(self):
        yield Label("bare")
    def on_mount(self):
        self.call_after_refresh(self.done)
    def done(self):
        with open(os.environ["KONTOR_STARTUP_PROBE"], "a") as f:
            f.write(json.dumps({"event": "first_frame", "t": time.time(),
                                "cpu": time.process_time()}) + "\n")
        self.exit()

Bare().run()
"""


def in_pty(argv: list[str], env: dict[str, str], timeout: float = 60.0) -> float:
    """Run `argv` on an 80x24 pseudo-terminal until it exits; returns its start time."""
    master, slave = pty.openpty()
    ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    started = time.time()

    def controlling_tty() -> None:  # the pty becomes the child's terminal, as under ssh
        os.setsid()
        ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                            close_fds=True, preexec_fn=controlling_tty)
    os.close(slave)
    deadline = started + timeout
    try:
        while proc.poll() is None and time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    os.read(master, 65536)  # drain, or the app blocks on a full pty
                except OSError:
                    break
        try:  # EIO on the master comes when the child closes the terminal, before it exits
            proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            proc.kill()
            raise RuntimeError(f"{argv} did not finish in {timeout} s") from None
    finally:
        os.close(master)
        proc.wait()
    return started


def probe(argv: list[str]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", delete=False) as f:
        path = f.name
    env = {**os.environ, "KONTOR_STARTUP_PROBE": path, "TERM": "xterm-256color",
           "KONTOR_OPERATOR": "bench", "COLUMNS": "80", "LINES": "24"}
    try:
        started = in_pty(argv, env)
        events = [json.loads(line) for line in Path(path).read_text().splitlines() if line]
    finally:
        os.unlink(path)
    out = {e["event"]: e["t"] - started for e in events}
    out |= {e["event"] + "_cpu": e["cpu"] for e in events if "cpu" in e}
    return out


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True)
    return time.perf_counter() - started


def ensure_database(path: Path, contacts: int) -> None:
    if path.exists():
        return
    subprocess.run([sys.executable, "-m", "console.cli", "demo-data", "--db", str(path),
                    "--contacts", str(contacts)], check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--db", default=str(Path(os.environ.get("TMPDIR", "/tmp"))
                                       / "kontor-bench-contacts.db"))
    p.add_argument("--contacts", type=int, default=1_000_000)
    p.add_argument("--rounds", type=int, default=7)
    args = p.parse_args()
    db = Path(args.db)
    ensure_database(db, args.contacts)
    py = sys.executable
    bare, imports, frame, rows, bare_cpu, frame_cpu, rows_cpu = [], [], [], [], [], [], []
    for _ in range(args.rounds + 1):  # the first round warms the OS caches, not counted
        b = probe([py, "-c", BARE_APP])
        i = timed([py, "-c", "import textual.app, sqlalchemy.orm, pydantic, babel.dates"])
        k = probe([py, "-m", "console.cli", "--db", str(db)])
        bare.append(b["first_frame"])
        bare_cpu.append(b["first_frame_cpu"])
        imports.append(i)
        frame.append(k["first_frame"])
        frame_cpu.append(k.get("first_frame_cpu", float("nan")))  # older apps: no CPU
        rows.append(k["first_rows"])
        rows_cpu.append(k.get("first_rows_cpu", float("nan")))
    lists = bare, imports, frame, rows, bare_cpu, frame_cpu, rows_cpu
    bare, imports, frame, rows, bare_cpu, frame_cpu, rows_cpu = (xs[1:] for xs in lists)

    def med(xs):
        xs = [x for x in xs if x == x]  # NaN: not reported by that app
        return round(statistics.median(xs), 3) if xs else None

    ratio_frame = [f / b for f, b in zip(frame, bare)]
    ratio_rows = [r / b for r, b in zip(rows, bare)]
    print(json.dumps({
        "benchmark": "startup", "db": str(db), "rounds": args.rounds,
        "bare_first_frame_s": med(bare), "imports_s": med(imports),
        "kontor_first_frame_s": med(frame), "kontor_first_rows_s": med(rows),
        "first_frame_ratio_to_bare": round(statistics.median(ratio_frame), 2),
        "first_rows_ratio_to_bare": round(statistics.median(ratio_rows), 2),
        # CPU seconds of the console's own process at those moments (the preview's second
        # process not counted): what a loaded machine cannot inflate.
        "cpu_s": {"bare_first_frame": med(bare_cpu), "kontor_first_frame": med(frame_cpu),
                  "kontor_first_rows": med(rows_cpu)},
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "samples": {"bare": bare, "imports": imports, "frame": frame, "rows": rows},
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
