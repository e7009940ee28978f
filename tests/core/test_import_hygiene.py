"""Layering: core never imports Textual; the console never talks to the database directly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

IMPORT_ALL_OF_CORE = r"""
import importlib, pkgutil, sys
import core

# core.migrations.env runs migrations when imported; Alembic loads it, nobody imports it.
SKIP = {"core.migrations.env"}
names = ["core"]
for info in pkgutil.walk_packages(core.__path__, "core."):
    if info.name not in SKIP:
        importlib.import_module(info.name)
        names.append(info.name)
print(len(names))
leaked = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
assert not leaked, leaked
"""


def test_importing_every_core_module_does_not_import_textual():
    done = subprocess.run([sys.executable, "-c", IMPORT_ALL_OF_CORE], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) > 20  # it really walked the package


def test_console_sources_never_use_sqlalchemy_or_sessions():
    offenders = []
    files = sorted((ROOT / "console").rglob("*.py"))
    assert files
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "sqlalchemy" in line or "Session(" in line:  # imports are lower-case
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []
