"""Changing the plan now: same rhythm prorates the period; another rhythm starts a new one."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.billing.engine import bill_until, immediate_change, next_issue_at, start_subscription
from core.billing.terms import PlanTerms

BERLIN = ZoneInfo("Europe/Berlin")


def plan(handle: str, amount: int, interval: int, **kw) -> PlanTerms:
    return PlanTerms(handle=handle, name=handle, amount=amount, currency="EUR",
                     schedule_type="month_startdate", interval_length=interval, **kw)


MONTHLY = plan("monthly", 2900, 1)
YEARLY = plan("yearly", 29000, 12)
MONTHLY_PLUS = plan("monthly-plus", 4900, 1)


def billed(terms, start, upto):
    state = start_subscription(terms, start, quantity=5)
    invoices, state = bill_until(terms, state, upto)
    return invoices, state


def test_monthly_to_yearly_now_bills_one_year_from_the_change_with_a_credit():
    # 5 seats at 29.00 monthly from 1 Nov 2026, paid 145.00 for November; yearly on 21 Nov.
    at = datetime(2026, 11, 21, tzinfo=BERLIN)
    invoices, state = billed(MONTHLY, datetime(2026, 11, 1, tzinfo=BERLIN), at)
    assert [i.amount for i in invoices] == [14500]
    invoice, state = immediate_change(MONTHLY, YEARLY, state, at,
                                      compensation="prorated_credit", billed_amount=14500)
    assert invoice.period_start == at
    assert invoice.period_end.astimezone(BERLIN) == datetime(2027, 11, 21, tzinfo=BERLIN)
    plan_line, credit = invoice.lines
    assert (plan_line.kind, plan_line.amount, plan_line.prorated) == ("plan", 145000, False)
    # 10 of November's 30 days unused (full days, 21–30 Nov): 145.00 × 10/30 = 48.33.
    assert (credit.kind, credit.amount) == ("credit", -4833)
    assert invoice.amount == 145000 - 4833
    # The next invoice is a year later, not on 1 December: nothing is billed twice.
    assert next_issue_at(YEARLY, state).astimezone(BERLIN) == datetime(2027, 11, 21,
                                                                       tzinfo=BERLIN)


def test_yearly_to_monthly_now_bills_one_month_from_the_change():
    at = datetime(2027, 2, 1, tzinfo=BERLIN)
    invoices, state = billed(YEARLY, datetime(2026, 11, 1, tzinfo=BERLIN), at)
    assert [i.amount for i in invoices] == [145000]
    invoice, state = immediate_change(YEARLY, MONTHLY, state, at)
    assert [line.amount for line in invoice.lines] == [14500]  # one month, 5 seats, no credit
    assert invoice.period_end.astimezone(BERLIN) == datetime(2027, 3, 1, tzinfo=BERLIN)
    assert next_issue_at(MONTHLY, state).astimezone(BERLIN) == datetime(2027, 3, 1,
                                                                        tzinfo=BERLIN)


def test_same_rhythm_prorates_the_rest_of_the_current_period():
    at = datetime(2026, 11, 21, tzinfo=BERLIN)
    _invoices, state = billed(MONTHLY, datetime(2026, 11, 1, tzinfo=BERLIN), at)
    invoice, state = immediate_change(MONTHLY, MONTHLY_PLUS, state, at,
                                      compensation="prorated_credit", billed_amount=14500)
    plan_line, credit = invoice.lines
    # 49.00 × 5 = 245.00 for 10/30 of November = 81.67, less 48.33 for the unused share.
    assert (plan_line.amount, credit.amount) == (8167, -4833)
    assert invoice.period_end.astimezone(BERLIN) == datetime(2026, 12, 1, tzinfo=BERLIN)
    assert next_issue_at(MONTHLY_PLUS, state).astimezone(BERLIN) == datetime(2026, 12, 1,
                                                                             tzinfo=BERLIN)
