"""The engine's fast path (`PlainRenewals`) does exactly what the general path does, or declines.

For random plans (fixed_count, life time, contracts, notice), zones, starts, trials, setup
fees, cancellations, holds, expiries, applied and pending version moves and billing moments:
when `PlainRenewals.bill` takes a stored state it returns the invoices the billing run's
general loop issues (`next_invoice` with `apply_version` for a pending move), leaves the stored
form of the state that loop ends with, and its status, next due moment, expiry, expire reason
and cancellation are those of that state (what the billing run writes without asking the
engine). When it declines, it leaves the data untouched. It must not decline the renewal of
full periods (so the billing run's common cases really are fast).
"""

import copy
import json
from dataclasses import replace
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
    next_invoice,
    reactivate,
    start_subscription,
    status_at,
    version_switch_at,
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
    duration = draw(st.sampled_from(["renew", "renew", "fixed_count", "fixed_count", "life",
                                     "contract", "contract_renew"]))
    if duration == "fixed_count":
        values["fixed_count"] = draw(st.integers(1, 8))
    elif duration == "life":
        values.update(fixed_life_time_length=draw(st.integers(1, 14)),
                      fixed_life_time_unit="months")
    elif duration in ("contract", "contract_renew"):
        values.update(contract_period_length=draw(st.integers(1, 12)),
                      contract_period_unit=draw(st.sampled_from(["months", "months", "days"])))
        if duration == "contract":
            values["subscription_duration"] = "contract_end"
        elif draw(st.booleans()):
            values.update(renewal_contract_period_length=draw(st.integers(1, 6)),
                          renewal_contract_period_unit="months")
    if draw(st.booleans()):
        values.update(notice_period_length=draw(st.integers(1, 3)),
                      notice_period_unit=draw(st.sampled_from(["months", "weeks", "days"])))
    values["fixation_periods"] = draw(st.sampled_from([0, 0, 2, 5]))
    return PlanTerms(**values)


@st.composite
def next_versions(draw, terms):
    """A new version: another plan, or the same schedule with a new price (and term)."""
    other = draw(plan_terms())
    if draw(st.booleans()):
        return other
    changes = {"amount": other.amount, "name": other.name, "vat": other.vat}
    if terms.subscription_duration is None and draw(st.booleans()):
        changes["fixed_count"] = draw(st.none() | st.integers(1, 10))
    return replace(terms, **changes)


moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31))
events = st.sampled_from(["none", "none", "cancel", "cancel", "hold", "expire", "version",
                          "pending", "pending", "cancel+pending"])


def _general(terms, state, upto, pending):
    """The billing run's general loop (core.services.billing_run.advance): invoices, the
    index of the first one on the pending move's terms (None: not moved), final terms and
    state."""
    invoices, switch = [], None
    while (step := next_invoice(terms, state, upto)) is not None:
        if pending is not None and pending[0] <= step.invoice.issued:
            state, terms = apply_version(terms, pending[1], state, pending[0]), pending[1]
            pending, switch = None, len(invoices)
            continue
        invoices.append(step.invoice)
        state = step.state
    return invoices, switch, terms, state


def _scenario(terms, new_terms, tz, start, quantity, no_trial, no_setup_fee, first_days,
              event, event_days, more_days):
    """A subscription billed to a first moment, something happening, then a later moment;
    and a pending move (moment, new terms) or None."""
    z = zone(tz)
    start = start.replace(tzinfo=z)
    state = start_subscription(terms, start, tz=tz, quantity=quantity, no_trial=no_trial,
                               no_setup_fee=no_setup_fee)
    t0 = start + first_days
    _, state = bill_until(terms, state, t0)
    at = t0 + event_days
    pending = None
    try:
        if event.startswith("cancel"):
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
    if event.endswith("pending"):  # published at `at`, moving at the next period start
        switch = version_switch_at(terms, state, at)
        if switch is not None:
            pending = (switch, new_terms)
    return terms, state, pending, (at + more_days).astimezone(UTC)


@st.composite
def scenarios(draw):
    terms = draw(plan_terms())
    return terms, draw(next_versions(terms))


@settings(max_examples=600, deadline=None)
@given(plans=scenarios(), tz=st.sampled_from(ZONES), start=moments,
       quantity=st.integers(1, 4), no_trial=st.booleans(), no_setup_fee=st.booleans(),
       first_days=st.timedeltas(timedelta(0), timedelta(days=500)), event=events,
       event_days=st.timedeltas(timedelta(0), timedelta(days=60)),
       more_days=st.timedeltas(timedelta(0), timedelta(days=400)),
       legacy_form=st.booleans())
@example(plans=(PlanTerms(handle="m", name="Monthly", amount=1990,
                          schedule_type="month_startdate", vat="0.19"),
                PlanTerms(handle="m", name="Monthly", amount=1990,
                          schedule_type="month_startdate", vat="0.19")),
         tz="Europe/Berlin", start=datetime(2026, 3, 29, 2, 30), quantity=1, no_trial=False,
         no_setup_fee=False, first_days=timedelta(days=40), event="none",
         event_days=timedelta(0), more_days=timedelta(days=300), legacy_form=False)
@example(plans=(PlanTerms(handle="f", name="Fixed", amount=1000,
                          schedule_type="month_fixedday", schedule_fixed_day=1, fixed_count=3),
                PlanTerms(handle="f", name="Fixed", amount=1200,
                          schedule_type="month_fixedday", schedule_fixed_day=1,
                          fixed_count=5)),
         tz="Europe/Berlin", start=datetime(2026, 1, 1), quantity=1, no_trial=True,
         no_setup_fee=True, first_days=timedelta(days=20), event="pending",
         event_days=timedelta(days=1), more_days=timedelta(days=200), legacy_form=False)
def test_fast_path_equals_general_path_or_declines(plans, tz, start, quantity, no_trial,
                                                    no_setup_fee, first_days, event,
                                                    event_days, more_days, legacy_form):
    terms, new_terms = plans
    terms, state, pending, upto = _scenario(terms, new_terms, tz, start, quantity, no_trial,
                                            no_setup_fee, first_days, event, event_days,
                                            more_days)
    # As the database returns it: JSON, the storage form (or the older local-offset form).
    stored = state.to_json_dict() if legacy_form else state.to_storage_dict()
    data = json.loads(json.dumps(stored))
    original = copy.deepcopy(data)
    cache = RenewalCache()

    def move():
        return None if pending is None else (pending[0], PlainRenewals(pending[1], cache))

    renewed = PlainRenewals(terms, cache).bill(data, upto, move())
    expected, switch, final_terms, final = _general(terms, state, upto, pending)
    note_event("declined" if renewed is None else
               f"fast path, {min(len(renewed.periods), 3)}+ periods, {renewed.status}"
               + (", moved" if renewed.switch is not None else ""))
    if renewed is None:
        assert data == original
        in_storage_form = json.dumps(original) == json.dumps(state.to_storage_dict())
        # The move applies after `switch` more periods: a new fixed_count already reached
        # then ends the subscription there (apply_version), which the fast path leaves to the
        # general path.
        moved_as_is = switch is None or (
            apply_version(terms, pending[1], state, pending[0]) == state
            and terms.same_schedule(pending[1]) and pending[1].schedule_type != "manual"
            and (pending[1].fixed_count is None
                 or state.periods_invoiced + switch < pending[1].fixed_count))
        full_periods = bool(expected) and all(
            len(i.lines) == 1 and i.lines[0].kind == "plan" and not i.lines[0].prorated
            for i in expected)
        plain = (in_storage_form and terms.schedule_type != "manual"
                 and state.setup_fee_billed and state.next_period_start is not None
                 and state.next_period_start >= state.anchor and full_periods and moved_as_is)
        assert not plain, "the fast path declined the renewal of full periods"
        return
    periods = renewed.periods
    assert [p.invoice for p in periods] == expected
    assert [(p.start, p.end) for p in periods] == [
        (i.period_start, i.period_end) for i in expected]
    assert renewed.switch == switch
    assert json.dumps(data) == json.dumps(final.to_storage_dict())
    assert renewed.status == status_at(final, upto)
    assert renewed.next_due == next_due_at(final_terms, final, upto)
    assert renewed.expires == final.expires
    assert renewed.expire_reason == final.expire_reason
    assert renewed.cancelled_at == final.cancelled_at
    # Again through the warm caches (another subscription sharing the periods).
    again = json.loads(json.dumps(stored))
    twice = PlainRenewals(terms, cache).bill(again, upto, move())
    assert twice is not None and again == data
    assert [p.invoice for p in twice.periods] == expected


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
            renewed = PlainRenewals(terms).bill(data, upto)
            expected, final = bill_until(terms, state, upto)
            assert renewed is not None, (terms.handle, day)
            assert [p.invoice for p in renewed.periods] == expected
            assert (renewed.status, renewed.next_due) == ("active", final.next_period_start)
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
    # Expiring inside the period to bill (an expiry stored by an older rule or an expire):
    # a prorated last period, general path.
    ending = expire(state, datetime(2026, 6, 20, tzinfo=berlin))
    assert PlainRenewals(terms).bill(ending.to_storage_dict(), upto) is None
    # Nothing due yet, a manual plan, a non-storage form: declined, untouched.
    assert PlainRenewals(terms).bill(dict(data), datetime(2026, 5, 31, tzinfo=UTC)) is None
    manual = PlanTerms(handle="m", name="M", amount=1, schedule_type="manual")
    assert PlainRenewals(manual).bill(dict(data), upto) is None
    legacy = json.loads(json.dumps(state.to_json_dict()))
    before = copy.deepcopy(legacy)
    assert PlainRenewals(terms).bill(legacy, upto) is None and legacy == before


def _fast_and_general(terms, state, upto, pending=None):
    cache = RenewalCache()
    data = json.loads(json.dumps(state.to_storage_dict()))
    move = None if pending is None else (pending[0], PlainRenewals(pending[1], cache))
    renewed = PlainRenewals(terms, cache).bill(data, upto, move)
    return renewed, data, _general(terms, state, upto, pending)


def test_a_pending_cancellation_bills_its_last_full_period_then_ends():
    """Monthly on the 1st, cancelled on 5 June 2026 (expiry at the end of the current
    period, 1 July): June is billed in full, the state then ends exactly as the general
    path ends it — pending until 1 July, cancelled from then."""
    terms = PlanTerms(handle="a", name="A", amount=1990, schedule_type="month_fixedday",
                      schedule_fixed_day=1, vat="0.19")
    berlin = zone("Europe/Berlin")
    state = start_subscription(terms, datetime(2026, 5, 1, tzinfo=berlin))
    _, state = bill_until(terms, state, datetime(2026, 5, 31, tzinfo=berlin))
    state = cancel(terms, state, datetime(2026, 5, 5, tzinfo=berlin))
    assert state.cancel_expires == datetime(2026, 6, 1, tzinfo=berlin)  # notice to period end
    # As an older rule (or a longer notice) stored it: the end of June.
    state = replace(state, cancel_expires=datetime(2026, 7, 1, tzinfo=berlin).astimezone(UTC))
    for upto, status, due in (
            (datetime(2026, 6, 30, 21, 59, tzinfo=UTC), "pending_cancellation",
             datetime(2026, 7, 1, tzinfo=berlin)),
            (datetime(2026, 7, 30, tzinfo=UTC), "cancelled", None)):
        renewed, data, (expected, _switch, _terms, final) = _fast_and_general(terms, state,
                                                                               upto)
        assert [p.invoice for p in renewed.periods] == expected
        assert [i.amount for i in expected] == [1990]
        assert expected[0].period_end == datetime(2026, 7, 1, tzinfo=berlin)
        assert data == json.loads(json.dumps(final.to_storage_dict()))
        assert (renewed.status, renewed.next_due, renewed.expire_reason) == (
            status, due, "cancelled")


def test_fixed_count_reached_in_the_run_ends_the_term():
    """fixed_count 3 on the 1st from 1 January 2026: a run to 15 May bills March (the third
    period) and stops; fixed_expires = 1 April, status expired, nothing more due."""
    terms = PlanTerms(handle="f", name="F", amount=1000, schedule_type="month_fixedday",
                      schedule_fixed_day=1, fixed_count=3)
    berlin = zone("Europe/Berlin")
    state = start_subscription(terms, datetime(2026, 1, 1, tzinfo=berlin))
    _, state = bill_until(terms, state, datetime(2026, 2, 10, tzinfo=berlin))
    renewed, data, (expected, _s, _t, final) = _fast_and_general(
        terms, state, datetime(2026, 5, 15, tzinfo=UTC))
    assert [p.invoice for p in renewed.periods] == expected and len(expected) == 1
    assert data["fixed_expires"] == datetime(2026, 4, 1, tzinfo=berlin).astimezone(
        UTC).isoformat() == final.to_storage_dict()["fixed_expires"]
    assert (renewed.status, renewed.next_due, renewed.expire_reason) == (
        "expired", None, "fixed")


def test_a_pending_version_move_bills_at_the_new_price():
    """€29 → €34 for new and existing subscribers, published 10 December 2026: a monthly
    subscriber on the 1st moves on 1 January 2027 and January is billed at €34; a move to
    another schedule is left to the general path."""
    old = PlanTerms(handle="v", name="V", amount=2900, schedule_type="month_fixedday",
                    schedule_fixed_day=1, vat="0.19")
    new = replace(old, amount=3400)
    berlin = zone("Europe/Berlin")
    state = start_subscription(old, datetime(2026, 11, 1, tzinfo=berlin))
    _, state = bill_until(old, state, datetime(2026, 12, 10, tzinfo=berlin))
    at = version_switch_at(old, state, datetime(2026, 12, 10, tzinfo=berlin))
    assert at == datetime(2027, 1, 1, tzinfo=berlin)
    upto = datetime(2027, 1, 31, tzinfo=UTC)
    renewed, data, (expected, switch, _t, final) = _fast_and_general(old, state, upto,
                                                                      (at, new))
    assert [i.amount for i in expected] == [3400] and switch == 0 == renewed.switch
    assert [p.invoice for p in renewed.periods] == expected
    assert data == json.loads(json.dumps(final.to_storage_dict()))
    yearly = PlanTerms(handle="v", name="V", amount=29000, schedule_type="month_fixedday",
                       schedule_fixed_day=1, interval_length=12)
    assert _fast_and_general(old, state, upto, (at, yearly))[0] is None
    # Not yet at the move (billing December only): the move stays pending.
    renewed, _data, (expected, switch, _t, _f) = _fast_and_general(
        old, state, datetime(2026, 12, 31, tzinfo=UTC), (at, new))
    assert renewed is None and expected == [] and switch is None  # nothing due
