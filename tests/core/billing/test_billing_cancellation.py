"""SPEC §7.1 rule 7: cancellation, notice, minimum contract, contract terms, uncancel, preview."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from core.billing import (
    BillingError,
    PlanTerms,
    bill_until,
    cancel,
    cancellation_preview,
    simulate,
    start_subscription,
    status_at,
    uncancel,
)

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN)


def monthly(**overrides):
    values = {"handle": "m", "name": "Monthly", "amount": 10000, "schedule_type": "month_startdate"}
    values.update(overrides)
    return PlanTerms(**values)


def monthly_day1(**overrides):
    return monthly(schedule_type="month_fixedday", schedule_fixed_day=1, **overrides)


def summary(sim):
    return [(i.period_start, i.period_end, i.amount) for i in sim.invoices]


START = berlin(2025, 1, 15, 10)
CANCEL = berlin(2025, 3, 2, 10)  # inside 15 Feb → 15 Mar


def test_cancel_mid_month_pends_until_period_end():
    sim = simulate(monthly(), START, date(2025, 6, 1), cancel_at=CANCEL)
    assert sim.subscription.cancelled_at == CANCEL
    assert sim.subscription.expires == berlin(2025, 3, 15, 10)
    assert [i.period_start for i in sim.invoices] == [START, berlin(2025, 2, 15, 10)]
    assert status_at(sim.final_state, berlin(2025, 3, 5)) == "pending_cancellation"
    assert status_at(sim.final_state, berlin(2025, 3, 15, 10)) == "cancelled"
    assert sim.subscription.state == "cancelled"


def test_yearly_plan_cancelled_after_three_months_runs_nine_more_months():
    terms = monthly(interval_length=12)
    sim = simulate(terms, berlin(2026, 1, 1), date(2027, 6, 1), cancel_at=berlin(2026, 4, 1))
    assert sim.subscription.expires == berlin(2027, 1, 1)
    assert len(sim.invoices) == 1


def test_notice_period_after_current_adds_full_periods_after_the_current_one():
    sim = simulate(monthly(notice_periods=1), START, date(2025, 6, 1), cancel_at=CANCEL)
    assert sim.subscription.expires == berlin(2025, 4, 15, 10)
    assert summary(sim)[-1] == (berlin(2025, 3, 15, 10), berlin(2025, 4, 15, 10), 10000)


def test_notice_from_cancellation_bills_the_last_partial_period_prorated():
    terms = monthly(notice_periods=1, notice_periods_after_current=False)
    sim = simulate(terms, START, date(2025, 6, 1), cancel_at=CANCEL)
    assert sim.subscription.expires == berlin(2025, 4, 2, 10)
    # 15 Mar → 2 Apr = 18 of the 31 days of 15 Mar → 15 Apr.
    assert summary(sim)[-1] == (berlin(2025, 3, 15, 10), berlin(2025, 4, 2, 10), 5806)
    assert sim.invoices[-1].lines[0].prorated


def test_notice_from_cancellation_by_the_minute_uses_real_time_across_dst():
    terms = monthly(
        notice_periods=1, notice_periods_after_current=False, partial_proration_days=False
    )
    sim = simulate(terms, START, date(2025, 6, 1), cancel_at=CANCEL)
    assert sim.invoices[-1].amount == 5801  # 431 h of 743 h (30 Mar 2025 is an hour short)


def test_notice_from_cancellation_on_a_fixed_day_plan_counts_the_expiry_day():
    terms = monthly_day1(notice_periods=1, notice_periods_after_current=False)
    sim = simulate(terms, berlin(2026, 4, 1), date(2026, 8, 1), cancel_at=berlin(2026, 5, 10, 12))
    assert sim.subscription.expires == berlin(2026, 6, 10, 12)
    assert summary(sim)[-1] == (berlin(2026, 6, 1), berlin(2026, 6, 10, 12), 3333)  # 10 of 30 days


def test_short_calendar_notice_from_cancellation_still_runs_to_period_end():
    terms = monthly(
        notice_period_length=3, notice_period_unit="days", notice_periods_after_current=False
    )
    sim = simulate(terms, START, date(2025, 6, 1), cancel_at=CANCEL)
    assert sim.subscription.expires == berlin(2025, 3, 15, 10)


@pytest.mark.parametrize("after_current", [True, False])
def test_calendar_notice_runs_from_the_cancellation_whatever_after_current_says(after_current):
    # SPEC §7.1 rule 7: 2 Mar + 20 days = 22 Mar, past the period end 15 Mar: the last period
    # 15 Mar → 22 Mar is billed prorated (8 of the 31 days of 15 Mar → 15 Apr, start day full).
    terms = monthly(notice_period_length=20, notice_period_unit="days",
                    notice_periods_after_current=after_current)
    sim = simulate(terms, START, date(2025, 6, 1), cancel_at=CANCEL)
    assert sim.subscription.expires == berlin(2025, 3, 22, 10)
    assert summary(sim)[-1] == (berlin(2025, 3, 15, 10), berlin(2025, 3, 22, 10), 2258)


def test_fixation_periods_guarantee_paid_periods_from_the_first_period():
    sim = simulate(
        monthly(fixation_periods=3), START, date(2025, 6, 1), cancel_at=berlin(2025, 1, 20)
    )
    assert sim.subscription.expires == berlin(2025, 4, 15, 10)
    assert len(sim.invoices) == 3


def test_fixation_after_a_partial_first_period_ends_n_whole_periods_after_the_start():
    start, cancel_at = berlin(2026, 3, 14), berlin(2026, 3, 20)
    partial_counts = simulate(
        monthly_day1(fixation_periods=3), start, date(2026, 9, 1), cancel_at=cancel_at
    )
    full_only = simulate(
        monthly_day1(fixation_periods=3, fixation_periods_full=True),
        start,
        date(2026, 9, 1),
        cancel_at=cancel_at,
    )
    # Reepay: false → 14 Mar + 3 months = 14 Jun, the last period 1–14 Jun prorated (13/30);
    # true → the end of the period containing 14 Jun.
    assert partial_counts.subscription.expires == berlin(2026, 6, 14)
    assert [i.amount for i in partial_counts.invoices] == [5806, 10000, 10000, 4333]
    assert full_only.subscription.expires == berlin(2026, 7, 1)
    assert [i.amount for i in full_only.invoices] == [5806, 10000, 10000, 10000]


def test_calendar_minimum_contract_is_counted_from_first_period_and_rounded_to_period_end():
    terms = monthly_day1(minimum_contract_period_length=6, minimum_contract_period_unit="months")
    sim = simulate(terms, berlin(2026, 3, 14), date(2026, 12, 1), cancel_at=berlin(2026, 3, 20))
    assert sim.subscription.expires == berlin(2026, 10, 1)  # 14 Sep → end of the September period


def test_minimum_contract_does_not_extend_a_late_cancellation():
    terms = monthly_day1(minimum_contract_period_length=1, minimum_contract_period_unit="months")
    sim = simulate(terms, berlin(2026, 4, 1), date(2026, 12, 1), cancel_at=berlin(2026, 7, 10))
    assert sim.subscription.expires == berlin(2026, 8, 1)


def contract_plan(**overrides):
    return monthly_day1(
        contract_period_length=12,
        contract_period_unit="months",
        notice_period_length=1,
        notice_period_unit="months",
        **overrides,
    )


def test_contract_expires_at_the_initial_term_end_when_notice_fits():
    terms = contract_plan(renewal_contract_period_length=3, renewal_contract_period_unit="months")
    sim = simulate(terms, berlin(2026, 1, 1), date(2027, 12, 1), cancel_at=berlin(2026, 11, 15))
    assert sim.subscription.expires == berlin(2027, 1, 1)
    assert len(sim.invoices) == 12


def test_contract_renews_for_the_renewal_period_when_notice_is_missed():
    terms = contract_plan(renewal_contract_period_length=3, renewal_contract_period_unit="months")
    sim = simulate(terms, berlin(2026, 1, 1), date(2027, 12, 1), cancel_at=berlin(2026, 12, 15))
    assert sim.subscription.expires == berlin(2027, 4, 1)
    assert len(sim.invoices) == 15


def test_contract_without_renewal_period_renews_for_the_contract_period():
    sim = simulate(
        contract_plan(), berlin(2026, 1, 1), date(2028, 6, 1), cancel_at=berlin(2026, 12, 15)
    )
    assert sim.subscription.expires == berlin(2028, 1, 1)


def test_contract_term_ending_mid_period_bills_the_last_period_prorated():
    terms = monthly_day1(contract_period_length=12, contract_period_unit="months")
    sim = simulate(terms, berlin(2026, 3, 14), date(2027, 6, 1), cancel_at=berlin(2026, 6, 10))
    assert sim.subscription.expires == berlin(2027, 3, 14)
    assert summary(sim)[-1] == (berlin(2027, 3, 1), berlin(2027, 3, 14), 4194)  # 13/31


def test_cancel_during_trial_expires_at_trial_end_without_plan_invoice():
    terms = monthly_day1(
        trial_interval_length=14,
        trial_interval_unit="days",
        setup_fee=900,
        setup_fee_handling="separate_conditional",
        notice_periods=2,
    )
    sim = simulate(terms, berlin(2026, 3, 14, 10), date(2026, 6, 1), cancel_at=berlin(2026, 3, 17))
    assert sim.subscription.expires == berlin(2026, 3, 28, 10)
    assert [i.kind for i in sim.invoices] == ["setup_fee"]
    assert status_at(sim.final_state, berlin(2026, 3, 20)) == "pending_cancellation"


def test_cancel_before_the_first_fixed_day_under_no_bill_never_invoices():
    terms = monthly_day1(partial_period_handling="no_bill")
    sim = simulate(terms, berlin(2026, 3, 14), date(2026, 6, 1), cancel_at=berlin(2026, 3, 20))
    assert sim.subscription.expires == berlin(2026, 4, 1) and sim.invoices == ()


def test_cancel_exactly_at_a_period_start_keeps_that_period():
    sim = simulate(monthly(), START, date(2025, 6, 1), cancel_at=berlin(2025, 3, 15, 10))
    assert sim.subscription.expires == berlin(2025, 4, 15, 10)
    assert len(sim.invoices) == 3


def test_cancel_manual_plan_expires_at_once():
    terms = monthly(schedule_type="manual")
    state = start_subscription(terms, START)
    assert cancel(terms, state, CANCEL).expires == CANCEL


def test_cancelling_twice_or_after_expiry_is_refused():
    state = cancel(monthly(), start_subscription(monthly(), START), CANCEL)
    with pytest.raises(BillingError):
        cancel(monthly(), state, berlin(2025, 3, 3))
    with pytest.raises(BillingError):
        uncancel(monthly(), state, berlin(2025, 3, 15, 10))


def test_uncancel_before_expiry_resumes_renewal():
    terms = monthly()
    _, state = bill_until(terms, start_subscription(terms, START), CANCEL)
    state = uncancel(terms, cancel(terms, state, CANCEL), berlin(2025, 3, 10))
    invoices, _ = bill_until(terms, state, berlin(2025, 5, 15, 10))
    assert state.expires is None and len(invoices) == 3


def test_uncancel_is_refused_inside_the_final_partial_period():
    terms = monthly_day1(notice_periods=1, notice_periods_after_current=False)
    state = cancel(terms, start_subscription(terms, berlin(2026, 4, 1)), berlin(2026, 5, 10, 12))
    assert uncancel(terms, state, berlin(2026, 5, 20)).cancelled_at is None
    with pytest.raises(BillingError):
        uncancel(terms, state, berlin(2026, 6, 5))


def test_uncancel_without_cancellation_is_refused():
    with pytest.raises(BillingError):
        uncancel(monthly(), start_subscription(monthly(), START), CANCEL)


def test_preview_when_the_paid_period_simply_runs_out():
    terms = monthly()
    _, state = bill_until(terms, start_subscription(terms, START), CANCEL)
    preview = cancellation_preview(terms, state, CANCEL)
    assert preview.expires == berlin(2025, 3, 15, 10)
    assert (preview.last_period_start, preview.last_period_end) == (
        berlin(2025, 2, 15, 10),
        berlin(2025, 3, 15, 10),
    )
    assert not preview.last_period_prorated and preview.last_invoice is None
    assert state.cancelled_at is None  # nothing saved


def test_preview_shows_the_prorated_last_invoice_when_notice_runs_from_cancellation():
    terms = monthly(notice_periods=1, notice_periods_after_current=False)
    _, state = bill_until(terms, start_subscription(terms, START), CANCEL)
    preview = cancellation_preview(terms, state, CANCEL)
    assert preview.expires == berlin(2025, 4, 2, 10)
    assert preview.last_period_prorated
    assert (preview.last_invoice.period_start, preview.last_invoice.amount) == (
        berlin(2025, 3, 15, 10),
        5806,
    )


def test_preview_lists_every_invoice_until_a_renewed_contract_ends():
    terms = contract_plan(renewal_contract_period_length=3, renewal_contract_period_unit="months")
    _, state = bill_until(
        terms, start_subscription(terms, berlin(2026, 1, 1)), berlin(2026, 12, 15)
    )
    preview = cancellation_preview(terms, state, berlin(2026, 12, 15))
    assert preview.expires == berlin(2027, 4, 1)
    assert [i.period_start for i in preview.invoices] == [
        berlin(2027, 1, 1),
        berlin(2027, 2, 1),
        berlin(2027, 3, 1),
    ]


def test_preview_of_a_trial_cancellation_has_no_last_period():
    terms = monthly(trial_interval_length=1, trial_interval_unit="months")
    preview = cancellation_preview(terms, start_subscription(terms, START), berlin(2025, 1, 20))
    assert preview.expires == berlin(2025, 2, 15, 10)
    assert preview.last_period_start is None and preview.invoices == ()
