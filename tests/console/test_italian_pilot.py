"""The console in Italian at 80x24: contacts list, help and dates as `kontor --lang it` shows them.

Binding labels are translated when the screens are imported (the CLI sets the language first),
so the pilot runs in a fresh interpreter that calls `set_language("it")` before importing the
console, as `kontor --lang it` does; it prints the screens' text as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import update

from core.models import Contact

ROOT = Path(__file__).resolve().parents[2]

PILOT = r"""
import asyncio, json, sys
from core.i18n import set_language
set_language("it")
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
        shots["list"] = screen_text(app)
        await pilot.press("slash")
        await type_text(pilot, "giulia.rossi@ex")
        await pilot.press("enter")
        await settle(pilot)
        shots["search"] = screen_text(app)
        await pilot.press("question_mark")
        await settle(pilot)
        shots["help"] = screen_text(app)
    print(json.dumps(shots))


asyncio.run(main(sys.argv[1]))
"""


def run_pilot(url: str) -> dict[str, list[str]]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    done = subprocess.run([sys.executable, "-c", PILOT, url], check=False, cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_contacts_and_help_are_in_italian_with_italian_dates(seeded):
    with seeded.transaction() as session:  # a date whose day and month cannot be mixed up
        session.execute(update(Contact).where(Contact.email == "giulia.rossi@example.it")
                        .values(created_at=datetime(2024, 3, 14, 23, 30, tzinfo=UTC)))
    shots = run_pilot(seeded.url)

    screen = "\n".join(shots["list"])
    assert "Contatti — alice (admin)" in screen
    assert "303 contatti · riga 1" in screen
    assert "Cerca nome, email o telefono  (/)" in screen
    header = next(line for line in shots["list"] if line.startswith("Nome "))
    # At 80 columns the language column gives way to the email (issue 9, item 12).
    assert header.split() == ["Nome", "Email", "Telefono", "Creato"]
    footer = shots["list"][-1]
    for label in ("⏎ Apri", "/ Cerca", "n Nuovo", "e Modifica", "d Elimina", "? Aiuto",
                  "^p Comandi"):
        assert label in footer  # every label whole at 80 columns
    for english in ("Contacts", "Search name", "Created", "Help", "Open"):
        assert english not in screen

    # The list shows the creation date the Italian way, day/month/year, in the account's
    # time zone: 23:30 UTC on 14 March is 15 March in Berlin.
    row = next(line for line in shots["search"] if line.startswith("Giulia Rossi"))
    assert row.split()[-1] == "15/03/2024"  # four-digit years in lists too
    assert "1 risultato per «giulia.rossi@ex»" in "\n".join(shots["search"])

    help_text = "\n".join(shots["help"])
    assert "Tasti — Contatti" in help_text
    for line in ("Cerca contatti", "Nuovo contatto", "Modifica il contatto selezionato",
                 "Elimina il contatto selezionato", "Copia l'ID del contatto negli appunti",
                 "Aggiorna l'elenco dei contatti", "Prima riga", "Pagina giù"):
        assert line in help_text
    for english in ("Search contacts", "New contact", "Edit the selected contact", "First row"):
        assert english not in help_text
