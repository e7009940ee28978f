"""Extract messages, merge them into the catalogs and compile: `python3 dev.py i18n`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "core" / "locale"
POT = LOCALE / "kontor.pot"
LANGS = ("de", "it")


def main() -> int:
    babel = [sys.executable, "-m", "babel.messages.frontend"]
    subprocess.run(babel + ["extract", "-F", str(ROOT / "babel.cfg"), "-k", "_", "-k", "N_",
                            "-k", "ngettext:1,2", "--no-location", "--omit-header",
                            "--sort-output", "-o", str(POT), str(ROOT)], check=True)
    for lang in LANGS:
        po = LOCALE / lang / "LC_MESSAGES" / "kontor.po"
        if po.exists():
            subprocess.run(babel + ["update", "-i", str(POT), "-o", str(po), "-l", lang,
                                    "--no-fuzzy-matching", "--ignore-obsolete"], check=True)
        else:
            subprocess.run(babel + ["init", "-i", str(POT), "-o", str(po), "-l", lang],
                           check=True)
    compile_catalogs()
    return 0


def compile_catalogs() -> None:
    """Write each .po's .mo (the .mo files ship in the wheel; a test keeps them current)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for lang in LANGS:
        po = LOCALE / lang / "LC_MESSAGES" / "kontor.po"
        with po.open("rb") as f:
            catalog = read_po(f, locale=lang)
        with (po.with_suffix(".mo")).open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)


if __name__ == "__main__":
    sys.exit(main())
