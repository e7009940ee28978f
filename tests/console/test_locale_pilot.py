"""Issue 9 item 14: in German and Italian everything a user reads is translated and formatted
by the locale — the palette (Kontor's entries only, sorted by their translated title), help
(no Textual-internal "Focus Next"), chips, the filter panel and the plan form ("10,00", not
"10.00"), lists with four-digit years.

Binding labels are translated when the screens are imported, so (as test_italian_pilot.py)
the pilot runs in a fresh interpreter that sets the language before importing the console.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PILOT = r"""
import asyncio, json, sys
from core.i18n import set_language
set_language(sys.argv[2])
from textual.command import CommandList
from console.app import KontorApp
from core.db import Database
from core.services.operators import sign_in
from tests.console.conftest import SIZE, settle, type_text


def screen_text(app):
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def main(url):
    app = KontorApp(sign_in(Database(url), "alice"))
    shots = {}
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shots["contacts"] = screen_text(app)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.pause(0.3)
        options = app.screen.query_one(CommandList)
        shots["palette"] = [str(options.get_option_at_index(i).prompt).split("\n")[0]
                            for i in range(options.option_count)]
        shots["palette_screen"] = screen_text(app)
        await type_text(pilot, "zzqqxx")
        await pilot.pause(0.8)
        shots["palette_nothing"] = screen_text(app)
        await pilot.press("escape")
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "amount:10-1234.5")
        await pilot.press("enter")
        await settle(pilot)
        shots["plans"] = screen_text(app)
        await pilot.press("f")
        await settle(pilot)
        shots["filter"] = screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        shots["form"] = screen_text(app)
        await pilot.press("f1")
        await settle(pilot)
        shots["form_help"] = screen_text(app)
    print(json.dumps(shots))


asyncio.run(main(sys.argv[1]))
"""

ENGLISH_SYSTEM = ("Theme", "Keys", "Screenshot", "Quit", "Maximize", "Minimize",
                  "Search for commands", "No matches found", "Focus Next", "Focus Previous")


@pytest.fixture
def with_a_plan(seeded):
    from core.services.operators import sign_in
    from core.services.plans import create_plan

    ctx = sign_in(seeded, "alice")
    create_plan(ctx, {"handle": "gold", "name": "Gold", "amount": 123450, "currency": "EUR",
                      "schedule_type": "month_startdate", "interval_length": 1})
    return seeded


def run_pilot(url: str, lang: str) -> dict[str, list[str]]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    done = subprocess.run([sys.executable, "-c", PILOT, url, lang], check=False, cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("lang", ["de", "it"])
def test_everything_a_user_reads_is_in_the_language(with_a_plan, lang):
    from console.commands_palette import title_order

    shots = run_pilot(with_a_plan.url, lang)
    palette = shots["palette"]
    assert palette == sorted(palette, key=title_order)  # by translated title, one list
    words = {"de": ("Farbschema", "Bildschirmfoto", "Beenden", "Zu den Plänen"),
             "it": ("Tema", "Istantanea dello schermo", "Esci", "Vai ai piani")}[lang]
    for word in words:
        assert word in palette, (word, palette)
    everything = "\n".join("\n".join(v) if isinstance(v, list) else v for v in shots.values())
    for english in ENGLISH_SYSTEM:
        assert english not in everything, english
    assert {"de": "Befehle suchen", "it": "Cerca comandi"}[lang] in "\n".join(
        shots["palette_screen"])
    assert {"de": "Keine Treffer", "it": "Nessun risultato"}[lang] in "\n".join(
        shots["palette_nothing"])

    plans = "\n".join(shots["plans"])
    assert "10,00–1.234,50" in plans and "1.234,50" in plans  # chip and list column
    assert "10.00" not in plans and "1234.50" not in plans
    assert re.search(r"\d\d[./]\d\d[./]20\d\d", plans)  # the created column: 4-digit years
    assert not re.search(r"\d\d[./]\d\d[./]\d\d\b(?![./\d])", plans)
    assert "10,00–1.234,50" in "\n".join(shots["filter"])
    form = "\n".join(shots["form"])
    assert "1.234,50" in form and "1234.50" not in form
    assert "Focus" not in "\n".join(shots["form_help"])
