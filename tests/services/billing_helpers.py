"""Shared builders for the plan/subscription/billing tests."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.models import Invoice, Subscription

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


MONTHLY_1ST = {"handle": "gold", "name": "Gold", "amount": 10000,
               "schedule_type": "month_fixedday", "schedule_fixed_day": 1}


_numbers = itertools.count(1)


def contact(ctx, n: int | None = None) -> int:
    """A new contact (a fresh address on every call)."""
    from core.services.contacts import create_contact

    n = next(_numbers) if n is None else n
    return create_contact(ctx, {"name": f"Customer {n}", "email": f"c{n}@example.org"}).id


def dump(db) -> dict:
    """Everything billing wrote, without ids and wall-clock timestamps."""
    with db.reading() as s:
        invoices = sorted(
            (i.number, i.subscription_id, i.plan_id, i.kind, i.period_key, i.period_start,
             i.period_end, i.issued, i.currency, repr(i.lines), i.net, i.vat_amount,
             i.amount, i.state) for i in s.scalars(select(Invoice)))
        subs = sorted(
            (x.id, x.plan_id, x.state, repr(sorted(x.billing_state.items())),
             x.next_billing_at, x.current_period_start, x.current_period_end, x.expires,
             x.expire_reason, x.cancelled_at, x.pending_plan_id, x.pending_change_at,
             x.invoice_count)
            for x in s.scalars(select(Subscription)))
    return {"invoices": invoices, "subscriptions": subs}
