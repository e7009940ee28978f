"""The subscription timeline: dates from the engine, seen from one moment."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from core.billing.engine import cancellation_expiry, cancel, start_subscription
from core.billing.terms import PlanTerms
from core.billing.timeline import timeline

BERLIN = ZoneInfo("Europe/Berlin")


def monthly(**kw) -> PlanTerms:
    base = dict(handle="gold", name="Gold", amount=10000, currency="EUR",
                schedule_type="month_startdate", interval_length=1)
    base.update(kw)
    return PlanTerms(**base)


def kinds(tl):
    return [e.kind for e in tl.events]


def test_contract_with_notice_shows_deadline_contract_end_and_next_invoices():
    # 12-month contract from 1 Feb 2026, one month's notice before the term ends.
    terms = monthly(contract_period_length=12, contract_period_unit="months",
                    notice_period_length=1, notice_period_unit="months",
                    subscription_duration="renew")
    state = start_subscription(terms, datetime(2026, 2, 1, tzinfo=BERLIN))
    at = datetime(2026, 5, 10, 12, tzinfo=BERLIN)
    tl = timeline(terms, state, at)
    contract_end = next(e.at for e in tl.events if e.kind == "contract_end")
    assert contract_end.astimezone(BERLIN) == datetime(2027, 2, 1, tzinfo=BERLIN)
    assert tl.cancel_now_expires.astimezone(BERLIN) == datetime(2027, 2, 1, tzinfo=BERLIN)
    # Cancelling later than one month before the term end rolls into the next term.
    assert tl.notice_deadline is not None
    assert cancellation_expiry(terms, state, tl.notice_deadline) == tl.cancel_now_expires
    later = tl.notice_deadline.replace(second=0, microsecond=0)
    from datetime import timedelta
    assert cancellation_expiry(terms, state, later + timedelta(minutes=2)) > tl.cancel_now_expires
    invoices = [e for e in tl.events if e.kind == "invoice"]
    assert [i.at.astimezone(BERLIN).date().isoformat() for i in invoices] == [
        "2026-06-01", "2026-07-01", "2026-08-01"]
    assert all(i.amount == 10000 for i in invoices)


def test_trial_events_and_no_deadline_after_cancellation():
    terms = monthly(trial_interval_length=14, trial_interval_unit="days")
    state = start_subscription(terms, datetime(2026, 3, 1, 9, tzinfo=BERLIN))
    tl = timeline(terms, state, datetime(2026, 3, 5, tzinfo=BERLIN))
    assert kinds(tl)[:2] == ["start", "trial_start"] or "trial_end" in kinds(tl)
    assert "trial_end" in kinds(tl)
    state = cancel(terms, state, datetime(2026, 3, 5, tzinfo=BERLIN))
    tl = timeline(terms, state, datetime(2026, 3, 6, tzinfo=BERLIN))
    assert "cancelled" in kinds(tl) and "expires" in kinds(tl)
    assert tl.notice_deadline is None and tl.cancel_now_expires is None


@settings(max_examples=40, deadline=None)
@given(day=st.integers(1, 28), month=st.integers(1, 12), seen=st.integers(0, 400))
def test_events_are_in_date_order_and_invoices_lie_ahead(day, month, seen):
    from datetime import timedelta

    terms = monthly(notice_periods=1)
    start = datetime(2026, month, day, 10, tzinfo=BERLIN)
    state = start_subscription(terms, start)
    at = start + timedelta(days=seen)
    tl = timeline(terms, state, at)
    ats = [e.at for e in tl.events]
    assert ats == sorted(ats)
    assert all(e.at >= at for e in tl.events if e.kind == "invoice")
