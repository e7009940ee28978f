"""The last seat: 16 processes enrol into a group with one free seat at the same moment —
exactly one succeeds, the others get the clear refusal (never "database is locked"), on
SQLite and PostgreSQL (issue 12)."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime

from sqlalchemy import func, select

from core.models import Contact, GroupMember
from core.services import groups
from tests.services.commerce_rows import product_with_offer

AT = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
RACERS = 16


def _racer(url: str, n: int, group_id: int, barrier, results) -> None:
    from core.db import Database
    from core.errors import ValidationFailed
    from core.services.operators import sign_in

    db = Database(url)
    try:
        ctx = sign_in(db, "admin")
        barrier.wait(timeout=60)
        try:
            groups.enrol(ctx, group_id, f"racer{n}@example.org", now=AT)
            results.put(("ok", n))
        except ValidationFailed as exc:
            results.put(("refused", str(exc.fields)))
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        db.dispose()


def test_sixteen_processes_race_for_the_last_seat(db, admin):
    with db.transaction() as s:
        offer = product_with_offer(s, handle="race")
        offer.group_min_seats, offer.group_max_seats = 1, 100
    g = groups.create_group(admin, {"offer": "race-one_time", "leader": "lea@example.org",
                                    "name": "Race", "seats": 5}, now=AT)
    for i in range(4):
        groups.enrol(admin, g.id, f"seated{i}@example.org", now=AT)
    url = db.engine.url.render_as_string(hide_password=False)
    mp = multiprocessing.get_context("fork")
    barrier, results = mp.Barrier(RACERS), mp.Queue()
    procs = [mp.Process(target=_racer, args=(url, n, g.id, barrier, results))
             for n in range(RACERS)]
    db.engine.dispose()  # no connection inherited by the children
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    kinds = [k for k, _ in outcomes]
    assert kinds.count("ok") == 1, outcomes
    assert kinds.count("refused") == RACERS - 1, outcomes
    assert all("buy more seats" in why for k, why in outcomes if k == "refused")
    view = groups.get_group(admin, g.id, at=AT)
    assert (view.seats_used, view.seats_free) == (5, 0)
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(GroupMember)) == 5
        # the refused racers' contacts were rolled back with their enrolment
        assert s.scalar(select(func.count()).select_from(Contact)
                        .where(Contact.email.like("racer%"))) == 1
