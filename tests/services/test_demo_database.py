"""`kontor --demo` copies a demo database built once per Kontor version."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from core.db import Database
from core.models import Access, Contact, Group, Offer, Order, Plan
from core.services import demo_database
from core.services.operators import sign_in


def test_the_demo_is_built_once_then_copied_and_the_user_is_its_admin(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    steps: list[str] = []
    (tmp_path / "a").mkdir()
    first = demo_database.open_demo(tmp_path / "a", "anna", steps.append, cache)
    assert steps == ["contacts", "plans", "catalogue", "subscriptions", "orders", "groups", "billing"]
    cached = list(cache.glob("demo-*.db"))
    assert len(cached) == 1 and oct(os.stat(cached[0]).st_mode & 0o777) == "0o600"

    def no_build(*_a, **_k):
        raise AssertionError("the cached demo must be copied, not rebuilt")

    monkeypatch.setattr(demo_database, "build", no_build)
    (tmp_path / "b").mkdir()
    steps.clear()
    second = demo_database.open_demo(tmp_path / "b", "bert", steps.append, cache)
    assert steps == ["billing"] and second != first
    db = Database(second)
    try:
        assert sign_in(db, "bert").role == "admin"
        with db.reading() as session:
            assert session.scalar(select(func.count()).select_from(Plan)) >= 300
            assert session.scalar(select(func.count()).select_from(Contact)) > 2_500
            # the generated orders and the two demo groups' purchases
            assert session.scalar(select(func.count()).select_from(Order)) == \
                demo_database.DEMO_ORDERS + 2
            full, free = session.scalars(select(Group).order_by(Group.id)).all()
            assert (full.seats_total, full.active_count, full.seats_free_open) == (5, 5, 0)
            assert full.has_open_sub and full.offline_at is None
            assert free.seats_free_open > 0 and not free.has_open_sub
            offers = {o.handle: o for o in session.scalars(select(Offer).where(
                Offer.group_min_seats.is_not(None)))}
            team = offers["deutsch-a1-team"]
            assert team.payment == "subscription"
            assert (team.group_min_seats, team.group_max_seats) == (2, 20)
            # the hand-picked German, Italian and English contacts hold an access each
            holders = set(session.scalars(select(Access.contact_id)))
            assert {1, 2, 3} <= holders
            languages = set(session.scalars(
                select(Contact.language).where(Contact.id.in_(holders))))
            assert {"de", "it", "en"} <= languages
    finally:
        db.dispose()


def test_a_new_kontor_builds_a_new_demo_and_drops_the_old_one(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "demo-0000000000000000.db").write_bytes(b"old")
    built: list[str] = []
    monkeypatch.setattr(demo_database, "build", lambda path, progress=None: (
        built.append(str(path)), path.write_bytes(b"new")))
    target = demo_database.cached_demo(None, cache)
    assert built and target.read_bytes() == b"new"
    assert [p.name for p in cache.glob("demo-*.db")] == [target.name]


@pytest.fixture(scope="session")
def demo_cache(tmp_path_factory):
    """A cache directory with the demo built (once per test worker)."""
    cache = tmp_path_factory.mktemp("demo-cache")
    demo_database.cached_demo(None, cache)
    return cache


@pytest.mark.parametrize("login", ["demo", "zoe"])
def test_any_login_can_open_the_demo(tmp_path, login, demo_cache):
    (tmp_path / "w").mkdir()
    url = demo_database.open_demo(tmp_path / "w", login, None, demo_cache)
    db = Database(url)
    try:
        assert sign_in(db, login).role == "admin"
    finally:
        db.dispose()
