"""German snapshots (issue 9 item 14): the palette and help as `kontor --lang de` shows them.

Binding labels are translated when the console is imported, so each picture is taken in a
fresh interpreter that sets the language first (as the CLI does) and prints the SVG; it is
compared like the other snapshots (same frozen clock, database and `ansi-dark` theme).
Regenerate with `--snapshot-update -k locale` and read the pictures.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SHOOT = r"""
import asyncio, sys
import time_machine
from core.i18n import set_language
set_language(sys.argv[2])
from textual._doc import take_svg_screenshot
from core.db import Database
from core.services.operators import sign_in
from tests.snapshots.conftest import FROZEN, SIZE, build_app
from tests.snapshots.keys import drive

with time_machine.travel(FROZEN, tick=False):
    app = build_app("ansi-dark", ctx=sign_in(Database(sys.argv[1]), "alice"))
    svg = take_svg_screenshot(app=app, terminal_size=SIZE, run_before=drive(sys.argv[3:]))
sys.stdout.write(svg)
"""


def shoot(db, lang: str, *keys: str) -> str:
    env = {k: v for k, v in os.environ.items()
           if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "NO_COLOR")}
    env["KONTOR_EXPORT_DIR"] = "/home/agent"
    done = subprocess.run([sys.executable, "-c", SHOOT, db.url, lang, *keys], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_locale_de_command_palette(snapshot_db, svg_snapshot):
    # One provider, sorted by translated title: the empty palette is the same on every run.
    assert svg_snapshot == shoot(snapshot_db, "de", "ctrl+p")


def test_locale_de_help(snapshot_db, svg_snapshot):
    assert svg_snapshot == shoot(snapshot_db, "de", "question_mark")


def test_locale_de_plan_form_help(snapshot_db, svg_snapshot):
    assert svg_snapshot == shoot(snapshot_db, "de", "2", "e", "f1")


def test_locale_it_plan_list(snapshot_db, svg_snapshot):
    assert svg_snapshot == shoot(snapshot_db, "it", "2")


def test_locale_de_add_product(snapshot_db, svg_snapshot):
    # "+ Produkt" on Anna Müller's card, the offer picker's results for "yog" in German.
    keys = ["slash", *"anna.mueller@example", "enter", "enter", "plus", "y", "o", "g"]
    assert svg_snapshot == shoot(snapshot_db, "de", *keys)
