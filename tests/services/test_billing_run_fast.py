"""The billing run's speed-ups change nothing: the engine's fast path, the worker process that
computes chunks ahead, the slim UPDATE and the pipelined reads give exactly what the general
path gives in process — also after a lost race, a dead worker or an error in a chunk."""

import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.db import Database
from core.errors import ValidationFailed
from core.services import billing_policy, billing_run, billing_sqlite, plans
from core.services import subscriptions as subs
from core.services.billing_policy import use_worker as _use_worker
from core.services.billing_run import run_billing
from core.services.operators import sign_in
from tests.services.billing_helpers import berlin, contact, dump
from tests.services.test_billing_run_kill import _restore, _snapshot
from tests.services.test_billing_run_properties import _fresh, _populate, plan_data

PLANS = [
    {"handle": "ms", "name": "Monthly", "amount": 1990, "schedule_type": "month_startdate",
     "vat": "0.19"},
    {"handle": "m1", "name": "Monthly 1st", "amount": 2990, "schedule_type": "month_fixedday",
     "schedule_fixed_day": 1, "setup_fee": 900, "trial_interval_length": 10,
     "trial_interval_unit": "days"},
    {"handle": "m15", "name": "Monthly 15th", "amount": 4900, "schedule_type": "month_fixedday",
     "schedule_fixed_day": 15, "vat": "0.07", "amount_incl_vat": False},
    {"handle": "ml", "name": "Last day", "amount": 990, "schedule_type": "month_lastday",
     "notice_periods": 1, "setup_fee": 300, "setup_fee_handling": "separate"},
    {"handle": "wk", "name": "Weekly", "amount": 500, "schedule_type": "weekly_fixedday",
     "schedule_fixed_day": 3, "fixed_count": 30},
    {"handle": "lt", "name": "Life time", "amount": 700, "schedule_type": "month_startdate",
     "fixed_life_time_length": 6, "fixed_life_time_unit": "months"},
    {"handle": "ce", "name": "Contract to term end", "amount": 2500,
     "schedule_type": "month_fixedday", "schedule_fixed_day": 1, "contract_period_length": 5,
     "contract_period_unit": "months", "subscription_duration": "contract_end"},
    {"handle": "cr", "name": "Contract renewing", "amount": 3500,
     "schedule_type": "month_startdate", "contract_period_length": 3,
     "contract_period_unit": "months", "notice_period_length": 1,
     "notice_period_unit": "months"},
]
FIRST, UNTIL = date(2026, 3, 31), date(2026, 6, 30)


def _mixed(ctx, n=160):
    """Every kind of subscription: trials, setup fees, partial first periods, cancellations,
    fixed counts, life times, contracts, amount overrides, quantities, a hold and scheduled
    version moves (a new price; a fixed_count some have used up)."""
    for p in PLANS:
        plans.create_plan(ctx, p, now=berlin(2025, 1, 1))
    rnd = random.Random(11)
    cids = [contact(ctx) for _ in range(9)]
    created = []
    for i in range(n):
        start = berlin(2025, 9, 1) + timedelta(days=rnd.randrange(240),
                                               hours=rnd.choice([0, 0, 9, 23]))
        data = {"contact_id": cids[i % len(cids)], "plan": PLANS[i % len(PLANS)]["handle"],
                "start": start, "quantity": rnd.choice([1, 1, 2])}
        if i % 11 == 0:
            data["amount"] = 1234
        s = subs.create_subscription(ctx, data, now=start)
        created.append(s.id)
        if i % 9 == 4:
            at = start + timedelta(days=rnd.randrange(20, 200))
            with contextlib.suppress(ValidationFailed):  # ended before that
                subs.cancel_subscription(ctx, s.id, at=at, now=at)
    for sid in created[3::6]:  # the first "m15" subscription active then is put on hold
        with contextlib.suppress(ValidationFailed):  # not active at that moment
            subs.put_on_hold(ctx, sid, now=berlin(2026, 4, 10))
            break
    plans.create_plan_version(ctx, "ms", {"amount": 2490}, scope="new_and_existing",
                              now=berlin(2026, 4, 20),
                              expected_row_version=plans.get_plan(ctx, "ms").row_version)
    plans.create_plan_version(ctx, "wk", {"amount": 600, "fixed_count": 34},
                              scope="new_and_existing", now=berlin(2026, 4, 2),
                              expected_row_version=plans.get_plan(ctx, "wk").row_version)
    plans.create_plan_version(ctx, "ce", {"amount": 2700}, scope="new_and_existing",
                              now=berlin(2026, 5, 3),
                              expected_row_version=plans.get_plan(ctx, "ce").row_version)
    return created


@pytest.fixture(scope="session")
def mixed_file(sqlite_template, tmp_path_factory):
    """A populated SQLite file billed to FIRST, built once per test worker (every test bills
    copies of it; building it was most of this module's time)."""
    path = tmp_path_factory.mktemp("mixed") / "mixed.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    ctx = sign_in(db, "admin")
    _mixed(ctx)
    run_billing(ctx, FIRST, chunk=13, worker=False)
    db.dispose()
    return path


@pytest.fixture
def mixed_db(mixed_file, tmp_path):
    """`copy()` gives an independent database: a copy of the populated file."""
    copies = []

    def copy():
        target = tmp_path / f"copy{len(copies)}.db"
        shutil.copy(mixed_file, target)
        db = Database(f"sqlite:///{target}")
        copies.append(db)
        return db, sign_in(db, "admin")

    yield copy
    for db in copies:
        db.dispose()


def _summary(s):
    return (s.subscriptions, s.invoices, s.periods, s.setup_fees, s.version_moves,
            s.amount_by_currency)


@pytest.fixture(scope="session")
def reference(mixed_file, tmp_path_factory):
    """What the general path writes billing a copy to UNTIL (once per test worker)."""
    target = tmp_path_factory.mktemp("reference") / "reference.db"
    shutil.copy(mixed_file, target)
    db = Database(f"sqlite:///{target}")
    try:
        summary = run_billing(sign_in(db, "admin"), UNTIL, chunk=50, fast=False, worker=False)
        assert summary.periods > 300 and summary.version_moves > 0
        return dump(db), _summary(summary)
    finally:
        db.dispose()


@pytest.mark.parametrize("worker", [False, True])
@pytest.mark.parametrize("chunk", [1, 7, 2000])
def test_fast_path_and_worker_equal_the_general_path(mixed_db, reference, worker, chunk):
    db, ctx = mixed_db()
    summary = run_billing(ctx, UNTIL, chunk=chunk, worker=worker)
    assert (dump(db), _summary(summary)) == reference
    assert run_billing(ctx, UNTIL, chunk=chunk, worker=worker).invoices == 0


def test_runs_split_with_the_worker_equal_one_run(mixed_db, reference):
    db, ctx = mixed_db()
    for until in (date(2026, 4, 15), date(2026, 5, 1), UNTIL):
        run_billing(ctx, until, chunk=5, worker=True)
    assert dump(db) == reference[0]


def _lose_a_race_on_the_second_chunk(monkeypatch, db):
    """Before the second chunk is written, another writer bumps one of its subscriptions."""
    original = billing_sqlite.write_chunk_sqlite
    calls = []

    def write(session, ctx, upto, result):
        calls.append(result.first_id)
        if len(calls) == 2:
            con = sqlite3.connect(db.engine.url.database)
            con.execute("UPDATE subscriptions SET row_version = row_version + 1 WHERE id = ?",
                        (result.last_id,))
            con.commit()
            con.close()
        return original(session, ctx, upto, result)

    monkeypatch.setattr(billing_sqlite, "write_chunk_sqlite", write)
    return calls


@pytest.mark.parametrize("worker", [False, True])
def test_a_lost_race_redoes_the_chunk(mixed_db, reference, monkeypatch, worker):
    db, ctx = mixed_db()
    calls = _lose_a_race_on_the_second_chunk(monkeypatch, db)
    summary = run_billing(ctx, UNTIL, chunk=9, worker=worker)
    assert calls[1] == calls[2]  # the second chunk, written again
    assert (dump(db), _summary(summary)) == reference


def test_a_dead_worker_is_replaced_by_the_run_itself(mixed_db, reference, monkeypatch):
    db, ctx = mixed_db()
    workers = []
    init = billing_sqlite.Worker.__init__

    def record(self, *args, **kwargs):
        init(self, *args, **kwargs)
        workers.append(self)

    original = billing_sqlite.write_chunk_sqlite
    calls = []

    def write(session, ctx, upto, result):
        calls.append(result.first_id)
        if len(calls) == 3:
            os.kill(workers[0]._proc.pid, signal.SIGKILL)
        return original(session, ctx, upto, result)

    monkeypatch.setattr(billing_sqlite.Worker, "__init__", record)
    monkeypatch.setattr(billing_sqlite, "write_chunk_sqlite", write)
    summary = run_billing(ctx, UNTIL, chunk=6, worker=True)
    assert len(workers) == 1 and not workers[0].alive
    assert workers[0]._proc.poll() is not None
    assert (dump(db), _summary(summary)) == reference


@pytest.mark.parametrize("worker", [False, True])
def test_an_error_in_a_chunk_stops_the_run_after_the_chunks_before(mixed_db, reference,
                                                                   worker):
    db, ctx = mixed_db()
    with db.reading() as s:
        ids = [r[0] for r in s.execute(billing_policy.SELECT_DUE.limit(10**6),
                                       {"upto": billing_run.until_moment(UNTIL),
                                        "after": 0})]
    victim = ids[len(ids) // 2]
    con = sqlite3.connect(db.engine.url.database)
    good = con.execute("SELECT billing_state FROM subscriptions WHERE id = ?",
                       (victim,)).fetchone()[0]
    con.execute("UPDATE subscriptions SET billing_state = '{\"start\": 1}' WHERE id = ?",
                (victim,))
    con.commit()
    # The invoices due at creation were stored then; only the run's own count here.
    before = con.execute("SELECT coalesce(max(id), 0) FROM invoices").fetchone()[0]
    with pytest.raises((TypeError, ValueError)):
        run_billing(ctx, UNTIL, chunk=4, worker=worker)
    done = con.execute("SELECT max(subscription_id) FROM invoices WHERE id > ?",
                       (before,)).fetchone()[0]
    assert done < victim  # chunks before it committed, its own and later ones not
    con.execute("UPDATE subscriptions SET billing_state = ? WHERE id = ?", (good, victim))
    con.commit()
    con.close()
    run_billing(ctx, UNTIL, chunk=4, worker=worker)
    assert dump(db) == reference[0]


def test_postgres_and_sqlite_fast_path_equal_general_path(db, admin):
    """The generic (PostgreSQL) path takes the engine's fast path in `advance` too."""
    _mixed(admin, n=60)
    before = _snapshot(db)
    run_billing(admin, FIRST, chunk=11, fast=False, worker=False)
    run_billing(admin, UNTIL, chunk=8, fast=False, worker=False)
    general = dump(db)
    _restore(db, before)
    run_billing(admin, FIRST, chunk=11)
    run_billing(admin, UNTIL, chunk=8)
    assert dump(db) == general


def test_worker_setting():
    assert _use_worker(None, 1_000_000, 2000) == (len(os.sched_getaffinity(0)) >= 2)
    assert not _use_worker(None, 5_000, 2000)
    assert _use_worker(True, 1, 2000) and not _use_worker(False, 10**6, 2000)
    os.environ["KONTOR_BILLING_WORKER"] = "0"
    try:
        assert not _use_worker(True, 10**6, 2000)
        os.environ["KONTOR_BILLING_WORKER"] = "1"
        assert _use_worker(None, 1, 2000)
    finally:
        del os.environ["KONTOR_BILLING_WORKER"]


SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
moments = st.datetimes(min_value=datetime(2025, 10, 1), max_value=datetime(2026, 6, 1))


@st.composite
def plans_with_terms(draw):
    """plan_data() and, sometimes, a contract (to its term end, or renewing with notice)."""
    p = draw(plan_data())
    if "fixed_count" not in p and draw(st.booleans()):
        p.update(contract_period_length=draw(st.integers(1, 6)), contract_period_unit="months")
        if draw(st.booleans()):
            p["subscription_duration"] = "contract_end"
        elif draw(st.booleans()):
            p.update(notice_period_length=1, notice_period_unit="months")
    return p


# New versions for new and existing subscribers: a price, a fixed_count (used up by some),
# another schedule (re-anchored: general path).
VERSIONS = st.one_of(st.none(), st.sampled_from(
    [{"amount": 777}, {"amount": 1234, "fixed_count": 4}, {"interval_length": 4}]))


@SETTINGS
@given(plan=plans_with_terms(),
       subs_=st.lists(st.tuples(moments, st.one_of(st.none(), st.integers(1, 200)),
                                st.integers(1, 3)), min_size=1, max_size=4),
       first=st.dates(date(2025, 10, 1), date(2026, 9, 30)), version=VERSIONS)
def test_fast_path_equals_general_path_for_random_plans(sqlite_template, tmp_path, plan, subs_,
                                                        first, version):
    fast, ctx1 = _fresh(sqlite_template, tmp_path, "fast")
    general, ctx2 = _fresh(sqlite_template, tmp_path, "general")
    try:
        _populate(ctx1, plan, subs_)
        _populate(ctx2, plan, subs_)
        for until in (first, date(2026, 12, 31)):
            a = run_billing(ctx1, until, chunk=2, worker=False)
            b = run_billing(ctx2, until, chunk=3, fast=False, worker=False)
            assert _summary(a) == _summary(b)
            if version is not None and until == first:  # published at the end of that day
                published = berlin(first.year, first.month, first.day, 23, 59)
                for ctx in (ctx1, ctx2):
                    with contextlib.suppress(ValidationFailed):  # not valid for this plan
                        plans.create_plan_version(ctx, "p", version, scope="new_and_existing",
                                                  now=published,
                                                  expected_row_version=plans.get_plan(
                                                      ctx, "p").row_version)
        assert dump(fast) == dump(general)
        assert json.dumps(dump(fast), default=str)  # plain data
    finally:
        fast.dispose()
        general.dispose()


# The benchmark's general population (benchmarks/billing_run.py): full periods only.
GENERAL = [
    ({"handle": "f3", "name": "Three months", "amount": 1990, "schedule_type": "month_startdate",
      "vat": "0.19", "fixed_count": 3}, None),
    ({"handle": "ce", "name": "Contract", "amount": 2990, "schedule_type": "month_fixedday",
      "schedule_fixed_day": 1, "contract_period_length": 12, "contract_period_unit": "months",
      "subscription_duration": "contract_end"}, None),
    ({"handle": "cr", "name": "Contract, renewing", "amount": 4900,
      "schedule_type": "month_fixedday", "schedule_fixed_day": 15, "vat": "0.07",
      "amount_incl_vat": False, "contract_period_length": 12,
      "contract_period_unit": "months", "notice_period_length": 1,
      "notice_period_unit": "months"}, "cancel"),
    ({"handle": "n3", "name": "Notice", "amount": 990, "schedule_type": "month_lastday",
      "notice_periods": 3}, "cancel"),
    ({"handle": "np", "name": "New price", "amount": 1490, "schedule_type": "month_startdate"},
     "version"),
]


def test_full_periods_of_every_plan_type_take_the_fast_path(db, admin, monkeypatch):
    """Fixed counts (reached in the run, too), contracts, pending cancellations (expiring at a
    period end inside the run, too) and version moves: not one subscription needs the general
    path, and the result equals the general path's (SQLite and PostgreSQL)."""
    for p, _event in GENERAL:
        plans.create_plan(admin, p, now=berlin(2026, 1, 1))
    cid = contact(admin)
    for i in range(40):
        p, event = GENERAL[i % len(GENERAL)]
        start = berlin(2026, 5, 1 + (i * 7) % 31, (0, 9, 14, 20)[i % 4])
        s = subs.create_subscription(admin, {"contact_id": cid, "plan": p["handle"],
                                             "start": start}, now=start)
        if event == "cancel":
            at = start + timedelta(hours=1)
            subs.cancel_subscription(admin, s.id, at=at, now=at)
    run_billing(admin, date(2026, 5, 31), worker=False)
    plans.create_plan_version(admin, "np", {"amount": 1790}, scope="new_and_existing",
                              now=berlin(2026, 5, 31, 12),
                              expected_row_version=plans.get_plan(admin, "np").row_version)
    untils = (date(2026, 6, 30), date(2026, 9, 30), date(2027, 1, 31))
    before = _snapshot(db)
    general = [_summary(run_billing(admin, u, fast=False, worker=False)) for u in untils]
    expected = dump(db)
    _restore(db, before)  # back to May 31: June's invoices go, May's stay
    calls = []
    original = billing_policy.next_invoice

    def counting(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(billing_policy, "next_invoice", counting)
    fast = [_summary(run_billing(admin, u, worker=False)) for u in untils]
    assert calls == []  # the general path's loop never ran
    assert fast == general and dump(db) == expected
    assert general[0][2] == 40 and general[0][4] == 8  # June: 40 periods, 8 moves
    states = {row["state"] for row in _snapshot(db)["subscriptions"]}
    assert {"cancelled", "expired", "pending_cancellation", "active"} <= states
