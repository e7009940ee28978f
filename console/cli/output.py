"""Output of the `kontor <noun> <verb>` commands: tables, JSON and CSV (see contract.py).

JSON and CSV are for scripts: English snake_case keys, enum values as stored, ISO 8601 dates.
A table is for people: its headers, states and yes/no are in the operator's language
(`--lang`), dates and amounts formatted by the locale (four-digit years, "58,06 €").
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from core.i18n import N_, _

# Column headers of the tables (a column without one shows its key).
HEADERS: dict[str, str] = {
    "id": N_("ID"), "name": N_("Name"), "email": N_("Email"), "phone": N_("Phone"),
    "language": N_("Language"), "tags": N_("Tags"), "created_at": N_("Created"),
    "created": N_("Created"), "key": N_("Setting"), "value": N_("Value"),
    "default": N_("Default"), "is_default": N_("Is default"),
    "description": N_("Description"), "handle": N_("Handle"), "version": N_("Version"),
    "state": N_("Status"), "amount": N_("Amount"), "currency": N_("Currency"),
    "billing_frequency": N_("Billing frequency"), "trial": N_("Trial"),
    "login": N_("Login"), "role": N_("Role"), "active": N_("Active"),
    "contact_id": N_("Contact"), "plan_handle": N_("Plan"), "plan_version": N_("Plan version"),
    "quantity": N_("Quantity"), "start": N_("Start"), "next_invoice_at": N_("Next invoice"),
    "expires": N_("Expires"), "number": N_("Number"), "subscription_id": N_("Subscription"),
    "kind": N_("Kind"), "issued": N_("Issued"), "period_start": N_("Period start"),
    "period_end": N_("Period end"), "vat_amount": N_("VAT"), "vat": N_("VAT"),
    "period": N_("Period"), "lines": N_("Lines"), "trial_start": N_("Trial starts"),
    "trial_end": N_("Trial ends"), "first_period_start": N_("First period"),
    "first_period_end": N_("First period ends"), "cancelled_at": N_("Cancelled"),
    "notes": N_("Notes"), "updated_at": N_("Changed"), "updated_by": N_("Changed by"),
    # catalogue
    "product": N_("Product"), "payment": N_("Payment"), "price": N_("Price"),
    "plan": N_("Plan"), "is_bundle": N_("Bundle"), "lesson_count": N_("Lessons"),
    "archived": N_("Archived"),
    "ordered_at": N_("Ordered"), "contact_name": N_("Contact"), "product_name": N_("Product"),
    "total": N_("Total"), "status": N_("Status"), "offer": N_("Offer"),
    "starts_at": N_("Start"), "ends_at": N_("End"),
}
# Stored values a table shows in words (JSON and CSV keep the stored value).
VALUE_LABELS: dict[str, dict[str, str]] = {
    "state": {
        "active": N_("active"), "superseded": N_("superseded"), "deleted": N_("deleted"),
        "trial": N_("trial"), "pending_cancellation": N_("pending cancellation"),
        "cancelled": N_("cancelled"), "expired": N_("expired"), "on_hold": N_("on hold"),
        "pending": N_("not started"), "open": N_("open"), "paid": N_("paid"),
        "failed": N_("failed"), "credited": N_("credited")},
    "status": {
        "active": N_("active"), "pending_cancellation": N_("pending cancellation"),
        "cancelled": N_("cancelled"), "expired": N_("expired"), "paused": N_("paused"),
        "overdue": N_("overdue"), "pending": N_("pending"), "paid": N_("paid"),
        "refunded": N_("refunded")},
    "role": {"admin": N_("admin"), "agent": N_("agent"), "viewer": N_("viewer")},
    "payment": {"one_time": N_("one-time"), "subscription": N_("subscription"),
                "instalments": N_("instalments")},
    "kind": {"course": N_("course"), "membership": N_("membership"), "plan": N_("plan"),
             "prorated_plan": N_("prorated plan"), "setup_fee": N_("setup fee"),
             "credit": N_("credit"), "change": N_("plan change")},
}
# Columns of minor units; the row's `currency` says which.
MONEY_COLUMNS = ("amount", "vat_amount", "period_amount", "next_invoice_amount", "price",
                 "total")


def header(column: str) -> str:
    label = HEADERS.get(column)
    return _(label) if label else column


def table_cell(column: str, value: Any, row: dict[str, Any] | None = None) -> str:
    """One value of a table as the operator reads it (see the module's docstring)."""
    from core.i18n import format_money, format_short_date, format_short_datetime

    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return format_short_datetime(value if value.tzinfo else value.replace(
            tzinfo=UTC))
    if isinstance(value, date):
        return format_short_date(value)
    currency = (row or {}).get("currency")
    if column in MONEY_COLUMNS and isinstance(value, int) and isinstance(currency, str):
        try:
            return format_money(value, currency)
        except ValueError:  # an unknown currency code: the plain number
            return str(value)
    labels = VALUE_LABELS.get(column)
    if labels and isinstance(value, str) and value in labels:
        return _(labels[value])
    if hasattr(value, "value") and hasattr(type(value), "__members__"):  # an Enum
        return table_cell(column, value.value, row)
    return _cell(value)


def emit(rows: Sequence[dict[str, Any]], columns: Iterable[str], fmt: str,
         out=None) -> None:
    """Print rows as an aligned table, JSON (a list of objects) or CSV with a header."""
    from console.cli.contract import plain

    raw = [r.model_dump() if hasattr(r, "model_dump") else dict(r) for r in rows]
    rows = [plain(r) for r in raw]
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
        cells = [[table_cell(c, r.get(c), r) for c in columns] for r in raw]
        heads = [header(c) for c in columns]
        widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(heads)]
        out.write("  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip() + "\n")
        for row in cells:
            out.write("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return ", ".join(map(str, v))
    return str(v)


def emit_one(obj: dict[str, Any], fmt: str, out=None, *, field_names: bool = False) -> None:
    """A show command's record: JSON an object, CSV one row, a table one `key  value` line each
    (the key translated, unless `field_names`: Reepay's field names are the vocabulary)."""
    from console.cli.contract import plain

    out = out or sys.stdout
    obj_raw, obj = obj, plain(obj)
    if fmt == "json":
        json.dump(obj, out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
    elif fmt == "csv":
        emit([{k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list))
                   and not (isinstance(v, list) and all(isinstance(x, str) for x in v))
                   else v) for k, v in obj.items()}], obj.keys(), "csv", out)
    else:
        raw = obj_raw.model_dump() if hasattr(obj_raw, "model_dump") else dict(obj_raw)
        heads = {k: (k if field_names else header(k)) for k in obj}
        width = max((len(h) for h in heads.values()), default=0)
        for k, v in obj.items():
            r = raw.get(k, v)
            text = (json.dumps(v, ensure_ascii=False) if isinstance(v, dict)
                    or (isinstance(v, list) and v and not isinstance(v[0], str))
                    else table_cell(k, r, raw))
            out.write(f"{heads[k].ljust(width)}  {text}".rstrip() + "\n")
