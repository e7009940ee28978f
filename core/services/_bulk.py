"""The bulk helper: one action on many rows, all or nothing.

`run(...)` loads every row under the row lock (SELECT … FOR UPDATE on PostgreSQL, the write
transaction at once on SQLite), asks `check(row)` — the transition table's reason, or None —
for every row first, and:

* any refusal (or an id that does not exist): nothing is written, `BulkRefused` lists every
  refused row with its reason;
* otherwise `apply(row)` changes each row inside the caller's one transaction (an error on
  any row rolls back all of them), one flush, and one audit record per row (its before/after
  of the changed fields).

`preview(...)` runs the same checks without the lock and writes nothing: the counts a
confirmation dialog shows. The caller owns the transaction (`ctx.db.transaction()`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import ValidationFailed
from core.i18n import _, ngettext
from core.models import utcnow
from core.schemas.bulk import BulkPreview, BulkRefusal, BulkResult
from core.services import _uow, audit

ID_BATCH = 500  # ids per SELECT … IN (…): far below every driver's parameter limit
MAX_ROWS = 100_000  # one bulk action, one transaction: bounded
SHOWN = 5  # refused rows named in the message (all of them are on `refused`)


class BulkRefused(ValidationFailed):
    """Some rows refuse the action; nothing was written. `refused`: every one, with why."""

    def __init__(self, action: str, total: int, refused: list[BulkRefusal]):
        self.action, self.total, self.refused = action, total, refused
        named = "; ".join(f"#{r.id}: {r.reason}" for r in refused[:SHOWN])
        more = len(refused) - SHOWN
        if more > 0:
            named += " " + ngettext("(and {n} more)", "(and {n} more)", more).format(n=more)
        super().__init__({"_": ngettext(
            "{n} of {total} cannot be changed, nothing was changed: {rows}",
            "{n} of {total} cannot be changed, nothing was changed: {rows}",
            len(refused)).format(n=len(refused), total=total, rows=named)})


def _distinct(ids: Iterable[int]) -> list[int]:
    out = list(dict.fromkeys(int(i) for i in ids))
    if not out:
        raise ValidationFailed({"ids": _("Choose at least one row.")})
    if len(out) > MAX_ROWS:
        raise ValidationFailed({"ids": _("At most {n} rows at once.").format(n=MAX_ROWS)})
    return out


def _load(session: Session, kind: _uow.Kind, ids: list[int], lock: bool) -> dict[int, Any]:
    dialect = session.get_bind().dialect.name
    if lock and dialect == "sqlite":
        _uow.lock_sqlite(session)
    rows: dict[int, Any] = {}
    pk = kind.model.id
    for start in range(0, len(ids), ID_BATCH):
        q = select(kind.model).where(pk.in_(ids[start:start + ID_BATCH])).order_by(pk)
        if lock and dialect != "sqlite":
            q = q.with_for_update()
        rows.update((r.id, r) for r in session.scalars(
            q.execution_options(populate_existing=True)))
    return rows


def _refusals(kind: _uow.Kind, ids: list[int], rows: dict[int, Any],
              check: Callable[[Any], str | None]) -> list[BulkRefusal]:
    refused = []
    for i in ids:
        row = rows.get(i)
        reason = kind.not_found(i) if row is None else check(row)
        if reason is not None:
            refused.append(BulkRefusal(id=i, reason=reason))
    return refused


def preview(session: Session, kind: _uow.Kind, action: str, ids: Iterable[int],
            check: Callable[[Any], str | None]) -> BulkPreview:
    """The counts and the refused rows, nothing written."""
    wanted = _distinct(ids)
    refused = _refusals(kind, wanted, _load(session, kind, wanted, lock=False), check)
    return BulkPreview(action=action, total=len(wanted), allowed=len(wanted) - len(refused),
                       refused=refused)


def run(session: Session, ctx: Any, kind: _uow.Kind, action: str, ids: Iterable[int], *,
        check: Callable[[Any], str | None],
        apply: Callable[[Any], tuple[dict[str, Any], dict[str, Any]]],
        now: datetime | None = None) -> BulkResult:
    """Check every row, then change all of them or none. `apply(row)` changes one row and
    returns its (before, after) snapshots for the audit."""
    wanted = _distinct(ids)
    rows = _load(session, kind, wanted, lock=True)
    refused = _refusals(kind, wanted, rows, check)
    if refused:
        raise BulkRefused(action, len(wanted), refused)
    now = now or utcnow()
    changes = []
    for i in wanted:
        row = rows[i]
        before, after = apply(row)
        if hasattr(row, "updated_at"):
            row.updated_at = now
        if hasattr(row, "updated_by"):
            row.updated_by = ctx.operator
        changes.append((row, before, after))
    _uow.flush(session, kind)
    for row, before, after in changes:
        b, a = _uow.diff(before, after)
        audit.record(session, ctx, kind.entity, row.id, action, b, a)
    return BulkResult(action=action, done=len(wanted), ids=wanted)


__all__ = ["BulkRefused", "preview", "run"]
