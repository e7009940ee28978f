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
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from core.billing import (
    DEFAULT_TZ,
    PlanTerms,
    SubscriptionState,
    apply_version,
    next_due_at,
    next_invoice,
    status_at,
    until_moment,
)
from core.billing.engine import Invoice as EngineInvoice
from core.errors import Conflict, ValidationFailed
from core.i18n import _
from core.models import Invoice, Plan, Setting, Subscription, utcnow
from core.schemas.subscriptions import RunSummary
from core.services import audit
from core.services.context import ServiceContext, require

ACCOUNT_TZ_KEY = "account_timezone"
CHUNK = 2000
_SUBS = Subscription.__table__
_INVOICES = Invoice.__table__


def account_timezone(session: Session) -> str:
    """The account time zone (setting `account_timezone`, default Europe/Berlin)."""
    value = session.scalar(select(Setting.value).where(Setting.key == ACCOUNT_TZ_KEY))
    return value or DEFAULT_TZ


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
    """PlanTerms per (plan id, amount override), loaded in batches, bounded."""

    def __init__(self, limit: int = 20_000):
        self._plans: dict[int, PlanTerms] = {}
        self._terms: dict[tuple[int, int | None], PlanTerms] = {}
        self._limit = limit

    def load(self, session: Session, plan_ids: set[int]) -> None:
        from core.services.plans import plan_terms

        missing = [i for i in plan_ids if i not in self._plans]
        if len(self._plans) + len(missing) > self._limit:
            self._plans.clear()
            self._terms.clear()
        for start in range(0, len(missing), 500):
            for p in session.scalars(select(Plan).where(Plan.id.in_(missing[start:start + 500]))):
                self._plans[p.id] = plan_terms(p)

    def __call__(self, plan_id: int, amount: int | None) -> PlanTerms:
        key = (plan_id, amount)
        terms = self._terms.get(key)
        if terms is None:
            base = self._plans[plan_id]
            terms = base if amount is None else _with_amount(base, amount)
            self._terms[key] = terms
        return terms


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
            now: datetime, operator: str) -> Advanced:
    """Bill one subscription row up to `upto` with the engine, applying a pending plan move
    at the start of its period (the same loop as core.billing.simulate)."""
    out = Advanced()
    state = SubscriptionState.from_json_dict(sub.billing_state)
    plan_id, amount = sub.plan_id, sub.amount
    terms = terms_for(plan_id, amount)
    pending_id, pending_at = sub.pending_plan_id, sub.pending_change_at
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


@lru_cache(maxsize=65536)
def _sqlite_ts(moment: datetime) -> str:
    """A UTC moment in the exact text form SQLAlchemy's SQLite DateTime writes."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


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
                now: datetime | None = None) -> RunSummary:
    """Create every invoice due up to `until` (a date includes its whole local day)."""
    started = time.perf_counter()
    with ctx.db.transaction() as session:
        require(session, ctx, "subscriptions.write")
        tz = account_timezone(session)
        upto = until_moment(until, tz)
        total = session.scalar(select(func.count()).select_from(_SUBS)
                               .where(_SUBS.c.next_billing_at <= upto))
    terms_for = TermsCache()
    summary = dict(subscriptions=0, invoices=0, periods=0, setup_fees=0, version_moves=0,
                   chunks=0)
    amounts: dict[str, int] = {}
    after = 0
    select_due = _SELECT_DUE.limit(chunk)
    if ctx.db.dialect == "postgresql":
        select_due = select_due.with_for_update()
    while True:
        for attempt in range(3):
            try:
                with ctx.db.transaction() as session:
                    n, last = _run_chunk(session, ctx, select_due, upto, after, terms_for,
                                         summary, amounts, now)
                break
            except Conflict:
                if attempt == 2:
                    raise
        if n == 0:
            break
        after = last
        summary["chunks"] += 1
        if progress:
            progress(summary["subscriptions"], total)
    seconds = time.perf_counter() - started
    return RunSummary(until=str(until), upto=upto, amount_by_currency=amounts,
                      seconds=round(seconds, 3),
                      periods_per_second=round(summary["periods"] / seconds, 1) if seconds
                      else 0.0, **summary)


def _run_chunk(session, ctx, select_due, upto, after, terms_for, summary, amounts, now):
    rows = session.execute(select_due, {"upto": upto, "after": after}).all()
    if not rows:
        return 0, after
    now = now or utcnow()
    plan_ids = {r.plan_id for r in rows} | {r.pending_plan_id for r in rows
                                             if r.pending_plan_id is not None}
    terms_for.load(session, plan_ids)
    batch = [(r, advance(r, terms_for, upto, now, ctx.operator)) for r in rows]
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
    # Counted only once the chunk is written (a retried chunk must not count twice).
    summary["subscriptions"] += len(rows)
    summary["invoices"] += counts["invoices"]
    summary["periods"] += counts["periods"]
    summary["setup_fees"] += counts["setup_fees"]
    summary["version_moves"] += counts["moves"]
    for cur, amount in chunk_amounts.items():
        amounts[cur] = amounts.get(cur, 0) + amount
    return len(rows), rows[-1].id
