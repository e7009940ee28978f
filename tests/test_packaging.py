"""A plain `pip install .` gives a working kontor: styles, migrations and catalogs ship."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_carries_styles_migrations_and_catalogs_and_runs(tmp_path):
    # Build from a clean copy: an in-tree build/ directory could carry stale files.
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "*.egg-info", "__pycache__", ".hypothesis", "tests"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "--disable-pip-version-check", "-w", str(tmp_path), str(src)],
                   check=True, capture_output=True)
    wheel = next(tmp_path.glob("kontor-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("styles/app.tcss", "styles/contacts.tcss", "styles/forms.tcss",
                     "core/migrations/env.py", "core/migrations/script.py.mako",
                     "core/migrations/versions/0001_foundation.py",
                     "core/locale/de/LC_MESSAGES/kontor.mo", "console/app.py"):
        assert required in names, required
    assert not any(n.startswith("tests/") for n in names)

    # Installed (not editable), run from elsewhere: the files come from the wheel.
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                    "--disable-pip-version-check", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target), "LANG": "de_DE.UTF-8"}
    script = ("import core, styles, console.cli, sys; "
              "assert core.__file__.startswith(sys.argv[1]), core.__file__; "
              "sys.exit(console.cli.main(['--db', sys.argv[2], 'db', 'init']))")
    out = subprocess.run([sys.executable, "-c", script, str(target), str(tmp_path / "k.db")],
                         cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Schema" in out.stdout
