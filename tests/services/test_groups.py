"""Group access (core/services/groups.py, issue 12), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.errors import NotFound, ValidationFailed
from core.models import Access, AuditRecord, Invoice, Order, Subscription
from core.schemas.common import Window
from core.services import groups
from core.services.billing_run import run_billing
from core.services.plans import create_plan
from core.services.settings import set_setting
from tests.services.commerce_rows import product_with_offer

JAN15 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
JAN30 = datetime(2026, 1, 30, 9, 0, tzinfo=UTC)
MONTHLY = {"handle": "team", "name": "Team", "amount": 1000,
           "schedule_type": "month_startdate", "interval_length": 1}
YEARLY = {"handle": "team-year", "name": "Team yearly", "amount": 12000,
          "schedule_type": "month_startdate", "interval_length": 12}


def _one_time(db, *, min_seats=1, max_seats=50, template=None):
    with db.transaction() as s:
        offer = product_with_offer(s, handle="yoga", price=4900, template=template)
        offer.group_min_seats, offer.group_max_seats = min_seats, max_seats
        return offer.handle


def _monthly(db, admin, plan=MONTHLY, handle="team-course"):
    create_plan(admin, plan, now=JAN15 - timedelta(days=30))
    with db.transaction() as s:
        offer = product_with_offer(s, handle=handle, payment="subscription", price=None,
                                   plan_handle=plan["handle"])
        offer.group_min_seats, offer.group_max_seats = 1, 100
        return offer.handle


def _create(ctx, offer, seats=5, name="Team A", leader="lea@example.org", at=JAN15, **kw):
    return groups.create_group(ctx, {"offer": offer, "leader": leader, "name": name,
                                     "seats": seats, **kw}, now=at)


def test_a_one_time_group_purchase_creates_a_paid_order_and_the_quota(db, admin):
    offer = _one_time(db)
    g = _create(admin, offer, seats=3, leader_takes_seat=True)
    assert (g.seats_total, g.seats_used, g.seats_free) == (3, 1, 2)
    assert g.used_text == "1 of 3 seats used"
    (order,) = g.orders
    assert (order.seats, order.amount, order.status) == (3, 3 * 4900, "paid")
    assert g.subscriptions == []
    with db.reading() as s:
        assert s.scalar(select(Order.total)) == 14700
        (access,) = s.scalars(select(Access)).all()
        assert access.group_id == g.id and access.contact_id == g.leader_id


def test_bad_input_names_the_field_and_writes_nothing(db, admin):
    offer = _one_time(db, min_seats=2, max_seats=10)
    for data, field in (({"seats": 1}, "seats"), ({"seats": 11}, "seats"),
                        ({"name": "  "}, "name"), ({"name": "a\x00b"}, "name"),
                        ({"offer": "nope"}, "offer"), ({"leader": "not-an-email"}, "email"),
                        ({"seats": 0}, "seats")):
        base = {"offer": offer, "leader": "lea@example.org", "name": "T", "seats": 3}
        with pytest.raises(ValidationFailed) as err:
            groups.create_group(admin, {**base, **data}, now=JAN15)
        assert field in err.value.fields, (data, err.value.fields)
    with db.reading() as s:
        assert s.scalar(select(Order.id)) is None


def test_the_name_is_unique_per_product_and_cannot_be_changed(db, admin):
    offer = _one_time(db)
    g = _create(admin, offer, name="Team A")
    with pytest.raises(ValidationFailed) as err:
        _create(admin, offer, name="team a", leader="other@example.org")
    assert "name" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        groups.rename_group(admin, g.id, "B")
    assert "cannot be changed" in err.value.fields["_"]
    assert g.allowed_actions["rename"]


def test_enrol_creates_the_contact_and_refuses_when_full(db, admin, agent):
    offer = _one_time(db)
    g = _create(admin, offer, seats=2)
    p = groups.enrol(agent, g.id, "Max.Muster@example.org", now=JAN15)
    assert (p.name, p.status) == ("Max.Muster", "active")
    groups.enrol(agent, g.id, "eva@example.org", name="Eva Roth", now=JAN15)
    with pytest.raises(ValidationFailed) as err:
        groups.enrol(agent, g.id, "third@example.org", now=JAN15)
    assert "buy more seats" in err.value.fields["seats"]
    view = groups.get_group(agent, g.id, at=JAN15)
    assert (view.seats_used, view.seats_free) == (2, 0)
    assert view.allowed_actions["enrol"] is not None
    with pytest.raises(ValidationFailed):
        groups.enrol(agent, g.id, "eva@example.org", now=JAN15)  # already enrolled
    with pytest.raises(NotFound):
        groups.enrol(agent, 999, "x@example.org", now=JAN15)


def test_the_limit_setting_decides_whether_a_removal_frees_the_seat(db, admin):
    offer = _one_time(db)
    g = _create(admin, offer, seats=2)
    groups.enrol(admin, g.id, "a@example.org", now=JAN15)
    groups.enrol(admin, g.id, "b@example.org", now=JAN15)
    preview = groups.remove(admin, g.id, "a@example.org", preview=True, now=JAN15)
    assert (preview.done, preview.seat_freed, preview.seats_used_after) == (False, True, 1)
    assert groups.get_group(admin, g.id, at=JAN15).seats_used == 2  # nothing saved
    groups.remove(admin, g.id, "a@example.org", now=JAN15)
    with db.reading() as s:
        ended = s.scalars(select(Access).where(Access.end_reason == "group_removed")).one()
        assert ended.status == "cancelled"
    assert groups.get_group(admin, g.id, at=JAN15).seats_used == 1
    # Flipping the setting changes every group's seats used at once.
    set_setting(admin, "group_limit_active", "true")
    assert groups.get_group(admin, g.id, at=JAN15).seats_used == 2
    effect = groups.limit_effect(admin)
    assert (effect.limited, effect.full_limited, effect.full_open, effect.changed) == (
        True, 1, 0, 1)
    assert groups.count_groups(admin, {"full": True}) == 1
    with pytest.raises(ValidationFailed):
        groups.enrol(admin, g.id, "c@example.org", now=JAN15)
    # A removed participant coming back takes back their own seat.
    groups.enrol(admin, g.id, "a@example.org", now=JAN15)
    set_setting(admin, "group_limit_active", "false")
    assert groups.count_groups(admin, {"full": True}) == 1
    assert groups.get_group(admin, g.id, at=JAN15).seats_used == 2


def test_upgrade_one_time_is_a_new_order(db, admin):
    offer = _one_time(db)
    g = _create(admin, offer, seats=2)
    g2 = groups.upgrade_group(admin, g.id, 3, now=JAN30)
    assert g2.seats_total == 5
    assert [o.seats for o in g2.orders] == [2, 3]
    assert len({o.number for o in g2.orders}) == 2


def test_subscription_upgrade_is_a_separate_subscription_on_its_own_day(db, admin):
    offer = _monthly(db, admin)
    g = _create(admin, offer, seats=5)
    g = groups.upgrade_group(admin, g.id, 3, now=JAN30)
    assert g.seats_total == 8
    s1, s2 = g.subscriptions
    assert (s1.seats, s2.seats) == (5, 3)
    assert s1.id != s2.id
    assert (s1.next_invoice_at.day, s2.next_invoice_at.day) == (15, 28)  # Feb 28: the 30th clamped
    assert g.monthly_total == 8 * 1000
    run_billing(admin, datetime(2026, 3, 31, tzinfo=UTC))
    with db.reading() as s:
        for sub_id, seats in ((s1.id, 5), (s2.id, 3)):
            amounts = s.scalars(select(Invoice.amount).where(Invoice.subscription_id == sub_id)
                                ).all()
            assert len(amounts) == 3 and set(amounts) == {seats * 1000}
            assert s.get(Subscription, sub_id).quantity == seats


def test_a_yearly_subscription_counts_a_twelfth_per_month(db, admin):
    offer = _monthly(db, admin, YEARLY, handle="yearly-course")
    g = _create(admin, offer, seats=2)
    assert g.monthly_total == 2 * 1000


def test_downgrade_proposes_the_newest_subscription_and_ends_it(db, admin):
    offer = _monthly(db, admin)
    g = _create(admin, offer, seats=5)
    groups.upgrade_group(admin, g.id, 3, now=JAN30)
    for i in range(4):
        groups.enrol(admin, g.id, f"p{i}@example.org", now=JAN30)
    at = datetime(2026, 2, 2, tzinfo=UTC)
    p = groups.preview_downgrade(admin, g.id, 5, now=at)
    assert p.refusal is None and p.seats_after == 5 and p.losing == []
    (cancel,) = [line for line in p.lines if line.cancel]
    # The upgrade of Jan 30 renews on the 30th (Feb 28): cancelled on Feb 2 it ends then.
    assert (cancel.seats, cancel.expires) == (3, datetime(2026, 2, 28, 9, 0, tzinfo=UTC))
    # Below the seats in use: refused in limited mode, named in open mode.
    p = groups.preview_downgrade(admin, g.id, 0, now=at)
    assert p.refusal is None and len(p.losing) == 4
    set_setting(admin, "group_limit_active", "true")
    p = groups.preview_downgrade(admin, g.id, 3, now=at)
    assert p.refusal and "4" in p.refusal
    with pytest.raises(ValidationFailed):
        groups.downgrade(admin, g.id, 3, now=at)
    set_setting(admin, "group_limit_active", "false")
    done = groups.downgrade(admin, g.id, 5, now=at)
    assert done.done
    view = groups.get_group(admin, g.id, at=at)
    assert [s.state for s in view.subscriptions] == ["active", "pending_cancellation"]
    assert view.monthly_total == 5 * 1000  # the ending subscription renews no more
    after = groups.get_group(admin, g.id, at=cancel.expires + timedelta(days=1))
    assert after.seats_total == 5
    with db.reading() as s:
        actions = s.scalars(select(AuditRecord.action).where(AuditRecord.entity == "group")).all()
        assert "downgrade" in actions


def test_override_and_offline_then_reactivate(db, admin):
    offer = _monthly(db, admin)
    g = _create(admin, offer, seats=2)
    m = groups.enrol(admin, g.id, "p@example.org", now=JAN15)
    at = datetime(2026, 1, 20, tzinfo=UTC)
    sub_id = g.subscriptions[0].id
    p = groups.preview_downgrade(admin, g.id, 0, cancel=[sub_id], now=at)
    assert p.offline_at is not None and [x.email for x in p.losing] == ["p@example.org"]
    assert "12345" in groups.preview_downgrade(admin, g.id, 0, cancel=[12345], now=at).refusal
    with pytest.raises(ValidationFailed):
        groups.downgrade(admin, g.id, 0, cancel=[12345], now=at)
    groups.downgrade(admin, g.id, 0, cancel=[sub_id], now=at)
    later = p.offline_at + timedelta(hours=1)
    view = groups.get_group(admin, g.id, at=later)
    assert view.state == "offline" and view.seats_total == 0
    with db.reading() as s:
        access = s.get(Access, m.access_id)
        assert access.pending_cancellation_at == p.offline_at
    # Before the offline date: reactivating withdraws the cancellation.
    back = groups.reactivate(admin, g.id, now=at + timedelta(days=1))
    assert back.state == "online" and back.offline_at is None
    assert [s.state for s in back.subscriptions] == ["active"]


def test_reactivate_after_offline_buys_again(db, admin):
    offer = _monthly(db, admin)
    g = _create(admin, offer, seats=2)
    at = datetime(2026, 1, 20, tzinfo=UTC)
    p = groups.downgrade(admin, g.id, 0, now=at)
    later = p.offline_at + timedelta(days=1)
    run_billing(admin, later)
    groups.refresh_groups(admin, now=later)
    assert groups.count_groups(admin, {"no_live_subscription": True}, at=later) == 1
    back = groups.reactivate(admin, g.id, now=later)
    assert back.state == "online" and back.seats_total == 2 and len(back.orders) == 2
    assert groups.count_groups(admin, {"no_live_subscription": True}, at=later) == 0
    with pytest.raises(ValidationFailed):
        groups.reactivate(admin, g.id, now=later)


def test_list_filters_and_keyset(db, admin):
    offer = _one_time(db)
    ids = [_create(admin, offer, seats=1, name=f"G{i}", leader=f"l{i % 2}@example.org").id
           for i in range(5)]
    groups.enrol(admin, ids[0], "x@example.org", now=JAN15)
    assert groups.count_groups(admin) == 5
    assert [r.id for r in groups.list_groups(admin, {"full": True})] == [ids[0]]
    assert groups.count_groups(admin, {"leader": "l1@example.org"}) == 2
    assert groups.count_groups(admin, {"product": "yoga"}) == 5
    page = groups.list_groups(admin, window=Window(limit=2))
    nxt = groups.list_groups(admin, window=Window(after=page[-1].key, limit=2))
    assert [r.id for r in page + nxt] == sorted(ids, reverse=True)[:4]
    with pytest.raises(ValidationFailed):
        groups.count_groups(admin, {"leader": "nobody@example.org"})


def test_viewer_cannot_enrol(db, admin, viewer):
    from core.errors import PermissionDenied

    offer = _one_time(db)
    g = _create(admin, offer)
    with pytest.raises(PermissionDenied):
        groups.enrol(viewer, g.id, "x@example.org", now=JAN15)


def test_contact_card_groups_as_leader_and_participant(db, admin):
    offer = _one_time(db)
    g = _create(admin, offer, leader_takes_seat=True)
    p = groups.enrol(admin, g.id, "x@example.org", now=JAN15)
    led = groups.groups_of_contact(admin, g.leader_id, at=JAN15)
    assert [(x.role, x.name) for x in led] == [("leader", "Team A")]
    mine = groups.groups_of_contact(admin, p.contact_id, at=JAN15)
    assert [(x.role, x.status) for x in mine] == [("participant", "active")]


def test_participants_windowed(db, admin):
    offer = _one_time(db)
    g = _create(admin, offer, seats=20)
    for i in range(7):
        groups.enrol(admin, g.id, f"p{i}@example.org", now=JAN15)
    first = groups.list_participants(admin, g.id, Window(limit=3))
    rest = groups.list_participants(admin, g.id, Window(after=first[-1].key, limit=10))
    assert [p.email for p in first + rest] == [f"p{i}@example.org" for i in range(7)]
    assert groups.count_participants(admin, g.id) == 7
    last = groups.list_participants(admin, g.id, Window(from_end=True, limit=2))
    assert [p.email for p in last] == ["p5@example.org", "p6@example.org"]


def test_instalments_paid_off_stay_live(db, admin):
    plan = {"handle": "three-rates", "name": "Three rates", "amount": 3000,
            "schedule_type": "month_startdate", "interval_length": 1,
            "subscription_duration": "fixed_count", "fixed_count": 3}
    create_plan(admin, plan, now=JAN15 - timedelta(days=30))
    with db.transaction() as s:
        offer = product_with_offer(s, handle="rates", payment="instalments", price=None,
                                   plan_handle="three-rates")
        offer.group_min_seats, offer.group_max_seats = 1, 10
        handle = offer.handle
    g = _create(admin, handle, seats=4)
    later = datetime(2026, 6, 1, tzinfo=UTC)
    run_billing(admin, later)
    with db.reading() as s:
        sub = s.get(Subscription, g.subscriptions[0].id)
        assert sub.state == "expired" and sub.invoice_count == 3
    view = groups.get_group(admin, g.id, at=later)
    assert view.seats_total == 4 and view.state == "online"
    assert [o.live for o in view.orders] == [True]


def test_a_dense_filter_lists_the_same_rows(db, admin, monkeypatch):
    """Above DENSE matches SQLite walks the id order (`+column`): same rows, same order."""
    offer = _one_time(db)
    ids = [_create(admin, offer, seats=1, name=f"G{i}").id for i in range(4)]
    for gid in ids[:3]:
        groups.enrol(admin, gid, f"x{gid}@example.org", now=JAN15)
    sparse = [r.id for r in groups.list_groups(admin, {"full": True, "product": "yoga"})]
    monkeypatch.setattr(groups, "DENSE", 1)
    dense = [r.id for r in groups.list_groups(admin, {"full": True, "product": "yoga"})]
    assert sparse == dense == sorted(ids[:3], reverse=True)
    assert [r.id for r in groups.list_groups(admin, {"no_live_subscription": True})] == \
        sorted(ids, reverse=True)
