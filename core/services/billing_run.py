"""The billing run: every invoice due up to a moment, in chunks, idempotent by construction.

Why a run killed at any moment and re-run ends exactly like one uninterrupted run:
- A chunk is one transaction that inserts its invoices *and* writes each subscription's new
  engine state (next period, counters, status). Either both are committed or neither is.
- A subscription is due while `next_billing_at` ≤ the run's moment; after a committed chunk
  its subscriptions are billed up to that moment and no longer due, so a re-run selects only
  what is left, in the same order (by id).
- Invoice numbers are "<subscription id>-<sequence>", the sequence being the subscription's
  own invoice count: a function of what is invoiced, never of run order or chunking.
- The UNIQUE key (subscription, period start or issue time, kind) refuses a duplicate even
  from two runs racing; subscription updates are version-checked and a chunk that lost a race
  is rolled back and redone.

Speed (docs/billing.md, "Performance"): renewals of full periods (also with a fixed count,
a fixed term, a pending cancellation or a same-schedule version move) take the engine's fast
path (`PlainRenewals`) on the stored state; on SQLite the chunk's rows are read and written
straight through the DB-API, renewals use a slim UPDATE, and in a large run a worker process
(core.services.billing_worker) reads and computes the next chunks while this process writes.
Only this process writes, one transaction per chunk, so none of the above changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from core.billing import (
    until_moment,
)
from core.errors import Conflict, ValidationFailed
from core.i18n import _
from core.models import utcnow
from core.schemas.subscriptions import RunSummary
from core.services import audit, billing_sqlite
from core.services.billing_policy import (
    ACCOUNT_TZ_KEY,
    CHUNK,
    INVOICES,
    SELECT_DUE,
    SUBS,
    UPDATE_SUB,
    Advanced,
    TermsCache,
    account_timezone,
    advance,
    invoice_number,
    invoice_row,
    line_rows,
    state_columns,
    subscription_status,
    use_worker,
)
from core.services.billing_sqlite import (
    SQLITE_DEFAULT_AUTOCHECKPOINT,
    WAL_AUTOCHECKPOINT,
    InProcess,
    SqliteChunks,
    write_rows_sqlite,
)
from core.services.context import ServiceContext, require


def write_advanced(session: Session, rows: list[tuple[Any, Advanced]]) -> None:
    """Insert the invoices and update the subscriptions of a batch (executemany)."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        write_rows_sqlite(conn, rows)
        return
    invoices = [inv for _row, adv in rows for inv in adv.invoices]
    if invoices:
        conn.execute(insert(INVOICES), invoices)
    params = []
    for row, adv in rows:
        v = adv.values
        v["b_id"], v["b_rv"], v["row_version"] = row.id, row.row_version, row.row_version + 1
        params.append(v)
    if params:
        result = conn.execute(UPDATE_SUB, params)
        if conn.dialect.supports_sane_multi_rowcount and result.rowcount != len(params):
            raise Conflict(_("A subscription changed during the billing run."))



def parse_until(value: str) -> date | datetime:
    """`--until`: an ISO date (its whole local day) or an ISO date-time."""
    try:
        if "T" in value or " " in value.strip():
            return datetime.fromisoformat(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed({"until": _("Not an ISO date (2026-05-31) or date-time: "
                                           "{value}").format(value=value)}) from None


def run_billing(ctx: ServiceContext, until: date | datetime, *, chunk: int = CHUNK,
                progress: Callable[[int, int], None] | None = None,
                now: datetime | None = None, fast: bool = True,
                worker: bool | None = None) -> RunSummary:
    """Create every invoice due up to `until` (a date includes its whole local day).

    `fast`: plain renewals take the engine's fast path (same results; off only to compare).
    `worker` (SQLite): compute chunk k+1 in a child process while chunk k is written; None
    decides by the size of the run (env KONTOR_BILLING_WORKER=0/1 overrides)."""
    started = time.perf_counter()
    with ctx.db.transaction() as session:
        require(session, ctx, "subscriptions.write")
        tz = account_timezone(session)
        upto = until_moment(until, tz)
        total = session.scalar(select(func.count()).select_from(SUBS)
                               .where(SUBS.c.next_billing_at <= upto))
    summary = {"subscriptions": 0, "invoices": 0, "periods": 0, "setup_fees": 0,
               "version_moves": 0, "chunks": 0, "groups_refreshed": 0}
    amounts: dict[str, int] = {}

    def tally(n: int, counts: dict[str, int], chunk_amounts: dict[str, int]) -> None:
        # Counted only once the chunk is written (a retried chunk must not count twice).
        summary["subscriptions"] += n
        summary["invoices"] += counts["invoices"]
        summary["periods"] += counts["periods"]
        summary["setup_fees"] += counts["setup_fees"]
        summary["version_moves"] += counts["moves"]
        summary["chunks"] += 1
        for cur, amount in chunk_amounts.items():
            amounts[cur] = amounts.get(cur, 0) + amount
        if progress:
            progress(summary["subscriptions"], total)

    if ctx.db.dialect == "sqlite":
        _run_sqlite(ctx, upto, chunk, now, fast, use_worker(worker, total, chunk), tally)
    else:
        _run_generic(ctx, upto, chunk, now, fast, tally)
    # What has passed by `upto` is stored on the accesses (ended, paused, overdue), audited
    # as `system` (core/services/access_status.py).
    from core.services.access_status import persist_statuses

    persist_statuses(ctx, upto, now=now)
    # Groups whose purchase subscriptions ended (or whose cached live date passed) get their
    # cached seats and offline date, audited as `system` (core/services/groups.py).
    from core.services.groups import refresh_due_groups

    summary["groups_refreshed"] = refresh_due_groups(ctx, upto)
    seconds = time.perf_counter() - started
    return RunSummary(until=str(until), upto=upto, amount_by_currency=amounts,
                      seconds=round(seconds, 3),
                      periods_per_second=round(summary["periods"] / seconds, 1) if seconds
                      else 0.0, **summary)


def _run_sqlite(ctx, upto, chunk, now, fast, use_worker, tally) -> None:
    """Chunks in id order, each one transaction on the run's own connection. With the worker
    process, chunk k+1 is read and computed while chunk k is written: safe because chunks are
    disjoint and every UPDATE checks the row_version that was read, so a row changed since is
    a Conflict, and its chunk is read and computed again (the rows were always read outside
    the write transaction here: pysqlite begins it at the first INSERT)."""
    computer = SqliteChunks(upto, ctx.operator, fast=fast)
    source = InProcess(ctx.db, computer, chunk, now)
    if use_worker:
        try:
            source = billing_sqlite.Worker(ctx.db, computer, chunk, now)
        except OSError:  # cannot start a process here: compute in process
            pass
    writer = ctx.db.engine.connect()
    raw = writer.connection.dbapi_connection
    raw.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}")
    try:
        after, attempts = 0, 0
        source.start(after)
        while (result := source.next()) is not None:
            try:
                with Session(bind=writer, expire_on_commit=False) as session, session.begin():
                    billing_sqlite.write_chunk_sqlite(session, ctx, upto, result)
            except Conflict:
                attempts += 1
                if attempts == 3:
                    raise
                source.start(after)  # read and compute that chunk again
                continue
            attempts = 0
            after = result.last_id
            tally(result.n, result.counts, result.amounts)
    finally:
        source.close()
        try:
            raw.execute(f"PRAGMA wal_autocheckpoint={SQLITE_DEFAULT_AUTOCHECKPOINT}")
            raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            writer.close()


def _run_generic(ctx, upto, chunk, now, fast, tally) -> None:
    """PostgreSQL (any SQLAlchemy dialect): chunks read FOR UPDATE and written in one
    transaction each, retried on a lost race."""
    terms_for = TermsCache()
    after = 0
    select_due = SELECT_DUE.limit(chunk)
    if ctx.db.dialect == "postgresql":
        select_due = select_due.with_for_update()
    while True:
        for attempt in range(3):
            try:
                with ctx.db.transaction() as session:
                    done = _run_chunk(session, ctx, select_due, upto, after, terms_for, now,
                                      fast)
                break
            except Conflict:
                if attempt == 2:
                    raise
        if done is None:
            break
        after = done[0]
        tally(*done[1:])


def _run_chunk(session, ctx, select_due, upto, after, terms_for, now, fast):
    rows = session.execute(select_due, {"upto": upto, "after": after}).all()
    if not rows:
        return None
    now = now or utcnow()
    plan_ids = {r.plan_id for r in rows} | {r.pending_plan_id for r in rows
                                             if r.pending_plan_id is not None}
    terms_for.load(session, plan_ids)
    batch = [(r, advance(r, terms_for, upto, now, ctx.operator, fast=fast)) for r in rows]
    write_advanced(session, batch)
    counts = {"invoices": 0, "periods": 0, "setup_fees": 0, "moves": 0}
    chunk_amounts: dict[str, int] = {}
    for _row, adv in batch:
        counts["invoices"] += len(adv.invoices)
        counts["periods"] += adv.periods
        counts["setup_fees"] += adv.setup_fees
        counts["moves"] += adv.moved
        for inv in adv.invoices:
            chunk_amounts[inv["currency"]] = chunk_amounts.get(inv["currency"], 0) + inv[
                "amount"]
    audit.record(session, ctx, "billing_run", upto.isoformat(), "chunk", None,
                 {"first_id": rows[0].id, "last_id": rows[-1].id, **counts})
    return rows[-1].id, len(rows), counts, chunk_amounts


# What the services, the migrations and the tests import from here (one place to ask).
__all__ = ["ACCOUNT_TZ_KEY", "CHUNK", "TermsCache", "account_timezone", "advance",
           "invoice_number", "invoice_row", "line_rows", "parse_until", "run_billing",
           "state_columns", "subscription_status", "write_advanced"]
