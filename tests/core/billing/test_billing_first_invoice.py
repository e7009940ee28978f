"""SPEC §7.1 rules 2–5: partial first period, trial, setup fee, quantity and VAT."""

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from core.billing import PlanTerms, price, round_half_up, simulate, status_at

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN)


def monthly_day1(**overrides):
    values = {
        "handle": "m",
        "name": "Monthly",
        "amount": 10000,
        "schedule_type": "month_fixedday",
        "schedule_fixed_day": 1,
    }
    values.update(overrides)
    return PlanTerms(**values)


def summary(sim):
    return [(i.period_start, i.period_end, i.amount) for i in sim.invoices]


# -- rule 2: partial first period -------------------------------------------------------------


def test_spec_example_start_14_march_bills_18_of_31_days():
    sim = simulate(monthly_day1(), berlin(2026, 3, 14, 9, 30), date(2026, 4, 1))
    assert summary(sim) == [
        (berlin(2026, 3, 14, 9, 30), berlin(2026, 4, 1), 5806),
        (berlin(2026, 4, 1), berlin(2026, 5, 1), 10000),
    ]
    assert sim.invoices[0].lines[0].prorated and not sim.invoices[1].lines[0].prorated


def test_by_minute_proration_uses_real_seconds_over_the_dst_shortened_month():
    # 14 Mar 09:30 CET → 1 Apr 00:00 CEST is 421.5 h of the 743-h period 1 Mar → 1 Apr.
    sim = simulate(
        monthly_day1(partial_proration_days=False), berlin(2026, 3, 14, 9, 30), date(2026, 3, 31)
    )
    assert summary(sim) == [(berlin(2026, 3, 14, 9, 30), berlin(2026, 4, 1), 5673)]
    assert 5673 == round_half_up(Fraction(10000 * 4215, 7430))


def test_whole_day_proration_counts_the_start_day_even_at_23_59():
    sim = simulate(monthly_day1(), berlin(2026, 3, 14, 23, 59), date(2026, 3, 31))
    assert sim.invoices[0].amount == 5806


def test_weekly_partial_period_in_the_dst_week_by_days_and_by_minute():
    weekly = {"schedule_type": "weekly_fixedday", "schedule_fixed_day": 1}
    start = berlin(2026, 3, 25, 12)  # Wednesday; next Monday 30 Mar is after the switch to CEST
    by_days = simulate(monthly_day1(**weekly), start, date(2026, 3, 29))
    by_minute = simulate(
        monthly_day1(**weekly, partial_proration_days=False), start, date(2026, 3, 29)
    )
    assert summary(by_days) == [(start, berlin(2026, 3, 30), 7143)]  # 5 of 7 days
    assert summary(by_minute) == [(start, berlin(2026, 3, 30), 6407)]  # 107 of 167 hours


def test_bill_full_charges_the_whole_amount_for_the_partial_period():
    sim = simulate(
        monthly_day1(partial_period_handling="bill_full"), berlin(2026, 3, 14), date(2026, 4, 1)
    )
    assert summary(sim) == [
        (berlin(2026, 3, 14), berlin(2026, 4, 1), 10000),
        (berlin(2026, 4, 1), berlin(2026, 5, 1), 10000),
    ]
    assert not sim.invoices[0].lines[0].prorated


def test_bill_zero_amount_issues_a_zero_invoice_for_the_partial_period():
    sim = simulate(
        monthly_day1(partial_period_handling="bill_zero_amount"),
        berlin(2026, 3, 14),
        date(2026, 4, 1),
    )
    assert summary(sim) == [
        (berlin(2026, 3, 14), berlin(2026, 4, 1), 0),
        (berlin(2026, 4, 1), berlin(2026, 5, 1), 10000),
    ]


def test_no_bill_skips_the_partial_period_and_first_bills_on_the_fixed_day():
    sim = simulate(
        monthly_day1(partial_period_handling="no_bill"), berlin(2026, 3, 14), date(2026, 4, 30)
    )
    assert summary(sim) == [(berlin(2026, 4, 1), berlin(2026, 5, 1), 10000)]
    assert sim.subscription.first_period_start == berlin(2026, 4, 1)


def test_prorated_amount_below_minimum_becomes_zero():
    start = berlin(2026, 3, 30, 8)  # 30..31 Mar = 2/31 → 645
    assert (
        simulate(monthly_day1(minimum_prorated_amount=1000), start, date(2026, 3, 31))
        .invoices[0]
        .amount
        == 0
    )
    assert (
        simulate(monthly_day1(minimum_prorated_amount=645), start, date(2026, 3, 31))
        .invoices[0]
        .amount
        == 645
    )


def test_minimum_prorated_amount_never_touches_full_periods():
    sim = simulate(
        monthly_day1(amount=500, minimum_prorated_amount=1000), berlin(2026, 4, 1), date(2026, 5, 1)
    )
    assert [i.amount for i in sim.invoices] == [500, 500]


def test_partial_period_handling_does_not_apply_to_start_date_plans():
    terms = monthly_day1(
        schedule_type="month_startdate", schedule_fixed_day=None, partial_period_handling="no_bill"
    )
    sim = simulate(terms, berlin(2026, 3, 14, 9), date(2026, 3, 14))
    assert summary(sim) == [(berlin(2026, 3, 14, 9), berlin(2026, 4, 14, 9), 10000)]


# -- rule 3: trial ---------------------------------------------------------------------------


def test_trial_on_fixed_day_plan_bills_prorated_from_trial_end_to_next_fixed_day():
    # Reepay's own example: signup on the 14th, 7-day trial, billed prorated 21st → month end.
    terms = monthly_day1(trial_interval_length=7, trial_interval_unit="days")
    sim = simulate(terms, berlin(2026, 3, 14, 10), date(2026, 4, 1))
    assert (sim.subscription.trial_start, sim.subscription.trial_end) == (
        berlin(2026, 3, 14, 10),
        berlin(2026, 3, 21, 10),
    )
    assert summary(sim) == [
        (berlin(2026, 3, 21, 10), berlin(2026, 4, 1), 3548),  # 11/31
        (berlin(2026, 4, 1), berlin(2026, 5, 1), 10000),
    ]


def test_trial_ending_on_the_fixed_day_bills_a_full_first_period():
    terms = monthly_day1(trial_interval_length=14, trial_interval_unit="days")
    sim = simulate(terms, berlin(2026, 3, 18), date(2026, 4, 1))
    assert summary(sim) == [(berlin(2026, 4, 1), berlin(2026, 5, 1), 10000)]


def test_trial_on_start_date_plan_anchors_periods_at_trial_end():
    terms = PlanTerms(
        handle="s",
        name="S",
        amount=2000,
        schedule_type="month_startdate",
        trial_interval_length=1,
        trial_interval_unit="months",
    )
    sim = simulate(terms, berlin(2026, 1, 31, 10), date(2026, 4, 28))
    assert sim.subscription.trial_end == berlin(2026, 2, 28, 10)
    assert [i.period_start for i in sim.invoices] == [
        berlin(2026, 2, 28, 10),
        berlin(2026, 3, 28, 10),
        berlin(2026, 4, 28, 10),
    ]


def test_trial_on_daily_plan_starts_billing_at_trial_end():
    terms = PlanTerms(
        handle="d",
        name="D",
        amount=100,
        schedule_type="daily",
        interval_length=7,
        trial_interval_length=10,
        trial_interval_unit="days",
    )
    sim = simulate(terms, berlin(2026, 6, 1, 12), date(2026, 6, 18))
    assert [i.period_start for i in sim.invoices] == [
        berlin(2026, 6, 11, 12),
        berlin(2026, 6, 18, 12),
    ]


def test_no_trial_flag_bills_from_the_start():
    terms = monthly_day1(trial_interval_length=7, trial_interval_unit="days")
    sim = simulate(terms, berlin(2026, 3, 14, 9, 30), date(2026, 3, 31), no_trial=True)
    assert sim.subscription.trial_end is None
    assert summary(sim) == [(berlin(2026, 3, 14, 9, 30), berlin(2026, 4, 1), 5806)]


def test_subscription_is_in_trial_then_active():
    terms = monthly_day1(trial_interval_length=7, trial_interval_unit="days")
    state = simulate(terms, berlin(2026, 3, 14, 10), date(2026, 3, 31)).final_state
    assert status_at(state, berlin(2026, 3, 20)) == "trial"
    assert status_at(state, berlin(2026, 3, 21, 10)) == "active"
    assert status_at(state, berlin(2026, 3, 1)) == "pending"


# -- rule 4: setup fee -----------------------------------------------------------------------


def fee(handling, **overrides):
    return monthly_day1(
        setup_fee=2500, setup_fee_text="Onboarding", setup_fee_handling=handling, **overrides
    )


def kinds(sim):
    return [[(line.kind, line.amount) for line in invoice.lines] for invoice in sim.invoices]


def test_setup_fee_first_is_a_line_on_the_first_plan_invoice():
    sim = simulate(fee("first"), berlin(2026, 3, 14), date(2026, 4, 1))
    assert kinds(sim) == [[("plan", 5806), ("setup_fee", 2500)], [("plan", 10000)]]
    assert sim.invoices[0].amount == 8306
    assert sim.invoices[0].lines[1].text == "Onboarding"


def test_setup_fee_first_with_trial_waits_for_the_first_plan_invoice():
    sim = simulate(
        fee("first", trial_interval_length=7, trial_interval_unit="days"),
        berlin(2026, 3, 14, 10),
        date(2026, 3, 31),
    )
    assert kinds(sim) == [[("plan", 3548), ("setup_fee", 2500)]]
    assert sim.invoices[0].issued == berlin(2026, 3, 21, 10)


def test_setup_fee_separate_is_its_own_invoice_at_the_start():
    sim = simulate(fee("separate"), berlin(2026, 3, 14), date(2026, 4, 1))
    assert kinds(sim) == [[("setup_fee", 2500)], [("plan", 5806)], [("plan", 10000)]]
    separate = sim.invoices[0]
    assert (separate.issued, separate.period_start, separate.period_end) == (
        berlin(2026, 3, 14),
        None,
        None,
    )
    assert len({invoice.key for invoice in sim.invoices}) == 3


def test_setup_fee_separate_conditional_joins_a_first_invoice_issued_at_the_start():
    sim = simulate(fee("separate_conditional"), berlin(2026, 3, 14), date(2026, 3, 31))
    assert kinds(sim) == [[("plan", 5806), ("setup_fee", 2500)]]


def test_setup_fee_separate_conditional_bills_separately_during_a_trial():
    sim = simulate(
        fee("separate_conditional", trial_interval_length=7, trial_interval_unit="days"),
        berlin(2026, 3, 14, 10),
        date(2026, 3, 31),
    )
    assert kinds(sim) == [[("setup_fee", 2500)], [("plan", 3548)]]
    assert sim.invoices[0].issued == berlin(2026, 3, 14, 10)


def test_setup_fee_separate_conditional_bills_separately_under_no_bill():
    sim = simulate(
        fee("separate_conditional", partial_period_handling="no_bill"),
        berlin(2026, 3, 14),
        date(2026, 4, 1),
    )
    assert kinds(sim) == [[("setup_fee", 2500)], [("plan", 10000)]]
    assert [i.issued for i in sim.invoices] == [berlin(2026, 3, 14), berlin(2026, 4, 1)]


def test_setup_fee_is_per_subscription_and_follows_the_plan_vat_basis():
    terms = fee("first", vat=Decimal("0.19"), amount_incl_vat=False)
    sim = simulate(terms, berlin(2026, 4, 1), date(2026, 4, 1), quantity=3)
    plan_line, fee_line = sim.invoices[0].lines
    assert (fee_line.quantity, fee_line.amount, fee_line.vat_amount) == (1, 2975, 475)
    assert (plan_line.quantity, plan_line.amount, plan_line.vat_amount) == (3, 35700, 5700)


# -- rule 5: quantity and VAT ----------------------------------------------------------------


def test_quantity_multiplies_the_line_before_proration_and_vat():
    terms = monthly_day1(vat=Decimal("0.19"), amount_incl_vat=False)
    sim = simulate(terms, berlin(2026, 3, 14), date(2026, 3, 31), quantity=3)
    line = sim.invoices[0].lines[0]
    # net 30000 × 18/31 = 17419; gross 17419 × 1.19 = 20728.61 → 20729.
    assert (line.quantity, line.net, line.amount, line.vat_amount) == (3, 17419, 20729, 3310)


def test_amount_including_vat_is_the_gross_and_vat_is_extracted():
    sim = simulate(monthly_day1(vat=Decimal("0.19")), berlin(2026, 4, 1), date(2026, 4, 1))
    invoice = sim.invoices[0]
    assert (invoice.amount, invoice.vat_amount, invoice.net) == (10000, 1597, 8403)


def test_plan_default_quantity_applies_when_none_is_given():
    sim = simulate(monthly_day1(quantity=2), berlin(2026, 4, 1), date(2026, 4, 1))
    assert sim.invoices[0].lines[0].quantity == 2 and sim.invoices[0].amount == 20000


@pytest.mark.parametrize(
    ("value", "rounded"),
    [(Fraction(5, 2), 3), (Fraction(7, 2), 4), (Fraction(-5, 2), -3), (Fraction(249, 100), 2)],
)
def test_rounding_is_half_up_not_bankers(value, rounded):
    assert round_half_up(value) == rounded


def test_vat_on_a_net_amount_rounds_half_up():
    assert price(50, Decimal("0.19"), False).gross == 60  # 59.5 → 60
    assert price(50, Decimal("0.19"), False).vat_amount == 10
