"""Worked examples for Reepay's fixed_trial_days, schedule_fixed_hour and include_zero_amount
(issue 7 item 7), with real dates in Europe/Berlin."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from core.billing import PlanTerms, simulate

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN)


def plan(**overrides):
    values = {"handle": "m", "name": "Monthly", "amount": 10000,
              "schedule_type": "month_fixedday", "schedule_fixed_day": 1}
    values.update(overrides)
    return PlanTerms(**values)


def periods(sim):
    return [(i.period_start, i.period_end, i.amount) for i in sim.invoices]


# -- fixed_trial_days -----------------------------------------------------------------------


def test_fixed_trial_days_end_the_trial_at_the_start_of_the_day():
    """Reepay's example (changelog S8): billed on the 1st, 7-day trial, signed up on the
    14th (10:00): the trial runs until the 21st (00:00), then 21–31 March is billed prorated:
    11 of March's 31 days of 100.00 = 35.48."""
    terms = plan(trial_interval_length=7, trial_interval_unit="days", fixed_trial_days=True)
    sim = simulate(terms, berlin(2026, 3, 14, 10, 0), date(2026, 4, 1))
    assert sim.subscription.trial_end == berlin(2026, 3, 21)
    assert periods(sim) == [(berlin(2026, 3, 21), berlin(2026, 4, 1), 3548),
                            (berlin(2026, 4, 1), berlin(2026, 5, 1), 10000)]


def test_without_fixed_trial_days_the_trial_runs_to_the_minute():
    for value in (None, False):  # a plan made in Kontor (None) keeps today's behaviour
        terms = plan(trial_interval_length=7, trial_interval_unit="days",
                     fixed_trial_days=value)
        sim = simulate(terms, berlin(2026, 3, 14, 10, 0), date(2026, 4, 1))
        assert sim.subscription.trial_end == berlin(2026, 3, 21, 10, 0)
        # Whole-day proration still counts the started 21st in full: 11/31 of 100.00.
        assert periods(sim)[0] == (berlin(2026, 3, 21, 10, 0), berlin(2026, 4, 1), 3548)


def test_fixed_trial_days_with_a_fixed_hour_end_at_that_hour():
    terms = plan(trial_interval_length=1, trial_interval_unit="months", fixed_trial_days=True,
                 schedule_fixed_hour=6)
    sim = simulate(terms, berlin(2026, 1, 31, 5, 0), date(2026, 3, 2))
    # 31 Jan 05:00 + 1 month = 28 Feb 05:00; the day (starting 06:00) began on 27 Feb 06:00.
    assert sim.subscription.trial_end == berlin(2026, 2, 27, 6, 0)
    assert periods(sim)[0][:2] == (berlin(2026, 2, 27, 6, 0), berlin(2026, 3, 1, 6, 0))


def test_fixed_trial_days_do_not_apply_to_start_date_schedules():
    """Reepay: "when using trial for fixed day scheduling"; a month_startdate trial keeps
    the minute."""
    terms = PlanTerms(handle="s", name="S", amount=5000, schedule_type="month_startdate",
                      trial_interval_length=14, trial_interval_unit="days",
                      fixed_trial_days=True)
    sim = simulate(terms, berlin(2026, 3, 14, 10, 0), date(2026, 4, 30))
    assert sim.subscription.trial_end == berlin(2026, 3, 28, 10, 0)
    assert periods(sim)[0] == (berlin(2026, 3, 28, 10, 0), berlin(2026, 4, 28, 10, 0), 5000)


# -- schedule_fixed_hour --------------------------------------------------------------------


def test_monthly_boundaries_at_the_fixed_hour_across_daylight_saving():
    terms = plan(schedule_fixed_hour=6)
    sim = simulate(terms, berlin(2026, 3, 14, 10, 0), date(2026, 5, 2))
    assert [(i.period_start, i.period_end) for i in sim.invoices] == [
        (berlin(2026, 3, 14, 10, 0), berlin(2026, 4, 1, 6, 0)),
        (berlin(2026, 4, 1, 6, 0), berlin(2026, 5, 1, 6, 0)),
        (berlin(2026, 5, 1, 6, 0), berlin(2026, 6, 1, 6, 0))]
    # 06:00 in Berlin: 05:00 UTC in winter, 04:00 UTC in summer (CEST from 29 March).
    assert sim.invoices[1].issued == datetime(2026, 4, 1, 4, 0, tzinfo=UTC)
    # First partial period 14 Mar 10:00 → 1 Apr 06:00: whole days 14–31 March (18 of 31).
    assert sim.invoices[0].amount == 5806


def test_weekly_boundaries_at_the_fixed_hour():
    terms = PlanTerms(handle="w", name="Weekly", amount=700, schedule_type="weekly_fixedday",
                      schedule_fixed_day=1, schedule_fixed_hour=23,
                      partial_period_handling="no_bill")
    sim = simulate(terms, berlin(2026, 3, 18, 12, 0), date(2026, 3, 31))  # a Wednesday
    assert [(i.period_start, i.period_end, i.amount) for i in sim.invoices] == [
        (berlin(2026, 3, 23, 23, 0), berlin(2026, 3, 30, 23, 0), 700),
        (berlin(2026, 3, 30, 23, 0), berlin(2026, 4, 6, 23, 0), 700)]


def test_a_start_on_the_fixed_day_before_the_hour_has_a_partial_period_of_hours():
    terms = plan(schedule_fixed_hour=6, partial_period_handling="bill_full")
    sim = simulate(terms, berlin(2026, 4, 1, 3, 0), date(2026, 4, 2))
    assert periods(sim) == [(berlin(2026, 4, 1, 3, 0), berlin(2026, 4, 1, 6, 0), 10000),
                            (berlin(2026, 4, 1, 6, 0), berlin(2026, 5, 1, 6, 0), 10000)]


# -- include_zero_amount --------------------------------------------------------------------


def _lines(invoice):
    return [(line.kind, line.amount) for line in invoice.lines]


def test_a_zero_plan_line_is_left_off_beside_the_setup_fee_unless_included():
    free = plan(amount=0, setup_fee=4900, setup_fee_text="Welcome kit")
    start, until = berlin(2026, 4, 1, 9, 0), date(2026, 5, 1)
    off = simulate(free, start, until)
    assert [_lines(i) for i in off.invoices] == [[("setup_fee", 4900)], [("plan", 0)]]
    assert [i.kind for i in off.invoices] == ["plan", "plan"]  # still the period's invoice
    on = simulate(plan(amount=0, setup_fee=4900, setup_fee_text="Welcome kit",
                       include_zero_amount=True), start, until)
    assert [_lines(i) for i in on.invoices] == [[("plan", 0), ("setup_fee", 4900)],
                                                [("plan", 0)]]


def test_a_bill_zero_amount_first_period_keeps_its_line_when_alone():
    terms = plan(partial_period_handling="bill_zero_amount")
    sim = simulate(terms, berlin(2026, 3, 14, 10, 0), date(2026, 4, 1))
    assert [_lines(i) for i in sim.invoices] == [[("plan", 0)], [("plan", 10000)]]
