"""Output of the `kontor <noun> <verb>` commands: tables, JSON and CSV (see contract.py)."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any


def emit(rows: Sequence[dict[str, Any]], columns: Iterable[str], fmt: str,
         out=None) -> None:
    """Print rows as an aligned table, JSON (a list of objects) or CSV with a header."""
    from console.cli.contract import plain

    rows = [plain(r) for r in rows]
    out = out or sys.stdout
    columns = list(columns)
    if fmt == "json":
        json.dump(list(rows), out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: (", ".join(v) if isinstance(v, list) else v)
                             for k, v in r.items()})
        out.write(buf.getvalue())
    else:
        cells = [[_cell(r.get(c)) for c in columns] for r in rows]
        widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
        out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
        for row in cells:
            out.write("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return ", ".join(map(str, v))
    return str(v)


def emit_one(obj: dict[str, Any], fmt: str, out=None) -> None:
    """A show command's record: JSON an object, CSV one row, a table one `key  value` line each."""
    from console.cli.contract import plain

    out = out or sys.stdout
    obj = plain(obj)
    if fmt == "json":
        json.dump(obj, out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
    elif fmt == "csv":
        emit([{k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list))
                   and not (isinstance(v, list) and all(isinstance(x, str) for x in v))
                   else v) for k, v in obj.items()}], obj.keys(), "csv", out)
    else:
        width = max((len(k) for k in obj), default=0)
        for k, v in obj.items():
            text = (json.dumps(v, ensure_ascii=False) if isinstance(v, dict)
                    or (isinstance(v, list) and v and not isinstance(v[0], str)) else _cell(v))
            out.write(f"{k.ljust(width)}  {text}".rstrip() + "\n")
