"""Properties: contiguous periods, bounded proration, simulate = billing run, cancellation."""

import itertools
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core.billing import (
    PlanTerms,
    bill_until,
    cancel,
    cancellation_preview,
    price,
    simulate,
    start_subscription,
)
from core.billing.periods import day_start, wall, zone

BERLIN = zone("Europe/Berlin")
FAST = settings(max_examples=60, deadline=None)


@st.composite
def plan_terms(draw, *, contract_terms=True):
    schedule_type = draw(
        st.sampled_from(
            ["daily", "weekly_fixedday", "month_startdate", "month_fixedday", "month_lastday"]
        )
    )
    values = {
        "handle": "p",
        "name": "P",
        "amount": draw(st.integers(0, 200_000)),
        "schedule_type": schedule_type,
    }
    values["interval_length"] = draw(
        st.integers(1, 10) if schedule_type == "daily" else st.sampled_from([1, 1, 2, 3, 12])
    )
    if schedule_type == "weekly_fixedday":
        values["interval_length"] = min(values["interval_length"], 3)
        values["schedule_fixed_day"] = draw(st.integers(1, 7))
    if schedule_type == "month_fixedday":
        values["schedule_fixed_day"] = draw(st.integers(1, 28))
    if schedule_type in ("month_fixedday", "month_lastday"):
        values["base_month"] = draw(st.none() | st.integers(1, 12))
    if schedule_type in ("weekly_fixedday", "month_fixedday", "month_lastday"):
        values["schedule_fixed_hour"] = draw(st.none() | st.integers(0, 23))
    values["fixed_trial_days"] = draw(st.none() | st.booleans())
    values["include_zero_amount"] = draw(st.booleans())
    values["partial_period_handling"] = draw(
        st.sampled_from(["bill_prorated", "bill_full", "bill_zero_amount", "no_bill"])
    )
    values["partial_proration_days"] = draw(st.booleans())
    values["minimum_prorated_amount"] = draw(st.sampled_from([0, 0, 100, 5000]))
    values["vat"] = draw(st.sampled_from(["0", "0.07", "0.19", "0.25"]))
    values["amount_incl_vat"] = draw(st.booleans())
    if draw(st.booleans()):
        values["setup_fee"] = draw(st.integers(1, 10_000))
        values["setup_fee_handling"] = draw(
            st.sampled_from(["first", "separate", "separate_conditional"])
        )
    if draw(st.booleans()):
        values["trial_interval_length"] = draw(st.integers(1, 40))
        values["trial_interval_unit"] = draw(st.sampled_from(["days", "months"]))
    values["notice_periods"] = draw(st.integers(0, 2))
    values["notice_periods_after_current"] = draw(st.booleans())
    values["fixation_periods"] = draw(st.integers(0, 3))
    values["fixation_periods_full"] = draw(st.booleans())
    if contract_terms and draw(st.booleans()):
        values["contract_period_length"] = draw(st.integers(1, 12))
        values["contract_period_unit"] = "months"
        if draw(st.booleans()):
            values["renewal_contract_period_length"] = draw(st.integers(1, 6))
            values["renewal_contract_period_unit"] = "months"
    if contract_terms and draw(st.booleans()):
        values["fixed_count"] = draw(st.integers(1, 8))
    return PlanTerms(**values)


starts = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)


def plan_invoices(sim):
    return [inv for inv in sim.invoices if inv.kind == "plan"]


@FAST
@given(plan_terms(), starts, st.integers(30, 400))
def test_periods_are_contiguous_without_gap_or_overlap(terms, start, days):
    sim = simulate(terms, start, start + timedelta(days=days))
    invoices = plan_invoices(sim)
    if invoices:
        assert invoices[0].period_start == sim.subscription.first_period_start
    for before, after in itertools.pairwise(invoices):
        assert before.period_end == after.period_start
    for invoice in invoices:
        assert invoice.period_start < invoice.period_end and invoice.issued == invoice.period_start


@FAST
@given(plan_terms(), starts, st.integers(1, 5))
def test_prorated_amount_never_exceeds_the_full_amount(terms, start, quantity):
    sim = simulate(terms, start, start + timedelta(days=200), quantity=quantity)
    full = price(terms.amount * quantity, terms.vat, terms.amount_incl_vat)
    for invoice in plan_invoices(sim):
        lines = [line for line in invoice.lines if line.kind == "plan"]
        if not lines:  # a zero plan line left off beside the setup fee (include_zero_amount)
            assert not terms.include_zero_amount and len(invoice.lines) == 1
            continue
        line = lines[0]
        assert 0 <= line.amount <= full.gross
        assert 0 <= line.vat_amount <= full.vat_amount + 1


@FAST
@given(
    plan_terms(),
    starts,
    st.lists(st.integers(0, 500), min_size=1, max_size=6),
    st.none() | st.integers(0, 300),
)
def test_simulate_agrees_with_a_billing_run_at_arbitrary_moments(
    terms, start, run_days, cancel_day
):
    """However often the billing run runs, it issues exactly the invoices simulate shows."""
    start = start.replace(tzinfo=BERLIN)
    until = start + timedelta(days=500)
    cancel_at = None if cancel_day is None else start + timedelta(days=cancel_day, hours=5)
    expected = simulate(terms, start, until, cancel_at=cancel_at)

    state, issued = start_subscription(terms, start), []
    moments = sorted({start + timedelta(days=d) for d in run_days} | {until})
    for moment in moments:
        if cancel_at is not None and state.cancelled_at is None and cancel_at <= moment:
            invoices, state = bill_until(terms, state, cancel_at)
            issued += invoices
            if state.expires is None or cancel_at < state.expires:
                state = cancel(terms, state, cancel_at)
        invoices, state = bill_until(terms, state, moment)
        issued += invoices
    assert tuple(issued) == expected.invoices
    assert len({invoice.key for invoice in issued}) == len(issued)


@FAST
@given(plan_terms(contract_terms=False), starts, st.integers(0, 400))
def test_cancellation_expires_at_a_period_end_unless_notice_or_fixation_ends_inside_one(
    terms, start, cancel_day
):
    start = start.replace(tzinfo=BERLIN)
    at = start + timedelta(days=cancel_day, minutes=7)
    _, state = bill_until(terms, start_subscription(terms, start), at)
    preview = cancellation_preview(terms, state, at)
    assert preview.expires >= at
    # Only a notice running from t (notice_periods not after the current period, or any
    # calendar notice) or a fixation after a partial first period (not fixation_periods_full)
    # can end inside a period (SPEC §7.1 rule 7).
    notice_from_t = (not terms.notice_periods_after_current and terms.notice_periods > 0) or bool(
        terms.notice_period_length)
    partial_first = (state.anchor is not None and state.first_period_start is not None
                     and state.first_period_start < state.anchor)
    fixation_inside = bool(terms.fixation_periods) and not terms.fixation_periods_full and (
        partial_first)
    if not (notice_from_t or fixation_inside):
        assert not preview.last_period_prorated
    last_plan = [i for i in preview.invoices if i.kind == "plan"]
    if last_plan:
        assert last_plan[-1].period_end == preview.expires
        assert last_plan[-1].lines[0].prorated == (
            preview.last_period_prorated or last_plan[-1].period_start < state.anchor
        )
    elif state.trial_end is None or at >= state.trial_end:
        # Nothing left to invoice: the expiry closes the paid period (or the unbilled stretch).
        assert preview.expires in (state.current_period_end, state.first_period_start)


@FAST
@given(plan_terms(), starts)
def test_fixed_day_boundaries_fall_on_local_midnight(terms, start):
    sim = simulate(terms, start, start + timedelta(days=120))
    if not terms.is_fixed_day:
        return
    for invoice in plan_invoices(sim)[1:]:  # at local midnight, or the schedule_fixed_hour
        day = wall(invoice.period_start, BERLIN).date()  # (a DST gap moves the hour forward)
        assert invoice.period_start == day_start(day, terms.day_start_hour, BERLIN)
