"""The billing run's policy: what is due, how it is advanced, and the rules that make a run
idempotent (core.services.billing_run has the whole argument).

* due: a subscription whose `next_billing_at` ≤ the run's moment (`SELECT_DUE`, in id order,
  keyset on id: a re-run selects only what is left, in the same order);
* `advance`: the invoices and the new state of one subscription up to that moment — the
  engine's fast path (`PlainRenewals`) for renewals of full periods, else its general loop;
* invoice numbers `<subscription id>-<sequence>` (`invoice_number`) and the idempotency key
  (subscription, period start or issue time, kind) of `invoice_row`;
* the mirror columns of the engine state (`state_columns`, `subscription_status`);
* chunking: `CHUNK` rows per transaction, and when a worker process pays (`use_worker`).

Pure of any one database: the SQLite fast path (core.services.billing_sqlite) and the runner
(core.services.billing_run) both use it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from core.billing import (
    PlanTerms,
    SubscriptionState,
    apply_version,
    next_due_at,
    next_invoice,
    status_at,
)
from core.billing.engine import Invoice as EngineInvoice
from core.billing.engine import PlainRenewals, RenewalCache, Renewed
from core.models import Invoice, Plan, Subscription

ACCOUNT_TZ_KEY = "account_timezone"
CHUNK = 2000
SUBS = Subscription.__table__
INVOICES = Invoice.__table__


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
        "expire_reason": stored_expire_reason(renewed, sub.expire_reason),
        "cancelled_at": renewed.cancelled_at,
        "plan_id": sub.pending_plan_id if moved else sub.plan_id,
        "pending_plan_id": None if moved else sub.pending_plan_id,
        "pending_change_at": None if moved else sub.pending_change_at,
        "invoice_count": seq, "updated_at": now, "updated_by": operator,
    }
    return out


def stored_expire_reason(renewed: Renewed, stored: str | None) -> str | None:
    """The expire_reason column as `state_columns` sets it for the fast path's state."""
    if renewed.status in ("cancelled", "expired") and stored != "ondemand":
        return renewed.expire_reason
    return stored


SELECT_DUE = (
    select(SUBS.c.id, SUBS.c.contact_id, SUBS.c.plan_id, SUBS.c.amount,
           SUBS.c.billing_state, SUBS.c.pending_plan_id, SUBS.c.pending_change_at,
           SUBS.c.invoice_count, SUBS.c.expire_reason, SUBS.c.row_version)
    .where(SUBS.c.next_billing_at <= bindparam("upto"), SUBS.c.id > bindparam("after"))
    .order_by(SUBS.c.id)
)
UPDATE_SUB = (
    update(SUBS)
    .where(SUBS.c.id == bindparam("b_id"), SUBS.c.row_version == bindparam("b_rv"))
)



def use_worker(worker: bool | None, total: int, chunk: int) -> bool:
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
