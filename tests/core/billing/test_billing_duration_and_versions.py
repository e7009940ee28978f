"""SPEC §7.1 rules 6 and 8: fixed count, fixed life time, contract end, new plan versions."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.billing import (
    PlanTerms,
    apply_version,
    bill_until,
    simulate,
    start_subscription,
    status_at,
    version_switch_at,
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


# -- rule 6 ----------------------------------------------------------------------------------


def test_fixed_count_counts_the_prorated_first_period():
    sim = simulate(monthly_day1(fixed_count=3), berlin(2026, 3, 14), date(2026, 12, 31))
    assert [i.amount for i in sim.invoices] == [5806, 10000, 10000]
    assert sim.subscription.expires == berlin(2026, 6, 1)
    assert sim.subscription.state == "expired"


def test_fixed_count_expiry_is_projected_before_the_last_invoice():
    sim = simulate(monthly_day1(fixed_count=6), berlin(2026, 3, 14), date(2026, 4, 15))
    assert len(sim.invoices) == 2
    assert sim.subscription.expires == berlin(2026, 9, 1)
    assert sim.subscription.state == "active"


def test_fixed_count_under_no_bill_starts_counting_at_the_first_fixed_day():
    terms = monthly_day1(fixed_count=3, partial_period_handling="no_bill")
    sim = simulate(terms, berlin(2026, 3, 14), date(2026, 12, 31))
    assert [i.period_start for i in sim.invoices] == [
        berlin(2026, 4, 1),
        berlin(2026, 5, 1),
        berlin(2026, 6, 1),
    ]
    assert sim.subscription.expires == berlin(2026, 7, 1)


def test_instalments_of_six_on_a_start_date_plan():
    sim = simulate(monthly(fixed_count=6), berlin(2026, 8, 31, 12), date(2027, 12, 31))
    assert [i.period_start.astimezone(BERLIN).date() for i in sim.invoices] == [
        date(2026, 8, 31),
        date(2026, 9, 30),
        date(2026, 10, 31),
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 31),
    ]
    assert sim.subscription.expires == berlin(2027, 2, 28, 12)


def test_fixed_life_time_on_a_boundary_ends_there():
    terms = monthly(fixed_life_time_length=12, fixed_life_time_unit="months")
    sim = simulate(terms, berlin(2026, 1, 15, 10), date(2027, 6, 1))
    assert sim.subscription.expires == berlin(2027, 1, 15, 10)
    assert len(sim.invoices) == 12


def test_fixed_life_time_expires_at_the_end_of_the_period_containing_it():
    terms = monthly(fixed_life_time_length=45, fixed_life_time_unit="days")
    sim = simulate(terms, berlin(2026, 1, 15, 10), date(2026, 6, 1))
    assert sim.subscription.expires == berlin(2026, 3, 15, 10)  # 1 Mar lies in 15 Feb → 15 Mar
    assert len(sim.invoices) == 2


def test_fixed_life_time_in_a_partial_first_period_ends_at_the_first_fixed_day():
    terms = monthly_day1(fixed_life_time_length=10, fixed_life_time_unit="days")
    sim = simulate(terms, berlin(2026, 3, 14), date(2026, 6, 1))
    assert sim.subscription.expires == berlin(2026, 4, 1)
    assert [i.amount for i in sim.invoices] == [5806]


def test_contract_end_expires_at_the_end_of_the_contract_period():
    terms = monthly_day1(
        subscription_duration="contract_end",
        contract_period_length=6,
        contract_period_unit="months",
    )
    sim = simulate(terms, berlin(2026, 4, 1), date(2027, 6, 1))
    assert sim.subscription.expires == berlin(2026, 10, 1)
    assert len(sim.invoices) == 6 and sim.subscription.state == "expired"
    assert status_at(sim.final_state, berlin(2026, 9, 30)) == "active"


def test_contract_end_inside_a_period_bills_the_last_period_prorated():
    terms = monthly_day1(
        subscription_duration="contract_end",
        contract_period_length=6,
        contract_period_unit="months",
    )
    sim = simulate(terms, berlin(2026, 3, 14), date(2027, 6, 1))
    assert sim.subscription.expires == berlin(2026, 9, 14)
    last = sim.invoices[-1]
    assert (last.period_start, last.period_end, last.amount) == (
        berlin(2026, 9, 1),
        berlin(2026, 9, 14),
        4333,
    )


def test_cancellation_after_the_fixed_end_does_not_extend_it():
    terms = monthly(fixed_count=2, notice_periods=3)
    sim = simulate(terms, berlin(2026, 1, 15), date(2026, 12, 1), cancel_at=berlin(2026, 1, 20))
    assert sim.subscription.expires == berlin(2026, 3, 15)
    assert sim.subscription.state == "expired"


# -- rule 8 ----------------------------------------------------------------------------------


def test_new_version_applies_from_the_next_period_start():
    old, new = monthly(), monthly(amount=12000)
    sim = simulate(
        old, berlin(2026, 1, 15, 10), date(2026, 5, 1), versions=[(berlin(2026, 3, 2), new)]
    )
    assert [i.amount for i in sim.invoices] == [10000, 10000, 12000, 12000]
    assert sim.invoices[2].period_start == berlin(2026, 3, 15, 10)


def test_version_published_during_trial_applies_from_the_first_period():
    old = monthly(trial_interval_length=14, trial_interval_unit="days")
    state = start_subscription(old, berlin(2026, 3, 1))
    assert version_switch_at(old, state, berlin(2026, 3, 5)) == berlin(2026, 3, 15)


def test_version_published_after_the_expiry_never_applies():
    terms = monthly(fixed_life_time_length=1, fixed_life_time_unit="months")
    state = start_subscription(terms, berlin(2026, 3, 1))
    assert version_switch_at(terms, state, berlin(2026, 3, 10)) is None


def test_new_version_with_another_schedule_reanchors_with_a_partial_period():
    old = monthly()
    new = monthly_day1(amount=12000)
    sim = simulate(
        old, berlin(2026, 1, 15, 10), date(2026, 4, 30), versions=[(berlin(2026, 3, 2), new)]
    )
    assert [(i.period_start, i.period_end, i.amount) for i in sim.invoices][2:] == [
        (berlin(2026, 3, 15, 10), berlin(2026, 4, 1), 6581),  # 17 of 31 days at the new price
        (berlin(2026, 4, 1), berlin(2026, 5, 1), 12000),
    ]


def test_billing_run_moves_a_subscriber_the_same_way_as_simulate():
    old, new = monthly(), monthly(amount=12000, setup_fee=5000)
    start, published = berlin(2026, 1, 15, 10), berlin(2026, 3, 2)
    invoices, state = bill_until(old, start_subscription(old, start), published)
    switch = version_switch_at(old, state, published)
    more, state = bill_until(old, state, switch - timedelta(microseconds=1))
    state = apply_version(old, new, state, switch)
    rest, _ = bill_until(new, state, berlin(2026, 5, 1))
    expected = simulate(old, start, date(2026, 5, 1), versions=[(published, new)]).invoices
    assert tuple(invoices + more + rest) == expected
    assert all(
        line.kind == "plan" for invoice in expected for line in invoice.lines
    )  # no new setup fee


def test_quantity_change_applies_to_later_invoices():
    terms = monthly()
    invoices, state = bill_until(
        terms, start_subscription(terms, berlin(2026, 1, 15)), berlin(2026, 2, 1)
    )
    later, _ = bill_until(terms, replace(state, quantity=3), berlin(2026, 2, 15))
    assert [i.amount for i in invoices + later] == [10000, 30000]


def test_version_with_a_smaller_fixed_count_ends_the_subscription_at_the_switch():
    old, new = monthly(fixed_count=6), monthly(fixed_count=2)
    sim = simulate(
        old, berlin(2026, 1, 15), date(2026, 12, 1), versions=[(berlin(2026, 3, 20), new)]
    )
    assert len(sim.invoices) == 3
    assert sim.subscription.expires == berlin(2026, 4, 15)
    assert sim.subscription.state == "expired"
