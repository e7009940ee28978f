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

import json
import os
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from json.encoder import c_make_encoder, encode_basestring_ascii
from json.scanner import c_make_scanner
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from core.billing import (
    PlanTerms,
    SubscriptionState,
    apply_version,
    next_due_at,
    next_invoice,
    status_at,
    until_moment,
)
from core.billing.engine import Invoice as EngineInvoice
from core.billing.engine import PlainPeriod, PlainRenewals, RenewalCache, Renewed
from core.errors import Conflict, ValidationFailed
from core.i18n import _
from core.models import Invoice, Plan, Subscription, utcnow
from core.schemas.subscriptions import RunSummary
from core.services import audit
from core.services.context import ServiceContext, require

ACCOUNT_TZ_KEY = "account_timezone"
CHUNK = 2000
_SUBS = Subscription.__table__
_INVOICES = Invoice.__table__


def account_timezone(session: Session) -> str:
    """The account time zone (setting `account_timezone`, default Europe/Berlin), as the
    settings service reads it (one source)."""
    from core.services.settings import setting

    return setting(session, ACCOUNT_TZ_KEY)


def invoice_number(subscription_id: int, sequence: int) -> str:
    return f"{subscription_id:06d}-{sequence:04d}"


def line_rows(invoice: EngineInvoice) -> list[dict[str, Any]]:
    return [{"kind": ("prorated_plan" if line.kind == "plan" and line.prorated else line.kind),
             "text": line.text, "quantity": line.quantity, "net": line.net,
             "vat": line.vat_amount, "gross": line.amount}
            for line in invoice.lines]


def invoice_row(invoice: EngineInvoice, *, kind: str, number: str, subscription_id: int,
                contact_id: int, plan_id: int, now: datetime, operator: str) -> dict[str, Any]:
    return {
        "number": number, "subscription_id": subscription_id, "contact_id": contact_id,
        "plan_id": plan_id, "kind": kind,
        "period_key": invoice.period_start or invoice.issued,
        "period_start": invoice.period_start, "period_end": invoice.period_end,
        "issued": invoice.issued, "currency": invoice.currency, "lines": line_rows(invoice),
        "net": invoice.net, "vat_amount": invoice.vat_amount, "amount": invoice.amount,
        "state": "open", "paid_at": None, "failed_at": None, "created_at": now,
        "updated_at": now, "updated_by": operator, "row_version": 1,
    }


def subscription_status(state: SubscriptionState, at: datetime, on_hold: bool) -> str:
    """The stored status at `at`: the engine's, with on_hold and a future start mapped."""
    if on_hold:
        return "on_hold"
    status = status_at(state, at)
    if status == "pending":  # not started yet: in trial when it has one (Reepay's in_trial)
        return "trial" if state.trial_end is not None else "active"
    return status


def state_columns(terms: PlanTerms, state: SubscriptionState, at: datetime, *,
                  on_hold: bool = False, expire_reason: str | None = None) -> dict[str, Any]:
    """The queryable columns that mirror the engine state, as of `at`."""
    status = subscription_status(state, at, on_hold)
    if status in ("cancelled", "expired") and expire_reason != "ondemand":
        expire_reason = state.expire_reason
    return {
        "billing_state": state.to_storage_dict(),
        "state": status,
        "next_billing_at": None if on_hold else next_due_at(terms, state, at),
        "current_period_start": state.current_period_start,
        "current_period_end": state.current_period_end,
        "expires": state.expires,
        "expire_reason": expire_reason,
        "cancelled_at": state.cancelled_at,
    }


class TermsCache:
    """PlanTerms per (plan id, amount override), loaded in batches, bounded; and the engine's
    fast path (`PlainRenewals`, with its period cache) per the same key."""

    def __init__(self, limit: int = 20_000, *, plan_limit: int | None = None):
        self._plans: dict[int, PlanTerms] = {}
        self._terms: dict[tuple[int, int | None], PlanTerms] = {}
        self._renewals: dict[tuple[int, int | None], PlainRenewals] = {}
        self._renewal_cache = RenewalCache()
        self._limit = limit
        self._plan_limit = limit if plan_limit is None else plan_limit

    def load(self, session: Session, plan_ids: set[int]) -> None:
        """Make sure every plan in `plan_ids` is cached (loading what is missing)."""
        from core.services.plans import plan_terms

        missing = [i for i in plan_ids if i not in self._plans]
        if len(self._plans) + len(missing) > self._plan_limit:
            self.clear()
            missing = list(plan_ids)
        for start in range(0, len(missing), 500):
            for p in session.scalars(select(Plan).where(Plan.id.in_(missing[start:start + 500]))):
                self._plans[p.id] = plan_terms(p)

    def add(self, plans: dict[int, PlanTerms]) -> None:
        """Cache terms loaded elsewhere (the billing worker receives them this way)."""
        if len(self._plans) + sum(1 for i in plans if i not in self._plans) > self._plan_limit:
            self.clear()
        self._plans.update(plans)

    def plan(self, plan_id: int) -> PlanTerms:
        return self._plans[plan_id]

    def clear(self) -> None:
        self._plans.clear()
        self._terms.clear()
        self._renewals.clear()

    def __call__(self, plan_id: int, amount: int | None) -> PlanTerms:
        key = (plan_id, amount)
        terms = self._terms.get(key)
        if terms is None:
            base = self._plans[plan_id]
            terms = base if amount is None else _with_amount(base, amount)
            if len(self._terms) >= self._limit:  # amount overrides can be per subscription
                self._terms.clear()
                self._renewals.clear()
            self._terms[key] = terms
        return terms

    def renewals(self, plan_id: int, amount: int | None) -> PlainRenewals:
        """The engine's fast path for these terms (one per key, so its caches are shared)."""
        key = (plan_id, amount)
        renewals = self._renewals.get(key)
        if renewals is None:
            renewals = PlainRenewals(self(plan_id, amount), self._renewal_cache)
            if len(self._renewals) >= self._limit:
                self._renewals.clear()
            self._renewals[key] = renewals
        return renewals


def _with_amount(terms: PlanTerms, amount: int) -> PlanTerms:
    from dataclasses import replace

    return replace(terms, amount=amount)


class Advanced:
    """One subscription billed up to a moment: its new invoice rows and column values."""

    __slots__ = ("invoices", "moved", "periods", "setup_fees", "values")

    def __init__(self):
        self.invoices: list[dict[str, Any]] = []
        self.values: dict[str, Any] = {}
        self.periods = 0
        self.setup_fees = 0
        self.moved = 0


def advance(sub: Any, terms_for: Callable[[int, int | None], PlanTerms], upto: datetime,
            now: datetime, operator: str, *, fast: bool = False) -> Advanced:
    """Bill one subscription row up to `upto` with the engine, applying a pending plan move
    at the start of its period (the same loop as core.billing.simulate). With `fast` (and a
    `TermsCache` as `terms_for`) the renewal of full periods takes the engine's
    `PlainRenewals` path (with the pending move, if any)."""
    pending_id, pending_at = sub.pending_plan_id, sub.pending_change_at
    if fast and (pending_id is None) == (pending_at is None):
        data = dict(sub.billing_state)
        move = None if pending_id is None else (pending_at,
                                                terms_for.renewals(pending_id, sub.amount))
        renewed = terms_for.renewals(sub.plan_id, sub.amount).bill(data, upto, move)
        if renewed is not None:
            return _advanced_plain(sub, data, renewed, now, operator)
    out = Advanced()
    state = SubscriptionState.from_json_dict(sub.billing_state)
    plan_id, amount = sub.plan_id, sub.amount
    terms = terms_for(plan_id, amount)
    seq = sub.invoice_count
    while (step := next_invoice(terms, state, upto)) is not None:
        if pending_id is not None and pending_at <= step.invoice.issued:
            new_terms = terms_for(pending_id, amount)
            state = apply_version(terms, new_terms, state, pending_at)
            terms, plan_id, pending_id, pending_at = new_terms, pending_id, None, None
            out.moved += 1
            continue
        invoice = step.invoice
        seq += 1
        kind = invoice.kind
        if kind == "plan":
            out.periods += 1
        else:
            out.setup_fees += 1
        out.invoices.append(invoice_row(
            invoice, kind=kind, number=invoice_number(sub.id, seq), subscription_id=sub.id,
            contact_id=sub.contact_id, plan_id=plan_id, now=now, operator=operator))
        state = step.state
    values = state_columns(terms, state, upto, expire_reason=sub.expire_reason)
    values.update(plan_id=plan_id, pending_plan_id=pending_id, pending_change_at=pending_at,
                  invoice_count=seq, updated_at=now, updated_by=operator)
    out.values = values
    return out


def _advanced_plain(sub: Any, data: dict[str, Any], renewed: Renewed, now: datetime,
                    operator: str) -> Advanced:
    """`advance`'s result from the engine's fast path: its periods (those from `switch` on
    billed on the pending plan) and the columns `state_columns` gives for its state."""
    out = Advanced()
    seq, plan_id, periods = sub.invoice_count, sub.plan_id, renewed.periods
    for i, period in enumerate(periods):
        if i == renewed.switch:
            plan_id = sub.pending_plan_id
        seq += 1
        out.invoices.append(invoice_row(
            period.invoice, kind="plan", number=invoice_number(sub.id, seq),
            subscription_id=sub.id, contact_id=sub.contact_id, plan_id=plan_id, now=now,
            operator=operator))
    out.periods = len(periods)
    moved = renewed.switch is not None
    out.moved = int(moved)
    last = periods[-1]
    out.values = {
        "billing_state": data, "state": renewed.status, "next_billing_at": renewed.next_due,
        "current_period_start": last.start, "current_period_end": last.end,
        "expires": renewed.expires,
        "expire_reason": _expire_reason(renewed, sub.expire_reason),
        "cancelled_at": renewed.cancelled_at,
        "plan_id": sub.pending_plan_id if moved else sub.plan_id,
        "pending_plan_id": None if moved else sub.pending_plan_id,
        "pending_change_at": None if moved else sub.pending_change_at,
        "invoice_count": seq, "updated_at": now, "updated_by": operator,
    }
    return out


def _expire_reason(renewed: Renewed, stored: str | None) -> str | None:
    """The expire_reason column as `state_columns` sets it for the fast path's state."""
    if renewed.status in ("cancelled", "expired") and stored != "ondemand":
        return renewed.expire_reason
    return stored


_SELECT_DUE = (
    select(_SUBS.c.id, _SUBS.c.contact_id, _SUBS.c.plan_id, _SUBS.c.amount,
           _SUBS.c.billing_state, _SUBS.c.pending_plan_id, _SUBS.c.pending_change_at,
           _SUBS.c.invoice_count, _SUBS.c.expire_reason, _SUBS.c.row_version)
    .where(_SUBS.c.next_billing_at <= bindparam("upto"), _SUBS.c.id > bindparam("after"))
    .order_by(_SUBS.c.id)
)
_UPDATE_SUB = (
    update(_SUBS)
    .where(_SUBS.c.id == bindparam("b_id"), _SUBS.c.row_version == bindparam("b_rv"))
)


_INVOICE_COLS = tuple(c.name for c in _INVOICES.columns if c.name != "id")
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
# The due rows, read straight through the DB-API: columns 0–9 as in _SELECT_DUE, then the
# stored values of the columns a slim update leaves out.
_SQLITE_SELECT = ("SELECT id, contact_id, plan_id, amount, billing_state, pending_plan_id, "
                  "pending_change_at, invoice_count, expire_reason, row_version, state, "
                  "expires, cancelled_at FROM subscriptions "
                  "WHERE next_billing_at <= ? AND id > ? ORDER BY id LIMIT ?")
# The run's own connection checkpoints the WAL every ~80 MB instead of every 4 MB: fewer,
# larger checkpoints (WAL mode and synchronous=NORMAL unchanged: a commit is as durable).
_WAL_AUTOCHECKPOINT = 20_000
_SQLITE_DEFAULT_AUTOCHECKPOINT = 1000


@lru_cache(maxsize=65536)
def _sqlite_ts(moment: datetime) -> str:
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
        return _sqlite_ts(value)
    return value


def _write_sqlite(conn, rows: list[tuple[Any, Advanced]]) -> None:
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


def write_advanced(session: Session, rows: list[tuple[Any, Advanced]]) -> None:
    """Insert the invoices and update the subscriptions of a batch (executemany)."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        _write_sqlite(conn, rows)
        return
    invoices = [inv for _row, adv in rows for inv in adv.invoices]
    if invoices:
        conn.execute(insert(_INVOICES), invoices)
    params = []
    for row, adv in rows:
        v = adv.values
        v["b_id"], v["b_rv"], v["row_version"] = row.id, row.row_version, row.row_version + 1
        params.append(v)
    if params:
        result = conn.execute(_UPDATE_SUB, params)
        if conn.dialect.supports_sane_multi_rowcount and result.rowcount != len(params):
            raise Conflict(_("A subscription changed during the billing run."))


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
        values = (_sqlite_ts(period.start), _sqlite_ts(period.end), inv.currency,
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
        now_sql = _sqlite_ts(now)
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
                    None if next_due is None else _sqlite_ts(next_due))
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
                    new_expires = billed.expires and _sqlite_ts(billed.expires)
                    new_cancelled = billed.cancelled_at and _sqlite_ts(billed.cancelled_at)
                    new_reason = _expire_reason(billed, expire_reason)
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
                        new_pending_at = _sqlite_ts(parsed[new_pending_at])
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


def _write_chunk_sqlite(session: Session, ctx: ServiceContext, upto: datetime,
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


class _InProcess:
    """Reads and computes the chunks in the run's own process, one at a time."""

    def __init__(self, db, computer: SqliteChunks, chunk: int, now: datetime | None) -> None:
        self.db, self.computer, self.chunk, self.now = db, computer, chunk, now
        self.upto_sql = _sqlite_ts(computer.upto)
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


class _Worker(_InProcess):
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


def _use_worker(worker: bool | None, total: int, chunk: int) -> bool:
    """Auto: for runs large enough to pay the child's start (~0.3 s), with a second core."""
    setting = os.environ.get("KONTOR_BILLING_WORKER", "").strip().lower()
    if setting in ("0", "1", "no", "yes", "off", "on", "false", "true"):
        worker = setting in ("1", "yes", "on", "true")
    if worker is not None:
        return worker and os.name == "posix"
    if os.name != "posix":  # the worker's pipes are POSIX file descriptors
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return cores >= 2 and total >= max(20_000, 4 * chunk)


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
        total = session.scalar(select(func.count()).select_from(_SUBS)
                               .where(_SUBS.c.next_billing_at <= upto))
    summary = {"subscriptions": 0, "invoices": 0, "periods": 0, "setup_fees": 0,
               "version_moves": 0, "chunks": 0}
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
        _run_sqlite(ctx, upto, chunk, now, fast, _use_worker(worker, total, chunk), tally)
    else:
        _run_generic(ctx, upto, chunk, now, fast, tally)
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
    source = _InProcess(ctx.db, computer, chunk, now)
    if use_worker:
        try:
            source = _Worker(ctx.db, computer, chunk, now)
        except OSError:  # cannot start a process here: compute in process
            pass
    writer = ctx.db.engine.connect()
    raw = writer.connection.dbapi_connection
    raw.execute(f"PRAGMA wal_autocheckpoint={_WAL_AUTOCHECKPOINT}")
    try:
        after, attempts = 0, 0
        source.start(after)
        while (result := source.next()) is not None:
            try:
                with Session(bind=writer, expire_on_commit=False) as session, session.begin():
                    _write_chunk_sqlite(session, ctx, upto, result)
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
            raw.execute(f"PRAGMA wal_autocheckpoint={_SQLITE_DEFAULT_AUTOCHECKPOINT}")
            raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            writer.close()


def _run_generic(ctx, upto, chunk, now, fast, tally) -> None:
    """PostgreSQL (any SQLAlchemy dialect): chunks read FOR UPDATE and written in one
    transaction each, retried on a lost race."""
    terms_for = TermsCache()
    after = 0
    select_due = _SELECT_DUE.limit(chunk)
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
