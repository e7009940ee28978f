"""The engine's fast path (`PlainRenewals`) does exactly what the general path does, or declines.

For random plans, zones, starts, trials, setup fees, cancellations, holds, version moves and
billing moments: when `PlainRenewals.bill` takes a stored state it returns the invoices
`bill_until` issues, leaves the stored form of the state `bill_until` ends with, and that state
is "active" with its next due moment at the next period start — what the billing run writes
without asking the engine. When it declines, it leaves the data untouched. It must not decline
a plain renewal (so the billing run's common case really is fast).
"""

import copy
import json
from datetime import UTC, datetime, timedelta

from hypothesis import event as note_event
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.billing import (
    BillingError,
    PlainRenewals,
    PlanTerms,
    RenewalCache,
    apply_version,
    bill_until,
    cancel,
    expire,
    next_due_at,
    reactivate,
    start_subscription,
    status_at,
)
from core.billing.periods import zone

ZONES = ["Europe/Berlin", "UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]


@st.composite
def plan_terms(draw, handle="p"):
    schedule_type = draw(st.sampled_from(
        ["daily", "weekly_fixedday", "month_startdate", "month_fixedday", "month_lastday",
         "month_startdate", "month_fixedday"]))
    values = {"handle": handle, "name": draw(st.sampled_from(["P", "Gold plan", "Ünïcødé"])),
              "amount": draw(st.integers(0, 200_000)), "schedule_type": schedule_type,
              "currency": draw(st.sampled_from(["EUR", "EUR", "JPY"]))}
    values["interval_length"] = draw(
        st.integers(1, 10) if schedule_type == "daily" else st.sampled_from([1, 1, 1, 2, 3, 12]))
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
        st.sampled_from(["bill_prorated", "bill_full", "bill_zero_amount", "no_bill"]))
    values["partial_proration_days"] = draw(st.booleans())
    values["minimum_prorated_amount"] = draw(st.sampled_from([0, 0, 100, 5000]))
    values["vat"] = draw(st.sampled_from(["0", "0.07", "0.19", "0.25"]))
    values["amount_incl_vat"] = draw(st.booleans())
    if draw(st.booleans()):
        values["setup_fee"] = draw(st.integers(1, 10_000))
        values["setup_fee_handling"] = draw(
            st.sampled_from(["first", "separate", "separate_conditional"]))
    if draw(st.booleans()):
        values["trial_interval_length"] = draw(st.integers(1, 40))
        values["trial_interval_unit"] = draw(st.sampled_from(["days", "months"]))
    values["notice_periods"] = draw(st.integers(0, 2))
    values["notice_periods_after_current"] = draw(st.booleans())
    duration = draw(st.sampled_from(["renew", "renew", "renew", "fixed_count", "life",
                                     "contract"]))
    if duration == "fixed_count":
        values["fixed_count"] = draw(st.integers(1, 8))
    elif duration == "life":
        values.update(fixed_life_time_length=draw(st.integers(1, 14)),
                      fixed_life_time_unit="months")
    elif duration == "contract":
        values.update(contract_period_length=draw(st.integers(1, 12)),
                      contract_period_unit="months", subscription_duration="contract_end")
    return PlanTerms(**values)


moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31))
events = st.sampled_from(["none", "none", "cancel", "hold", "expire", "version"])


def _scenario(terms, new_terms, tz, start, quantity, no_trial, no_setup_fee, first_days,
              event, event_days, more_days):
    """A subscription billed to a first moment, something happening, then a later moment."""
    z = zone(tz)
    start = start.replace(tzinfo=z)
    state = start_subscription(terms, start, tz=tz, quantity=quantity, no_trial=no_trial,
                               no_setup_fee=no_setup_fee)
    t0 = start + first_days
    _, state = bill_until(terms, state, t0)
    at = t0 + event_days
    try:
        if event == "cancel":
            state = cancel(terms, state, at)
        elif event == "hold":  # billed on, then reactivated later: possibly re-anchored
            state = reactivate(terms, state, at)
        elif event == "expire":
            state = expire(state, at)
        elif event == "version" and state.next_period_start is not None:
            state, terms = apply_version(terms, new_terms, state, state.next_period_start), \
                new_terms
    except BillingError:
        pass
    return terms, state, (at + more_days).astimezone(UTC)


@settings(max_examples=400, deadline=None)
@given(terms=plan_terms(), new_terms=plan_terms(), tz=st.sampled_from(ZONES), start=moments,
       quantity=st.integers(1, 4), no_trial=st.booleans(), no_setup_fee=st.booleans(),
       first_days=st.timedeltas(timedelta(0), timedelta(days=500)), event=events,
       event_days=st.timedeltas(timedelta(0), timedelta(days=60)),
       more_days=st.timedeltas(timedelta(0), timedelta(days=400)),
       legacy_form=st.booleans())
@example(terms=PlanTerms(handle="m", name="Monthly", amount=1990,
                         schedule_type="month_startdate", vat="0.19"),
         new_terms=PlanTerms(handle="m", name="Monthly", amount=1990,
                             schedule_type="month_startdate", vat="0.19"),
         tz="Europe/Berlin", start=datetime(2026, 3, 29, 2, 30), quantity=1, no_trial=False,
         no_setup_fee=False, first_days=timedelta(days=40), event="none",
         event_days=timedelta(0), more_days=timedelta(days=300), legacy_form=False)
def test_fast_path_equals_general_path_or_declines(terms, new_terms, tz, start, quantity,
                                                    no_trial, no_setup_fee, first_days, event,
                                                    event_days, more_days, legacy_form):
    terms, state, upto = _scenario(terms, new_terms, tz, start, quantity, no_trial,
                                   no_setup_fee, first_days, event, event_days, more_days)
    # As the database returns it: JSON, the storage form (or the older local-offset form).
    stored = state.to_json_dict() if legacy_form else state.to_storage_dict()
    data = json.loads(json.dumps(stored))
    original = copy.deepcopy(data)
    cache = RenewalCache()
    periods = PlainRenewals(terms, cache).bill(data, upto)
    expected, final = bill_until(terms, state, upto)
    note_event("declined" if periods is None else f"fast path, {min(len(periods), 3)}+ periods")
    if periods is None:
        assert data == original
        in_storage_form = json.dumps(original) == json.dumps(state.to_storage_dict())
        plain = (in_storage_form and terms.schedule_type != "manual"
                 and terms.duration == "renew" and state.setup_fee_billed
                 and state.expires is None and state.cancelled_at is None
                 and state.next_period_start is not None
                 and state.next_period_start >= state.anchor and bool(expected))
        assert not plain, "the fast path declined a plain renewal"
        return
    assert [p.invoice for p in periods] == expected
    assert [(p.start, p.end) for p in periods] == [
        (i.period_start, i.period_end) for i in expected]
    assert json.dumps(data) == json.dumps(final.to_storage_dict())
    assert status_at(final, upto) == "active"
    assert next_due_at(terms, final, upto) == final.next_period_start
    # Again through the warm caches (another subscription sharing the periods).
    again = json.loads(json.dumps(stored))
    assert PlainRenewals(terms, cache).bill(again, upto) is not None and again == data


def test_fast_path_takes_the_benchmark_renewals():
    """The four monthly schedule types renewing a full period: all plain."""
    plans = [
        PlanTerms(handle="a", name="A", amount=1990, schedule_type="month_startdate"),
        PlanTerms(handle="b", name="B", amount=2990, schedule_type="month_fixedday",
                  schedule_fixed_day=1),
        PlanTerms(handle="c", name="C", amount=4900, schedule_type="month_fixedday",
                  schedule_fixed_day=15, amount_incl_vat=False, vat="0.07"),
        PlanTerms(handle="d", name="D", amount=990, schedule_type="month_lastday"),
    ]
    berlin = zone("Europe/Berlin")
    for terms in plans:
        for day in range(1, 32):
            start = datetime(2026, 5, day, 9, tzinfo=berlin)
            _, state = bill_until(terms, start_subscription(terms, start),
                                  datetime(2026, 5, 31, 23, tzinfo=berlin))
            upto = datetime(2026, 6, 30, 21, 59, tzinfo=UTC)
            data = json.loads(json.dumps(state.to_storage_dict()))
            periods = PlainRenewals(terms).bill(data, upto)
            expected, final = bill_until(terms, state, upto)
            assert periods is not None, (terms.handle, day)
            assert [p.invoice for p in periods] == expected
            assert data == json.loads(json.dumps(final.to_storage_dict()))


def test_fast_path_declines_what_is_not_a_plain_renewal():
    terms = PlanTerms(handle="a", name="A", amount=1990, schedule_type="month_fixedday",
                      schedule_fixed_day=1, setup_fee=500)
    berlin = zone("Europe/Berlin")
    state = start_subscription(terms, datetime(2026, 5, 10, tzinfo=berlin))
    upto = datetime(2026, 7, 30, tzinfo=UTC)
    # First (partial) period with a setup fee line: general path.
    data = json.loads(json.dumps(state.to_storage_dict()))
    assert PlainRenewals(terms).bill(data, upto) is None
    _, state = bill_until(terms, state, datetime(2026, 5, 31, tzinfo=berlin))
    data = state.to_storage_dict()
    assert PlainRenewals(terms).bill(dict(data), upto) is not None
    cancelled = cancel(terms, state, datetime(2026, 6, 5, tzinfo=berlin))
    assert PlainRenewals(terms).bill(cancelled.to_storage_dict(), upto) is None
    # Nothing due yet, a manual plan, a non-storage form: declined, untouched.
    assert PlainRenewals(terms).bill(dict(data), datetime(2026, 5, 31, tzinfo=UTC)) is None
    manual = PlanTerms(handle="m", name="M", amount=1, schedule_type="manual")
    assert PlainRenewals(manual).bill(dict(data), upto) is None
    legacy = json.loads(json.dumps(state.to_json_dict()))
    before = copy.deepcopy(legacy)
    assert PlainRenewals(terms).bill(legacy, upto) is None and legacy == before
