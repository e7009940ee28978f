"""SPEC §7.1 rule 1: period boundaries of every schedule type, month ends, base_month, DST."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.billing import PlanTerms, Schedule, place_first_period, simulate, start_subscription

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN)


def local_iso(moment):
    return moment.astimezone(BERLIN).isoformat()


def plan(schedule_type, **overrides):
    values = {"handle": "p", "name": "Plan", "amount": 10000, "schedule_type": schedule_type}
    values.update(overrides)
    return PlanTerms(**values)


def period_starts(sim):
    return [inv.period_start for inv in sim.invoices]


def test_month_startdate_on_the_31st_clamps_to_each_month_end():
    sim = simulate(plan("month_startdate"), berlin(2026, 1, 31, 10), date(2026, 5, 31))
    assert period_starts(sim) == [
        berlin(2026, 1, 31, 10),
        berlin(2026, 2, 28, 10),
        berlin(2026, 3, 31, 10),
        berlin(2026, 4, 30, 10),
        berlin(2026, 5, 31, 10),
    ]


def test_month_startdate_reaches_leap_day_and_returns_to_the_31st():
    sim = simulate(plan("month_startdate"), berlin(2028, 1, 31), date(2028, 4, 30))
    assert period_starts(sim) == [
        berlin(2028, 1, 31),
        berlin(2028, 2, 29),
        berlin(2028, 3, 31),
        berlin(2028, 4, 30),
    ]


def test_month_startdate_every_second_month_is_computed_from_the_anchor():
    sim = simulate(
        plan("month_startdate", interval_length=2), berlin(2027, 12, 31), date(2028, 8, 31)
    )
    assert period_starts(sim) == [
        berlin(2027, 12, 31),
        berlin(2028, 2, 29),
        berlin(2028, 4, 30),
        berlin(2028, 6, 30),
        berlin(2028, 8, 31),
    ]


def test_month_startdate_keeps_its_wall_clock_time_across_dst():
    sim = simulate(plan("month_startdate"), berlin(2026, 2, 15, 9), date(2026, 4, 15))
    assert [local_iso(p) for p in period_starts(sim)] == [
        "2026-02-15T09:00:00+01:00",
        "2026-03-15T09:00:00+01:00",
        "2026-04-15T09:00:00+02:00",
    ]


def test_daily_every_second_day_from_start():
    sim = simulate(plan("daily", interval_length=2), berlin(2028, 2, 27, 8), date(2028, 3, 3))
    assert period_starts(sim) == [
        berlin(2028, 2, 27, 8),
        berlin(2028, 2, 29, 8),
        berlin(2028, 3, 2, 8),
    ]


def test_daily_anchor_inside_the_dst_gap_moves_forward_only_that_day():
    sim = simulate(plan("daily"), berlin(2026, 3, 28, 2, 30), date(2026, 3, 30))
    assert [local_iso(p) for p in period_starts(sim)] == [
        "2026-03-28T02:30:00+01:00",
        "2026-03-29T03:30:00+02:00",
        "2026-03-30T02:30:00+02:00",
    ]


def test_month_fixedday_boundaries_are_local_midnight_through_dst():
    sim = simulate(
        plan("month_fixedday", schedule_fixed_day=1), berlin(2026, 3, 1), date(2026, 11, 1)
    )
    starts = period_starts(sim)
    assert len(starts) == 9
    assert all(local_iso(s)[8:19] == "01T00:00:00" for s in starts)
    assert local_iso(starts[1]) == "2026-04-01T00:00:00+02:00"
    assert local_iso(starts[-1]) == "2026-11-01T00:00:00+01:00"


def test_month_fixedday_every_third_month_from_the_first_fixed_day():
    terms = plan("month_fixedday", schedule_fixed_day=15, interval_length=3)
    sim = simulate(terms, berlin(2026, 2, 15), date(2026, 12, 31))
    assert period_starts(sim) == [
        berlin(2026, 2, 15),
        berlin(2026, 5, 15),
        berlin(2026, 8, 15),
        berlin(2026, 11, 15),
    ]


def test_month_lastday_runs_from_last_day_to_last_day_including_leap_february():
    sim = simulate(plan("month_lastday"), berlin(2028, 1, 31), date(2028, 4, 30))
    assert period_starts(sim) == [
        berlin(2028, 1, 31),
        berlin(2028, 2, 29),
        berlin(2028, 3, 31),
        berlin(2028, 4, 30),
    ]


def test_month_lastday_partial_first_period_is_prorated_over_the_month_ending_on_the_fixed_day():
    # 10..27 Feb = 18 days of the 28-day period 31 Jan → 28 Feb.
    sim = simulate(plan("month_lastday"), berlin(2026, 2, 10, 12), date(2026, 3, 1))
    first, second = sim.invoices
    assert (first.period_end, first.amount) == (berlin(2026, 2, 28), 6429)
    assert (second.period_start, second.period_end) == (berlin(2026, 2, 28), berlin(2026, 3, 31))


def test_weekly_fixedday_runs_monday_to_monday_across_spring_dst():
    terms = plan("weekly_fixedday", schedule_fixed_day=1)
    sim = simulate(terms, berlin(2026, 3, 23), date(2026, 4, 6))
    assert [(local_iso(i.period_start), local_iso(i.period_end)) for i in sim.invoices] == [
        ("2026-03-23T00:00:00+01:00", "2026-03-30T00:00:00+02:00"),
        ("2026-03-30T00:00:00+02:00", "2026-04-06T00:00:00+02:00"),
        ("2026-04-06T00:00:00+02:00", "2026-04-13T00:00:00+02:00"),
    ]
    # The DST week is an hour short in real time but billed as a full week.
    assert sim.invoices[0].period_end - sim.invoices[0].period_start == timedelta(hours=167)
    assert {i.amount for i in sim.invoices} == {10000}


def test_weekly_fixedday_autumn_dst_week_is_an_hour_long_and_still_full_price():
    terms = plan("weekly_fixedday", schedule_fixed_day=1)
    sim = simulate(terms, berlin(2026, 10, 19), date(2026, 10, 19))
    (invoice,) = sim.invoices
    assert local_iso(invoice.period_end) == "2026-10-26T00:00:00+01:00"
    assert invoice.period_end - invoice.period_start == timedelta(hours=169)
    assert invoice.amount == 10000


def test_weekly_fixedday_sunday_every_two_weeks():
    terms = plan("weekly_fixedday", schedule_fixed_day=7, interval_length=2)
    sim = simulate(terms, berlin(2026, 6, 7), date(2026, 7, 5))
    assert period_starts(sim) == [berlin(2026, 6, 7), berlin(2026, 6, 21), berlin(2026, 7, 5)]


def test_base_month_makes_quarters_start_in_january_april_july_october():
    terms = plan("month_fixedday", schedule_fixed_day=1, interval_length=3, base_month=1)
    sim = simulate(terms, berlin(2026, 2, 10, 15), date(2026, 12, 31))
    assert period_starts(sim) == [
        berlin(2026, 2, 10, 15),
        berlin(2026, 4, 1),
        berlin(2026, 7, 1),
        berlin(2026, 10, 1),
    ]
    # Partial 10 Feb → 1 Apr: 50 days of the 90-day quarter 1 Jan → 1 Apr.
    assert sim.invoices[0].amount == 5556


def test_base_month_above_interval_selects_the_same_residue_months():
    terms = plan("month_fixedday", schedule_fixed_day=1, interval_length=3, base_month=4)
    first = place_first_period(terms, berlin(2026, 11, 15), BERLIN)
    assert first.anchor == berlin(2027, 1, 1) and first.partial


def test_yearly_base_month_bills_the_rest_of_the_year_then_each_january():
    terms = plan(
        "month_fixedday", amount=120000, schedule_fixed_day=1, interval_length=12, base_month=1
    )
    sim = simulate(terms, berlin(2026, 3, 14, 9), date(2027, 1, 1))
    first, second = sim.invoices
    # 14 Mar..31 Dec 2026 = 293 of 365 days.
    assert (first.period_end, first.amount) == (berlin(2027, 1, 1), 96329)
    assert (second.period_start, second.period_end) == (berlin(2027, 1, 1), berlin(2028, 1, 1))


def test_base_month_on_month_lastday_picks_quarter_ends():
    terms = plan("month_lastday", interval_length=3, base_month=3)
    first = place_first_period(terms, berlin(2026, 1, 10), BERLIN)
    assert first.anchor == berlin(2026, 3, 31)


def test_start_on_the_fixed_day_after_midnight_is_a_full_first_period():
    terms = plan("month_fixedday", schedule_fixed_day=1)
    sim = simulate(terms, berlin(2026, 4, 1, 10), date(2026, 5, 1))
    first, second = sim.invoices
    assert (first.period_start, first.period_end, first.amount) == (
        berlin(2026, 4, 1, 10),
        berlin(2026, 5, 1),
        10000,
    )
    assert not first.lines[0].prorated
    assert second.period_start == berlin(2026, 5, 1)


def test_manual_plan_issues_no_invoices():
    terms = plan("manual", setup_fee=500, setup_fee_handling="separate")
    sim = simulate(terms, berlin(2026, 3, 14))
    assert sim.invoices == () and sim.subscription.first_period_start is None


def test_schedule_index_finds_far_boundaries_exactly():
    schedule = Schedule("month_startdate", 1, berlin(2024, 1, 31, 23, 30), BERLIN)
    moment = berlin(2030, 2, 28, 23, 30)
    k = schedule.index(moment)
    assert schedule.boundary(k) == moment and k == 73
    assert schedule.index(moment - timedelta(seconds=1)) == 72


@pytest.mark.parametrize("tz", ["America/New_York", "Asia/Tokyo", "UTC"])
def test_fixed_day_boundaries_follow_the_account_time_zone(tz):
    zone = ZoneInfo(tz)
    state = start_subscription(
        plan("month_fixedday", schedule_fixed_day=1), datetime(2026, 3, 14, 12, tzinfo=zone), tz=tz
    )
    assert state.anchor == datetime(2026, 4, 1, tzinfo=zone)
