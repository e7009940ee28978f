#!/usr/bin/env python3
"""Kontor's two entry points for a machine with only Python 3.11.

    python3 dev.py demo    # create .venv if needed, open the console on a demo database
    python3 dev.py test    # create .venv if needed, run the whole test suite (in parallel)
    python3 dev.py test tests/core -q   # or only some tests (one process)

Everything else is convenience:

    python3 dev.py kontor ARGS   # the kontor command from .venv
    python3 dev.py bench [--full] # every benchmark, small (about a minute) or full size, JSON lines
    python3 dev.py i18n          # extract messages, update and compile the catalogs
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".kontor-install-stamp"


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_venv() -> None:
    """Create .venv and install Kontor with its dev and postgres extras when pyproject changed."""
    if sys.version_info < (3, 11):
        sys.exit("Kontor needs Python 3.11 or newer")
    if not PY.exists():
        print("Creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print("Installing Kontor and its dependencies into .venv …", flush=True)
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["-e", f"{ROOT}[dev,postgres]"], check=True)
    STAMP.write_text(_fingerprint())


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "help"
    if cmd not in {"demo", "test", "kontor", "bench", "i18n"}:
        print(__doc__)
        return 0 if cmd in {"help", "-h", "--help"} else 2
    ensure_venv()
    env = dict(os.environ)
    if cmd == "demo":
        args = [str(BIN / "kontor"), "--demo", *argv[1:]]
    elif cmd == "kontor":
        args = [str(BIN / "kontor"), *argv[1:]]
    elif cmd == "i18n":
        args = [str(PY), str(ROOT / "tools" / "i18n.py")]
    elif cmd == "bench":
        args = [str(PY), str(ROOT / "benchmarks" / "run_all.py"), *argv[1:]]
    else:
        args = [str(PY), "-m", "pytest", *argv[1:]]
        if len(argv) == 1:
            # The whole suite: one pytest worker per core (pytest-xdist); each worker has its
            # own SQLite files and its own PostgreSQL database. Work stealing: an idle worker
            # takes tests queued for the other, so the slow ones do not end the run alone.
            args += ["-n", "auto", "--dist", "worksteal"]
        if not env.get("KONTOR_TEST_POSTGRES_URL"):
            print("KONTOR_TEST_POSTGRES_URL is not set, so the PostgreSQL service tests are "
                  "skipped (set it, e.g. to postgresql+psycopg://postgres@127.0.0.1:5432/test, "
                  "to run them).", flush=True)
    return subprocess.call(args, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
