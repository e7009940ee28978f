"""One write path for the services (cosmicpython's unit of work, kept small).

Every service that edits a record goes through here:

1. `load(session, kind, key)` — the row, or NotFound (`kind.not_found`);
   `load(..., lock=True)` for a state action — under a row lock: SELECT … FOR UPDATE on
   PostgreSQL; on SQLite the write transaction is opened at once (BEGIN IMMEDIATE), which
   locks the database for writers, and the row is read again inside it;
2. `check_version(kind, row, expected)` — Conflict naming who changed it and when;
3. the service changes the row;
4. `save(session, ctx, kind, row, action, before, after)` — stamps updated_at/by, flushes
   (a concurrent writer that got in between the check and the flush is a Conflict too, caught
   by the version column), and writes one audit record with the before/after of the fields
   that changed.

The version column is `row_version` on every versioned model except those listed in
`Kind.version_attr` (the plan's `version` is Reepay's plan version, not a lock counter).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.errors import Conflict, NotFound
from core.models import utcnow
from core.services import audit


@dataclass(frozen=True)
class Kind:
    """How one versioned model is loaded, checked and audited."""

    model: type
    entity: str  # the audit record's entity
    not_found: Callable[[Any], str]  # key -> message
    changed: Callable[[str, str], str]  # (by, at as text) -> "changed by … at … — reload"
    meanwhile: Callable[[], str]  # a writer got in between check and flush
    version_attr: str = "row_version"
    lookup: Callable[[Session, Any, bool], Any] | None = None  # by something else than the id


def lock_sqlite(session: Session) -> None:
    """Open the write transaction now (BEGIN IMMEDIATE) unless one is open: a second writer
    waits here (busy_timeout) and then reads what the first one committed."""
    driver = session.connection().connection.driver_connection
    if not driver.in_transaction:
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")


def load(session: Session, kind: Kind, key: Any, *, lock: bool = False) -> Any:
    """The row of `kind` at `key` (fresh from the database when locked), or NotFound."""
    dialect = session.get_bind().dialect.name
    if lock and dialect == "sqlite":
        lock_sqlite(session)
    pg_lock = lock and dialect != "sqlite"
    if kind.lookup is not None:
        row = kind.lookup(session, key, pg_lock)
    else:
        row = session.get(kind.model, key, with_for_update=pg_lock or None,
                          populate_existing=lock)
    if row is None:
        raise NotFound(kind.not_found(key))
    return row


def version_of(kind: Kind, row: Any) -> int:
    return getattr(row, kind.version_attr)


def conflict(kind: Kind, row: Any) -> Conflict:
    """Who changed the row and when (models without `updated_by` name nobody)."""
    at: datetime | None = getattr(row, "updated_at", None)
    by: str = getattr(row, "updated_by", "") or ""
    return Conflict(kind.changed(by, at.strftime("%Y-%m-%d %H:%M:%S UTC") if at else ""),
                    changed_by=by or None, changed_at=at)


def check_version(kind: Kind, row: Any, expected: int | None, *,
                  required: bool = True) -> None:
    """Conflict unless `row` is still at `expected`. A field edit from a form must name the
    version it showed (`required`); a state action may pass None (it runs under the lock)."""
    if expected is None:
        if required:
            raise TypeError(f"{kind.entity}: the expected version is required")
        return
    if version_of(kind, row) != expected:
        raise conflict(kind, row)


def load_for_write(session: Session, kind: Kind, key: Any, expected: int | None, *,
                   lock: bool = False, required: bool = True) -> Any:
    """`load` then `check_version`."""
    row = load(session, kind, key, lock=lock)
    check_version(kind, row, expected, required=required)
    return row


def flush(session: Session, kind: Kind) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(kind.meanwhile()) from None


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None
         ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The fields that changed: (before, after) restricted to them; a create or delete
    (one side None) keeps the other side whole."""
    if before is None or after is None:
        return before, after
    keys = [k for k in after if before.get(k) != after[k]] + [
        k for k in before if k not in after]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def save(session: Session, ctx: Any, kind: Kind, row: Any, action: str,
         before: dict[str, Any] | None, after: dict[str, Any] | None, *,
         extra: dict[str, Any] | None = None, now: datetime | None = None,
         key: Any = None) -> None:
    """Stamp, flush (Conflict on a lost race), and audit the changed fields (+ `extra`)."""
    if hasattr(row, "updated_at"):
        row.updated_at = now or utcnow()
    if hasattr(row, "updated_by"):
        row.updated_by = ctx if isinstance(ctx, str) else ctx.operator
    flush(session, kind)
    b, a = diff(before, after)
    if extra:
        a = {**(a or {}), **extra}
    audit.record(session, ctx, kind.entity, key if key is not None else row.id, action, b, a,
                 at=now)


__all__ = ["Kind", "check_version", "conflict", "diff", "flush", "load", "load_for_write",
           "save", "version_of"]
