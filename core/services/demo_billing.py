"""Demo billing data: a small plan catalogue, subscriptions, and a billing run up to today."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.models import Contact, utcnow
from core.services.billing_run import run_billing
from core.services.context import ServiceContext
from core.services.plans import create_plan
from core.services.subscriptions import create_subscription

DEMO_PLANS = [
    {"handle": "gold-monthly", "name": "Gold membership (monthly)", "amount": 2900,
     "vat": "0.19", "schedule_type": "month_fixedday", "schedule_fixed_day": 1,
     "description": "Gold member: every course, live Q&A", "notice_periods": 1},
    {"handle": "gold-yearly", "name": "Gold membership (yearly)", "amount": 29000,
     "vat": "0.19", "schedule_type": "month_startdate", "interval_length": 12,
     "description": "Gold member, paid yearly", "contract_period_length": 12,
     "contract_period_unit": "months", "notice_period_length": 1,
     "notice_period_unit": "months"},
    {"handle": "starter", "name": "Starter (14 days free)", "amount": 990, "vat": "0.19",
     "schedule_type": "month_startdate", "trial_interval_length": 14,
     "trial_interval_unit": "days", "description": "Beginner courses"},
    {"handle": "coaching-6", "name": "Coaching, 6 instalments", "amount": 15000, "vat": "0.19",
     "schedule_type": "month_startdate", "fixed_count": 6,
     "subscription_duration": "fixed_count", "setup_fee": 4900,
     "setup_fee_text": "Onboarding call", "setup_fee_handling": "first"},
    {"handle": "team-weekly", "name": "Team seats (weekly)", "amount": 1200, "vat": "0.22",
     "currency": "EUR", "schedule_type": "weekly_fixedday", "schedule_fixed_day": 1,
     "partial_period_handling": "bill_prorated"},
]


def seed_demo_plans(ctx: ServiceContext) -> None:
    """The demo plans (`DEMO_PLANS`) that are not in the database yet."""
    from core.models import Plan

    with ctx.db.reading() as session:
        have = set(session.scalars(select(Plan.handle).where(
            Plan.handle.in_([p["handle"] for p in DEMO_PLANS]))))
    for plan in DEMO_PLANS:
        if plan["handle"] not in have:
            create_plan(ctx, plan)


def seed_billing_demo(ctx: ServiceContext, subscribers: int = 300) -> None:
    """Plans, subscriptions for the first `subscribers` contacts (by id), invoices to today."""
    seed_demo_plans(ctx)
    with ctx.db.reading() as session:
        ids = list(session.scalars(select(Contact.id).order_by(Contact.id).limit(subscribers)))
    now = utcnow()
    handles = [p["handle"] for p in DEMO_PLANS]
    for i, contact_id in enumerate(ids):
        start = now - timedelta(days=(i * 37) % 400, hours=i % 24)
        create_subscription(ctx, {"contact_id": contact_id, "plan": handles[i % len(handles)],
                                  "start": start.isoformat(),
                                  "quantity": 1 + (i % 7 == 0) * 4})
    run_billing(ctx, now)
