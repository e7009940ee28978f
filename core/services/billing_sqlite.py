"""The billing run's SQLite fast path: a chunk as DB-API parameter rows, and the worker.

On SQLite the chunk's rows are read and written straight through the DB-API (SQLAlchemy's
per-value bind processing costs more than the billing itself at a million subscriptions),
renewals use a slim UPDATE, and every UPDATE checks the `row_version` that was read, so a
row changed meanwhile is a Conflict and its chunk is computed again.

The worker protocol: `Worker` starts core.services.billing_worker in a child process that
reads and computes chunk k+1 (`read_chunk`, `SqliteChunks.compute`) while this process
writes chunk k (`write_chunk_sqlite`); messages are (epoch, after) requests and
(epoch, ok, ChunkResult) answers over two pipes, a restart bumps the epoch. The child only
reads; if it fails or dies, `InProcess` goes on from the last chunk received.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from functools import lru_cache
from json.encoder import c_make_encoder, encode_basestring_ascii
from json.scanner import c_make_scanner
from operator import itemgetter
from typing import Any

from sqlalchemy.orm import Session

from core.billing.engine import PlainPeriod, PlainRenewals
from core.errors import Conflict
from core.i18n import _
from core.models import utcnow
from core.services import audit
from core.services.billing_policy import (
    INVOICES,
    Advanced,
    TermsCache,
    advance,
    line_rows,
    stored_expire_reason,
)
from core.services.context import ServiceContext

_INVOICE_COLS = tuple(c.name for c in INVOICES.columns if c.name != "id")
_UPDATE_COLS = ("billing_state", "state", "next_billing_at", "current_period_start",
                "current_period_end", "expires", "expire_reason", "cancelled_at", "plan_id",
                "pending_plan_id", "pending_change_at", "invoice_count", "updated_at",
                "updated_by")
_JSON_COLS = frozenset({"lines", "billing_state"})
_SQLITE_INSERT = (f"INSERT INTO invoices ({', '.join(_INVOICE_COLS)}) "
                  f"VALUES ({', '.join('?' * len(_INVOICE_COLS))})")
_SQLITE_UPDATE = (f"UPDATE subscriptions SET {', '.join(c + ' = ?' for c in _UPDATE_COLS)}, "
                  "row_version = ? WHERE id = ? AND row_version = ?")
# A renewal changes neither the status, the expiry, the plan nor a pending move. SQLite
# rewrites every index on a column named in SET even when its value stays the same, so such
# rows leave those columns out (only when each value equals the one read: same end state).
_SLIM_COLS = ("billing_state", "next_billing_at", "current_period_start", "current_period_end",
              "invoice_count", "updated_at", "updated_by")
_slim = itemgetter(*(_UPDATE_COLS.index(c) for c in _SLIM_COLS), 14, 15, 16)
_SQLITE_UPDATE_SLIM = (f"UPDATE subscriptions SET {', '.join(c + ' = ?' for c in _SLIM_COLS)}, "
                       "row_version = ? WHERE id = ? AND row_version = ?")
# A renewal that applied a version move changes the plan and the pending move, but (when the
# fast path took it and they equal the values read) not the status, expiry or cancellation.
_MOVED_COLS = _SLIM_COLS + ("plan_id", "pending_plan_id", "pending_change_at")
_SQLITE_UPDATE_MOVED = (f"UPDATE subscriptions SET {', '.join(c + ' = ?' for c in _MOVED_COLS)}"
                        ", row_version = ? WHERE id = ? AND row_version = ?")
# The due rows, read straight through the DB-API: columns 0–9 as in SELECT_DUE, then the
# stored values of the columns a slim update leaves out.
_SQLITE_SELECT = ("SELECT id, contact_id, plan_id, amount, billing_state, pending_plan_id, "
                  "pending_change_at, invoice_count, expire_reason, row_version, state, "
                  "expires, cancelled_at FROM subscriptions "
                  "WHERE next_billing_at <= ? AND id > ? ORDER BY id LIMIT ?")
# The run's own connection checkpoints the WAL every ~80 MB instead of every 4 MB: fewer,
# larger checkpoints (WAL mode and synchronous=NORMAL unchanged: a commit is as durable).
WAL_AUTOCHECKPOINT = 20_000
SQLITE_DEFAULT_AUTOCHECKPOINT = 1000


@lru_cache(maxsize=65536)
def sqlite_ts(moment: datetime) -> str:
    """A UTC moment in the exact text form SQLAlchemy's SQLite DateTime writes."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _json_loads(text: str) -> Any:
    """json.loads, without its per-call set-up (the scanner is made once)."""
    try:
        value, end = _scan(text, 0)
    except StopIteration:  # leading white space: let json.loads say what it makes of it
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


if c_make_encoder is not None and c_make_scanner is not None:
    _scan = c_make_scanner(json.JSONDecoder())
    _encode = c_make_encoder(None, json.JSONEncoder().default, encode_basestring_ascii, None,
                             ": ", ", ", False, False, True)

    def _json_dumps(value: Any) -> str:
        """json.dumps (same text: default separators, ASCII), without its per-call set-up."""
        return "".join(_encode(value, 0))
else:  # a Python without the _json accelerator
    _json_loads, _json_dumps = json.loads, json.dumps


def _parse_sqlite_ts(value: str | None) -> datetime | None:
    """What UTCDateTime reads back from that text: an aware UTC datetime."""
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _sqlite_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _JSON_COLS:
        return json.dumps(value)
    if isinstance(value, datetime):
        return sqlite_ts(value)
    return value


def write_rows_sqlite(conn, rows: list[tuple[Any, Advanced]]) -> None:
    """The same writes straight through the DB-API: SQLAlchemy's per-value bind processing
    costs more than the billing itself at a million subscriptions."""
    cur = conn.connection.dbapi_connection.cursor()
    try:
        invoices = [tuple(_sqlite_value(c, inv[c]) for c in _INVOICE_COLS)
                    for _row, adv in rows for inv in adv.invoices]
        if invoices:
            cur.executemany(_SQLITE_INSERT, invoices)
        params = [tuple(_sqlite_value(c, adv.values[c]) for c in _UPDATE_COLS)
                  + (row.row_version + 1, row.id, row.row_version) for row, adv in rows]
        cur.executemany(_SQLITE_UPDATE, params)
        if cur.rowcount != len(params):
            raise Conflict(_("A subscription changed during the billing run."))
    finally:
        cur.close()



# -- SQLite: a chunk as DB-API parameter rows ------------------------------------------------


class _RawRow:
    """A row of _SQLITE_SELECT with the attributes (and value types) `advance` reads."""

    __slots__ = ("amount", "billing_state", "contact_id", "expire_reason", "id",
                 "invoice_count", "pending_change_at", "pending_plan_id", "plan_id",
                 "row_version")

    def __init__(self, r: tuple) -> None:
        (self.id, self.contact_id, self.plan_id, self.amount, state, self.pending_plan_id,
         pending_at, self.invoice_count, self.expire_reason, self.row_version) = r[:10]
        self.billing_state = json.loads(state)
        self.pending_change_at = _parse_sqlite_ts(pending_at)


class ChunkResult:
    """A computed chunk: the INSERT rows, the slim and full UPDATE rows, and its counts."""

    __slots__ = ("amounts", "counts", "first_id", "full", "invoices", "last_id", "moved", "n",
                 "slim")

    def __init__(self, rows: list[tuple]) -> None:
        self.n, self.first_id, self.last_id = len(rows), rows[0][0], rows[-1][0]
        self.invoices: list[tuple] = []
        self.slim: list[tuple] = []
        self.moved: list[tuple] = []  # slim columns plus plan and pending move
        self.full: list[tuple] = []
        self.counts = {"invoices": 0, "periods": 0, "setup_fees": 0, "moves": 0}
        self.amounts: dict[str, int] = {}

    def __getstate__(self):
        return tuple(getattr(self, k) for k in self.__slots__)

    def __setstate__(self, state) -> None:
        for k, v in zip(self.__slots__, state, strict=True):
            setattr(self, k, v)


class SqliteChunks:
    """Turns a chunk of _SQLITE_SELECT rows into its DB-API parameter rows. Pure (no database),
    so it runs in the run's worker process as well as in the run itself."""

    def __init__(self, upto: datetime, operator: str, *, fast: bool = True,
                 terms: TermsCache | None = None) -> None:
        self.upto, self.operator, self.fast = upto, operator, fast
        self.terms = terms or TermsCache()
        self._rendered: dict[PlainPeriod, tuple] = {}

    def _render(self, period: PlainPeriod) -> tuple:
        """A plain period's invoice columns, rendered once for all subscriptions sharing it."""
        inv = period.invoice
        values = (sqlite_ts(period.start), sqlite_ts(period.end), inv.currency,
                  json.dumps(line_rows(inv)), inv.net, inv.vat_amount, inv.amount)
        if len(self._rendered) >= 50_000:
            self._rendered.clear()
        self._rendered[period] = values
        return values

    def compute(self, rows: list[tuple], now: datetime) -> ChunkResult:
        out = ChunkResult(rows)
        invoices, slim, full, amounts = out.invoices, out.slim, out.full, out.amounts
        moved = out.moved
        upto, operator, fast, terms = self.upto, self.operator, self.fast, self.terms
        rendered, loads, dumps = self._rendered, _json_loads, _json_dumps
        renewals: dict[tuple[int, int | None], PlainRenewals] = {}
        parsed: dict[str, datetime] = {}  # pending_change_at text → moment
        now_sql = sqlite_ts(now)
        periods = setup_fees = moves = 0
        for r in rows:
            (sid, cid, plan_id, amount, state_text, pending_id, pending_at, seq, expire_reason,
             rv, status, expires, cancelled_at) = r
            billed = None
            if fast and (pending_id is None) == (pending_at is None):
                renewer = renewals.get((plan_id, amount))
                if renewer is None:
                    renewer = renewals[plan_id, amount] = terms.renewals(plan_id, amount)
                move = None
                if pending_id is not None:
                    mover = renewals.get((pending_id, amount))
                    if mover is None:
                        mover = renewals[pending_id, amount] = terms.renewals(pending_id,
                                                                              amount)
                    at = parsed.get(pending_at)
                    if at is None:
                        at = parsed[pending_at] = _parse_sqlite_ts(pending_at)
                    move = (at, mover)
                data = loads(state_text)
                billed = renewer.bill(data, upto, move)
            if billed is not None:
                invoice_plan, switch = plan_id, billed.switch
                for i, period in enumerate(billed.periods):
                    if i == switch:
                        invoice_plan = pending_id
                    start_sql, end_sql, currency, lines, net, vat, gross = (
                        rendered.get(period) or self._render(period))
                    seq += 1
                    invoices.append((f"{sid:06d}-{seq:04d}", sid, cid, invoice_plan, "plan",
                                     start_sql, start_sql, end_sql, start_sql, currency, lines,
                                     net, vat, gross, "open", None, None, now_sql, now_sql,
                                     operator, 1))
                    amounts[currency] = amounts.get(currency, 0) + gross
                periods += len(billed.periods)
                # = state_columns for the state the fast path leaves (see _advanced_plain).
                new_status, next_due = billed.status, billed.next_due
                next_sql = end_sql if next_due is billed.periods[-1].end else (
                    None if next_due is None else sqlite_ts(next_due))
                if switch is None:
                    new_plan, new_pending, new_pending_at = plan_id, pending_id, pending_at
                else:
                    new_plan, new_pending, new_pending_at = pending_id, None, None
                    moves += 1
                if new_status == "active" and billed.expires is None \
                        and billed.cancelled_at is None:
                    new_expires = new_cancelled = None
                    new_reason = expire_reason
                else:
                    new_expires = billed.expires and sqlite_ts(billed.expires)
                    new_cancelled = billed.cancelled_at and sqlite_ts(billed.cancelled_at)
                    new_reason = stored_expire_reason(billed, expire_reason)
                # Of the columns a slim update leaves out, write those that differ from
                # what was read (the general path compares the same way).
                same = (new_status, new_expires, new_reason, new_cancelled) == (
                    status, expires, expire_reason, cancelled_at)
                if same and switch is None:
                    slim.append((dumps(data), next_sql, start_sql, end_sql, seq, now_sql,
                                 operator, rv + 1, sid, rv))
                elif same:
                    moved.append((dumps(data), next_sql, start_sql, end_sql, seq, now_sql,
                                  operator, new_plan, None, None, rv + 1, sid, rv))
                else:
                    if new_pending_at is not None:
                        new_pending_at = sqlite_ts(parsed[new_pending_at])
                    full.append((dumps(data), new_status, next_sql, start_sql, end_sql,
                                 new_expires, new_reason, new_cancelled, new_plan, new_pending,
                                 new_pending_at, seq, now_sql, operator, rv + 1, sid, rv))
                continue
            adv = advance(_RawRow(r), terms, upto, now, operator)
            for inv in adv.invoices:
                invoices.append(tuple(_sqlite_value(c, inv[c]) for c in _INVOICE_COLS))
                amounts[inv["currency"]] = amounts.get(inv["currency"], 0) + inv["amount"]
            periods += adv.periods
            setup_fees += adv.setup_fees
            moves += adv.moved
            row = tuple(_sqlite_value(c, adv.values[c]) for c in _UPDATE_COLS) + (
                rv + 1, sid, rv)
            if (row[1], row[5], row[6], row[7], row[8], row[9], row[10]) == (
                    status, expires, expire_reason, cancelled_at, plan_id, pending_id,
                    pending_at):
                slim.append(_slim(row))
            else:
                full.append(row)
        out.counts.update(invoices=len(invoices), periods=periods, setup_fees=setup_fees,
                          moves=moves)
        return out


def write_chunk_sqlite(session: Session, ctx: ServiceContext, upto: datetime,
                        result: ChunkResult) -> None:
    """One chunk's transaction: its invoices, its subscriptions (version-checked), its audit
    record."""
    cur = session.connection().connection.dbapi_connection.cursor()
    try:
        if result.invoices:
            cur.executemany(_SQLITE_INSERT, result.invoices)
        for sql, params in ((_SQLITE_UPDATE_SLIM, result.slim),
                            (_SQLITE_UPDATE_MOVED, result.moved), (_SQLITE_UPDATE, result.full)):
            if params:
                cur.executemany(sql, params)
                if cur.rowcount != len(params):
                    raise Conflict(_("A subscription changed during the billing run."))
    finally:
        cur.close()
    audit.record(session, ctx, "billing_run", upto.isoformat(), "chunk", None,
                 {"first_id": result.first_id, "last_id": result.last_id, **result.counts})


def read_chunk(db, computer: SqliteChunks, upto_sql: str, after: int,
               chunk: int) -> list[tuple]:
    """The next chunk's due rows (ids after `after`), with their plan terms cached."""
    with db.reading() as session:
        cur = session.connection().connection.dbapi_connection.cursor()
        try:
            rows = cur.execute(_SQLITE_SELECT, (upto_sql, after, chunk)).fetchall()
        finally:
            cur.close()
        if rows:
            computer.terms.load(session, {r[2] for r in rows}
                                | {r[5] for r in rows if r[5] is not None})
    return rows


class InProcess:
    """Reads and computes the chunks in the run's own process, one at a time."""

    def __init__(self, db, computer: SqliteChunks, chunk: int, now: datetime | None) -> None:
        self.db, self.computer, self.chunk, self.now = db, computer, chunk, now
        self.upto_sql = sqlite_ts(computer.upto)
        self._after = 0

    def start(self, after: int) -> None:
        """Compute the chunks after id `after` (again, after a lost race)."""
        self._after = after

    def next(self) -> ChunkResult | None:
        """The next chunk computed; None when nothing more is due."""
        rows = read_chunk(self.db, self.computer, self.upto_sql, self._after, self.chunk)
        if not rows:
            return None
        result = self.computer.compute(rows, self.now or utcnow())
        self._after = result.last_id
        return result

    def close(self) -> None:
        pass


class Worker(InProcess):
    """Reads and computes the chunks ahead in a child process (core.services.billing_worker)
    while the run writes. The child only reads; if it fails or dies, the run goes on in
    process from the last chunk it received (a genuine error is then raised from there)."""

    def __init__(self, db, computer: SqliteChunks, chunk: int, now: datetime | None) -> None:
        import sys
        from multiprocessing.connection import Connection
        from pathlib import Path

        super().__init__(db, computer, chunk, now)
        req_r, req_w = os.pipe()
        res_r, res_w = os.pipe()
        root = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "core.services.billing_worker", str(req_r), str(res_w)],
                pass_fds=(req_r, res_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": path})
        finally:
            os.close(req_r)
            os.close(res_w)
        self._tx = Connection(req_w, readable=False)
        self._rx = Connection(res_r, writable=False)
        self._epoch = 0
        self.alive = self._send((db.url, computer.upto, computer.operator, computer.fast,
                                 chunk, now))

    def _send(self, message: Any) -> bool:
        try:
            self._tx.send(message)
            return True
        except OSError:  # the child is gone
            return False

    def start(self, after: int) -> None:
        super().start(after)
        self._epoch += 1
        self.alive = self.alive and self._send((self._epoch, after))

    def next(self) -> ChunkResult | None:
        while self.alive:
            try:
                epoch, ok, result = self._rx.recv()
            except (EOFError, OSError):
                break
            if epoch != self._epoch:
                continue  # computed before a restart
            if not ok:
                break
            if result is not None:
                self._after = result.last_id
            return result
        self.alive = False
        return super().next()  # the same result, or the error itself

    def close(self) -> None:
        for conn in (self._tx, self._rx):
            conn.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
