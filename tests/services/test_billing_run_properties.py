"""Properties over random plans and starts: run twice == once, split runs == one run,
and every subscription's invoices == core.billing.simulate's."""

import shutil
from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.billing import simulate
from core.db import Database
from core.errors import ValidationFailed
from core.services import invoices, plans
from core.services import subscriptions as subs
from core.services.billing_run import run_billing
from core.services.operators import sign_in
from tests.services.billing_helpers import BERLIN, contact, dump

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def plan_data(draw):
    schedule_type = draw(st.sampled_from(["daily", "weekly_fixedday", "month_startdate",
                                          "month_fixedday", "month_lastday"]))
    p = {"handle": "p", "name": "P", "amount": draw(st.integers(0, 50_000)),
         "schedule_type": schedule_type, "vat": draw(st.sampled_from(["0", "0.19", "0.07"])),
         "amount_incl_vat": draw(st.booleans()),
         "interval_length": draw(st.integers(3, 30) if schedule_type == "daily"
                                 else st.sampled_from([1, 1, 2, 3])),
         "partial_period_handling": draw(st.sampled_from(
             ["bill_prorated", "bill_full", "bill_zero_amount", "no_bill"])),
         "partial_proration_days": draw(st.booleans())}
    if schedule_type == "weekly_fixedday":
        p["schedule_fixed_day"] = draw(st.integers(1, 7))
    elif schedule_type == "month_fixedday":
        p["schedule_fixed_day"] = draw(st.integers(1, 28))
    if draw(st.booleans()):
        p.update(trial_interval_length=draw(st.integers(1, 20)), trial_interval_unit="days")
    if draw(st.booleans()):
        p.update(setup_fee=draw(st.integers(1, 5000)), setup_fee_handling=draw(
            st.sampled_from(["first", "separate", "separate_conditional"])))
    duration = draw(st.sampled_from(["renew", "fixed", "life", "notice"]))
    if duration == "fixed":
        p["fixed_count"] = draw(st.integers(1, 6))
    elif duration == "life":
        p.update(fixed_life_time_length=draw(st.integers(1, 5)), fixed_life_time_unit="months")
    elif duration == "notice":
        p.update(notice_periods=draw(st.integers(0, 2)),
                 notice_periods_after_current=draw(st.booleans()),
                 fixation_periods=draw(st.integers(0, 3)))
    return p


moments = st.datetimes(min_value=datetime(2025, 10, 1), max_value=datetime(2026, 6, 1))
subscriptions = st.lists(st.tuples(moments, st.one_of(st.none(), st.integers(1, 200)),
                                   st.integers(1, 3)), min_size=1, max_size=3)


def _fresh(template, tmp_path, name):
    path = tmp_path / f"{name}.db"
    if path.exists():
        path.unlink()
    shutil.copy(template, path)
    db = Database(f"sqlite:///{path}")
    return db, sign_in(db, "admin")


def _populate(ctx, plan, subscriptions_):
    plans.create_plan(ctx, plan)
    created = []
    for start, cancel_after_days, quantity in subscriptions_:
        start = start.replace(tzinfo=BERLIN)
        s = subs.create_subscription(ctx, {"contact_id": contact(ctx), "plan": "p",
                                           "start": start, "quantity": quantity}, now=start)
        cancel_at = None
        if cancel_after_days is not None:
            cancel_at = start + timedelta(days=cancel_after_days)
            try:
                subs.cancel_subscription(ctx, s.id, at=cancel_at, now=cancel_at)
            except ValidationFailed:  # already ended by then: simulate ignores it too
                pass
        created.append((s.id, start, quantity, cancel_at))
    return created


@SETTINGS
@given(plan=plan_data(), subs_=subscriptions,
       splits=st.lists(st.dates(date(2025, 10, 1), date(2026, 12, 31)), max_size=3))
def test_split_runs_equal_one_run_and_simulate(sqlite_template, tmp_path, plan, subs_, splits):
    until = date(2026, 12, 31)
    one, ctx1 = _fresh(sqlite_template, tmp_path, "one")
    split, ctx2 = _fresh(sqlite_template, tmp_path, "split")
    try:
        created = _populate(ctx1, plan, subs_)
        _populate(ctx2, plan, subs_)
        run_billing(ctx1, until, chunk=2)
        for point in sorted(splits):
            run_billing(ctx2, point, chunk=2)
        run_billing(ctx2, until, chunk=1)
        assert run_billing(ctx2, until).invoices == 0
        assert dump(split) == dump(one)
        terms = plans.to_terms(plans.get_plan(ctx1, "p"))
        for sid, start, quantity, cancel_at in created:
            sim = simulate(terms, start, until, quantity=quantity, cancel_at=cancel_at)
            got = invoices.list_invoices(ctx1, subscription_id=sid)
            assert [(i.issued, i.period_start, i.period_end, i.amount, i.vat_amount)
                    for i in got] == [
                (i.issued, i.period_start, i.period_end, i.amount, i.vat_amount)
                for i in sim.invoices]
    finally:
        one.dispose()
        split.dispose()
