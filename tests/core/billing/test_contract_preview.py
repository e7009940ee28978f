"""The plan form's contract timeline: real dates from the engine over a sample start."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.billing import PlanTerms, cancellation_expiry, start_subscription
from core.billing.contract_preview import contract_preview, last_moment_to_cancel, month_offset

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN)


def terms(**overrides):
    values = {"handle": "p", "name": "P", "amount": 10000, "schedule_type": "month_fixedday",
              "schedule_fixed_day": 1}
    values.update(overrides)
    return PlanTerms(**values)


def local(moment):
    return moment.astimezone(BERLIN).replace(tzinfo=None)


def test_contract_with_renewals_minimum_and_notice_after_the_current_period():
    t = terms(contract_period_length=12, contract_period_unit="months",
              renewal_contract_period_length=6, renewal_contract_period_unit="months",
              minimum_contract_period_length=3, minimum_contract_period_unit="months",
              notice_period_length=1, notice_period_unit="months")
    p = contract_preview(t, berlin(2026, 3, 14, 10))
    assert local(p.until) == datetime(2028, 3, 14, 10)
    # Partial first period from the start, then the 1st of every month.
    assert [local(i) for i in p.invoices[:3]] == [
        datetime(2026, 3, 14, 10), datetime(2026, 4, 1), datetime(2026, 5, 1)]
    assert len(p.invoices) == 25  # the partial March, then Apr 2026 … Mar 2028
    # 3 months from the first period start, rounded up to the next period end.
    assert local(p.minimum_end) == datetime(2026, 7, 1)
    # 12 months from the first period start, then every 6 months (the last one at the edge
    # of the ruler is outside it).
    assert [local(e) for e in p.contract_ends] == [datetime(2027, 3, 14, 10),
                                                   datetime(2027, 9, 14, 10)]
    # The notice runs from the cancellation (SPEC §7.1 rule 7): cancelled by 14 Feb, + 1 month
    # ≤ Mar 14; a minute later the contract renews until Sep 14 (cancel by 14 Aug for that).
    assert [(local(d), local(e)) for d, e in p.notice_deadlines] == [
        (datetime(2027, 2, 14, 9, 59), datetime(2027, 3, 14, 10)),
        (datetime(2027, 8, 14, 9, 59), datetime(2027, 9, 14, 10))]
    assert local(p.earliest_end) == datetime(2027, 3, 14, 10)
    assert p.fixed_end is None
    kinds = [m.kind for m in p.marks]
    assert kinds == ["minimum_end", "notice_deadline", "contract_end", "notice_deadline",
                     "renewal_end"]
    contract_mark = next(m for m in p.marks if m.kind == "contract_end")
    assert contract_mark.month == pytest.approx(12.0)


def test_the_deadline_is_the_engines_edge():
    t = terms(contract_period_length=12, contract_period_unit="months",
              notice_period_length=1, notice_period_unit="months")
    p = contract_preview(t, berlin(2026, 3, 14, 10))
    deadline, end = p.notice_deadlines[0]
    state = start_subscription(t, berlin(2026, 3, 14, 10))
    assert cancellation_expiry(t, state, deadline) == end
    assert cancellation_expiry(t, state, berlin(2027, 2, 14, 10, 1)) > end  # a minute later


def test_no_contract_notice_in_periods_and_fixation():
    t = terms(schedule_type="month_startdate", schedule_fixed_day=None, notice_periods=1,
              fixation_periods=6)
    p = contract_preview(t, berlin(2026, 1, 31, 10))
    # Six periods from Jan 31: Feb 28, Mar 31, Apr 30, May 31, Jun 30, Jul 31.
    assert local(p.minimum_end) == datetime(2026, 7, 31, 10)
    assert local(p.earliest_end) == datetime(2026, 7, 31, 10)
    assert [(local(d), local(e)) for d, e in p.notice_deadlines] == [
        (datetime(2026, 6, 30, 9, 59), datetime(2026, 7, 31, 10))]
    assert p.contract_ends == ()
    assert [m.kind for m in p.marks] == ["notice_deadline", "minimum_end", "earliest_end"]


def test_trial_and_fixed_count():
    t = terms(schedule_type="month_startdate", schedule_fixed_day=None,
              trial_interval_length=14, trial_interval_unit="days", fixed_count=6)
    p = contract_preview(t, berlin(2026, 3, 1))
    assert local(p.trial_end) == datetime(2026, 3, 15)
    assert local(p.first_period_start) == datetime(2026, 3, 15)
    assert len(p.invoices) == 6
    assert local(p.fixed_end) == datetime(2026, 9, 15)
    # Cancelling in the trial ends it at the trial end.
    assert local(p.earliest_end) == datetime(2026, 3, 15)


def test_contract_end_duration_has_no_deadline():
    t = terms(subscription_duration="contract_end", contract_period_length=12,
              contract_period_unit="months", notice_period_length=3,
              notice_period_unit="months", notice_periods_after_current=False)
    p = contract_preview(t, berlin(2026, 3, 14))
    assert local(p.fixed_end) == datetime(2027, 3, 14)
    assert [local(e) for e in p.contract_ends] == [datetime(2027, 3, 14)]
    assert p.notice_deadlines == () and p.earliest_end is None
    assert len(p.invoices) == 13  # partial March, then 12 months up to the contract end


def test_manual_plan_has_no_invoices_and_ends_after_calendar_notice():
    t = terms(schedule_type="manual", schedule_fixed_day=None, notice_period_length=2,
              notice_period_unit="weeks")
    p = contract_preview(t, berlin(2026, 3, 1))
    assert p.invoices == () and p.minimum_end is None
    assert local(p.earliest_end) == datetime(2026, 3, 15)


def test_a_one_day_contract_term_stays_fast_and_short():
    t = terms(contract_period_length=1, contract_period_unit="days",
              notice_period_length=1, notice_period_unit="months")
    p = contract_preview(t, berlin(2026, 3, 14))
    assert len(p.contract_ends) <= 24
    assert 1 <= len(p.notice_deadlines) <= 3


def test_month_offset_counts_calendar_months():
    assert month_offset(berlin(2026, 1, 31), berlin(2026, 2, 28)) == 1.0
    assert month_offset(berlin(2026, 3, 14), berlin(2026, 4, 1)) == pytest.approx(18 / 31)
    assert month_offset(berlin(2026, 3, 14), berlin(2028, 3, 14)) == 24.0


def test_last_moment_is_none_when_unreachable():
    t = terms(notice_period_length=3, notice_period_unit="months")
    state = start_subscription(t, berlin(2026, 3, 14))
    assert last_moment_to_cancel(t, state, berlin(2026, 4, 1)) is None
