"""A real crash: `kontor billing run` SIGKILLed at random moments, then re-run, ends exactly
like one uninterrupted run (SQLite and PostgreSQL)."""

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta

from sqlalchemy import delete

from core.models import AuditRecord, Invoice, Subscription
from core.services import plans
from core.services import subscriptions as subs
from tests.services.billing_helpers import berlin, contact, dump

PLANS = [
    {"handle": "m1", "name": "Monthly 1st", "amount": 2990, "schedule_type": "month_fixedday",
     "schedule_fixed_day": 1, "vat": "0.19", "setup_fee": 900},
    {"handle": "ms", "name": "Monthly", "amount": 1990, "schedule_type": "month_startdate",
     "trial_interval_length": 14, "trial_interval_unit": "days"},
    {"handle": "wk", "name": "Weekly", "amount": 500, "schedule_type": "weekly_fixedday",
     "schedule_fixed_day": 3, "fixed_count": 20},
]
UNTIL = "2026-06-30"
_MARK = f"billing-kill-{uuid.uuid4().hex}"  # in the environment of this module's runs


def _populate(ctx, n=160):
    for p in PLANS:
        plans.create_plan(ctx, p)
    rnd = random.Random(7)
    base = berlin(2025, 7, 1)
    # Contacts are shared: a few hundred subscriptions, each with a year of periods.
    cids = [contact(ctx) for _ in range(12)]
    for i in range(n):
        start = base + timedelta(days=rnd.randrange(200), hours=rnd.randrange(24))
        s = subs.create_subscription(ctx, {"contact_id": cids[i % len(cids)],
                                           "plan": PLANS[i % 3]["handle"], "start": start},
                                     now=start)
        if i % 7 == 0 and i % 3 != 2:  # the weekly plan ends after 20 periods by itself
            subs.cancel_subscription(ctx, s.id, at=start + timedelta(days=150),
                                     now=start + timedelta(days=150))


def _snapshot(db):
    """The subscriptions and the invoices stored before a run (those due at creation)."""
    from sqlalchemy import func, select

    with db.reading() as s:
        cols = [c.name for c in Subscription.__table__.columns]
        rows = [{c: getattr(x, c) for c in cols} for x in s.query(Subscription)]
        return {"subscriptions": rows, "last_invoice": s.scalar(select(func.max(Invoice.id))) or 0}


def _restore(db, snapshot):
    """Back to the snapshot: the runs' invoices removed, the subscriptions as they were."""
    with db.transaction() as s:
        s.execute(delete(Invoice).where(Invoice.id > snapshot["last_invoice"]))
        s.execute(delete(AuditRecord).where(AuditRecord.entity == "billing_run"))
        for row in snapshot["subscriptions"]:
            s.execute(Subscription.__table__.update()
                      .where(Subscription.__table__.c.id == row["id"]), row)


def _run(url, *, kill_after=None, kill_at_invoices=None, db=None, worker="0"):
    """Run the CLI; SIGKILL it after `kill_after` seconds, or as soon as at least
    `kill_at_invoices` invoices are committed (a random point inside the work). `worker`
    "1" forces the worker process (SQLite) that computes chunks ahead of the writes."""
    cmd = [sys.executable, "-m", "console.cli", "--db", url, "--operator", "admin", "billing",
           "run", "--until", UNTIL, "--chunk", "5", "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONHASHSEED": "0",
                                 "KONTOR_BILLING_WORKER": worker, "KONTOR_TEST_MARK": _MARK})
    if kill_after is None and kill_at_invoices is None:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        return True
    if kill_at_invoices is not None:
        while proc.poll() is None and _invoice_count(db) < kill_at_invoices:
            time.sleep(0.005)
    else:
        time.sleep(kill_after)
    killed = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    return killed


def _invoice_count(db):
    from sqlalchemy import func, select

    with db.reading() as s:
        return s.scalar(select(func.count()).select_from(Invoice))


def test_killed_runs_end_exactly_like_one_run(db, admin):
    _killed_runs_end_exactly_like_one_run(db, admin, worker="0")


def test_killed_runs_with_the_worker_process_end_exactly_like_one_run(tmp_path,
                                                                      sqlite_template):
    """The same with chunks computed ahead in the worker process; the reference is a run
    without it, and no worker outlives a killed run."""
    import shutil

    from core.db import Database
    from core.services.operators import sign_in

    path = tmp_path / "kontor.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    try:
        _killed_runs_end_exactly_like_one_run(db, sign_in(db, "admin"), worker="1")
    finally:
        db.dispose()
    deadline = time.monotonic() + 10
    while _workers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _workers()


def _workers():
    """Billing worker processes started by this module's runs that are still alive."""
    found = []
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else []:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read()
        except OSError:
            continue
        if b"core.services.billing_worker" in cmd and _MARK.encode() in env:
            found.append(pid)
    return found


def _killed_runs_end_exactly_like_one_run(db, admin, *, worker):
    _populate(admin)
    before = _snapshot(db)
    url = db.engine.url.render_as_string(hide_password=False)
    t0 = time.monotonic()
    _run(url)
    duration = time.monotonic() - t0
    reference = dump(db)
    total = len(reference["invoices"])
    assert total > 1200
    _restore(db, before)
    at_creation = _invoice_count(db)  # the invoices due at creation stay
    assert at_creation < total
    rnd = random.Random()
    # Kills at random points of the work itself (as soon as a random number of invoices is
    # committed, each within what is left), then one at a random moment, start-up included.
    mid_run_kills = 0
    for _ in range(2):
        done_before = _invoice_count(db)
        if total - done_before < 2:
            break
        _run(url, kill_at_invoices=done_before + rnd.randint(1, (total - done_before) // 2),
             db=db, worker=worker)
        mid_run_kills += done_before < _invoice_count(db) < total
    assert mid_run_kills >= 1
    _run(url, kill_after=rnd.uniform(0.1, duration), worker=worker)
    _run(url, worker=worker)
    assert dump(db) == reference
    _run(url, worker=worker)  # and once more: nothing new
    assert dump(db) == reference
