"""Access status, cancellation, end date, undo, bulk, lists (issue 11), on SQLite and PostgreSQL.

Worked examples in Europe/Berlin (the account zone)."""

from __future__ import annotations

from datetime import UTC, timedelta

from core.schemas.common import Window

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.models import Access, AuditRecord, BundleItem, Contact, Invoice, Product
from core.services import access_status as st
from core.services import accesses, invoices, plans
from core.services import subscriptions as subs
from core.services._bulk import BulkRefused
from core.services.billing_run import run_billing
from tests.services.billing_helpers import MONTHLY_1ST, berlin, contact
from tests.services.commerce_rows import product_with_offer

MONTHLY = MONTHLY_1ST
YEARLY = {"handle": "year", "name": "Year", "amount": 120000,
          "schedule_type": "month_startdate", "interval_length": 12}


def _access(db, ctx, contact_id, *, sub_id=None, start, handle="yoga", offer=None):
    with db.transaction() as s:
        if offer is None:
            offer = product_with_offer(s, handle=handle, payment="subscription" if sub_id
                                       else "one_time", template={})
        else:
            offer = s.merge(offer)
        a = accesses.grant(s, ctx, contact_id=contact_id, offer=offer, starts_at=start,
                           subscription_id=sub_id)
        return a.id


def _subscribed(db, admin, plan, start, *, pay=True, handle="yoga"):
    """A plan, a subscription started at `start` (its first invoice paid when `pay`), and an
    access linked to it."""
    plans.create_plan(admin, plan)
    cid = contact(admin)
    sub = subs.create_subscription(admin, {"contact_id": cid, "plan": plan["handle"],
                                           "start": start}, now=start)
    if pay:
        for inv in sub.invoices:
            invoices.record_payment(admin, inv.number, at=start + timedelta(minutes=5))
    return cid, sub.id, _access(db, admin, cid, sub_id=sub.id, start=start, handle=handle)


# -- worked examples -------------------------------------------------------------------------


def test_monthly_cancelled_mid_month_pends_until_the_end_of_the_paid_period(db, admin, agent):
    _cid, sub_id, aid = _subscribed(db, admin, MONTHLY, berlin(2026, 5, 1))
    at = berlin(2026, 5, 16, 12)
    preview = st.preview_cancel(agent, aid, at=at, now=at)
    assert preview.effective_at == berlin(2026, 6, 1)  # ~15 days ahead
    assert not preview.immediate
    assert [p.name for p in preview.products_lost] == ["Yoga"]
    assert preview.lessons_lost == 4
    assert preview.subscriptions[0].id == sub_id
    assert preview.last_invoice is not None and preview.last_invoice.amount == 10000
    # the preview wrote nothing
    assert st.get_status(agent, aid, at=at).status == "active"
    out = st.cancel(agent, aid, at=at, now=at)
    assert (out.status, out.pending_cancellation_at) == ("pending_cancellation",
                                                         berlin(2026, 6, 1))
    assert out.subscriptions[0].state == "pending_cancellation"
    assert out.subscriptions[0].expires == berlin(2026, 6, 1)
    # status follows time without anyone pressing a key
    assert st.get_status(agent, aid, at=berlin(2026, 5, 31, 23, 59)).grants_content
    later = st.get_status(agent, aid, at=berlin(2026, 6, 1))
    assert (later.status, later.grants_content) == ("cancelled", False)
    actions = [(r.operator, r.entity, r.action) for r in _audit(db, aid)]
    assert ("agent", "access", "cancel") in actions


def test_yearly_cancelled_after_three_months_pends_about_nine_months(db, admin):
    _cid, _sub, aid = _subscribed(db, admin, YEARLY, berlin(2026, 1, 10))
    out = st.cancel(admin, aid, at=berlin(2026, 4, 10), now=berlin(2026, 4, 10))
    assert out.status == "pending_cancellation"
    assert out.pending_cancellation_at == berlin(2027, 1, 10)


def test_no_payment_yet_ends_at_once_and_credits_the_open_invoices(db, admin):
    _cid, sub_id, aid = _subscribed(db, admin, MONTHLY, berlin(2026, 5, 1), pay=False)
    at = berlin(2026, 5, 16, 12)
    preview = st.preview_cancel(admin, aid, at=at, now=at)
    assert preview.immediate and preview.effective_at == at
    assert [c.amount for c in preview.credited] == [10000]
    out = st.cancel(admin, aid, at=at, now=at)
    assert out.status == "cancelled"
    assert out.subscriptions[0].state == "cancelled"
    with db.reading() as s:
        states = s.scalars(select(Invoice.state).where(Invoice.subscription_id == sub_id)).all()
    assert states == ["credited"]


def test_cancelling_in_a_trial_ends_now_not_at_the_trial_end(db, admin):
    plan = {**MONTHLY, "trial_interval_length": 14, "trial_interval_unit": "days"}
    _cid, _sub, aid = _subscribed(db, admin, plan, berlin(2026, 5, 1))
    at = berlin(2026, 5, 5, 9)
    out = st.cancel(admin, aid, at=at, now=at)
    assert (out.status, out.subscriptions[0].state) == ("cancelled", "cancelled")
    assert out.subscriptions[0].expires == at


def test_notice_and_minimum_periods_push_the_date_as_the_engine_says(db, admin):
    plan = {"handle": "gym", "name": "Gym", "amount": 4900, "schedule_type": "month_startdate",
            "notice_period_length": 1, "notice_period_unit": "months",
            "minimum_contract_period_length": 6, "minimum_contract_period_unit": "months"}
    _cid, sub_id, aid = _subscribed(db, admin, plan, berlin(2026, 1, 15))
    at = berlin(2026, 3, 2, 10)
    engine = subs.preview_cancellation(admin, sub_id, at=at)
    out = st.cancel(admin, aid, at=at, now=at)
    # period end 15 Mar, notice 2 Apr, minimum term 15 Jul: the latest wins
    assert out.pending_cancellation_at == engine.expires == berlin(2026, 7, 15)


def test_a_bundle_keeps_the_products_another_access_grants(db, admin):
    start = berlin(2026, 2, 1)
    with db.transaction() as s:
        c = Contact(name="Bea", sort_key="bea", email="bea@example.de",
                    email_key="bea@example.de", search_doc="bea")
        s.add(c)
        s.flush()
        cid = c.id
        one = product_with_offer(s, handle="pilates", lessons=3, template={})
        two = product_with_offer(s, handle="zumba", lessons=5, template={})
        bundle = product_with_offer(s, handle="all", lessons=0, template={})
        s.get(Product, bundle.product_id).is_bundle = True
        s.add_all([BundleItem(bundle_id=bundle.product_id, product_id=one.product_id),
                   BundleItem(bundle_id=bundle.product_id, product_id=two.product_id)])
        b = accesses.grant(s, admin, contact_id=cid, offer=bundle, starts_at=start)
        accesses.grant(s, admin, contact_id=cid, offer=one, starts_at=start)
        bid = b.id
    at = berlin(2026, 3, 1)
    preview = st.preview_cancel(admin, bid, at=at, now=at)
    assert [p.name for p in preview.products_lost] == ["All", "Zumba"]
    assert [p.name for p in preview.products_kept] == ["Pilates"]
    assert preview.lessons_lost == 5
    st.cancel(admin, bid, at=at, now=at)
    statuses = {a.product_name: a.status for a in st.contact_statuses(admin, cid, at=at)}
    assert statuses == {"All": "cancelled", "Pilates": "active"}


def test_end_date_into_the_past_and_into_the_future(db, admin, agent):
    _cid, sub_id, aid = _subscribed(db, admin, MONTHLY, berlin(2026, 5, 1))
    at = berlin(2026, 5, 16, 12)
    st.cancel(agent, aid, at=at, now=at)
    # moved later: still pending, the subscription's end follows
    out = st.set_end(agent, aid, berlin(2026, 8, 1), at=at, now=at)
    assert (out.status, out.pending_cancellation_at) == ("pending_cancellation",
                                                         berlin(2026, 8, 1))
    assert subs.get_subscription(agent, sub_id, at=at).expires == berlin(2026, 8, 1)
    # moved into the past: cancelled now
    out = st.set_end(agent, aid, berlin(2026, 5, 10), at=at, now=at)
    assert out.status == "cancelled"
    assert subs.get_subscription(agent, sub_id, at=at).state == "cancelled"


def test_end_date_on_an_active_access_expires_or_limits_it(db, admin):
    cid = contact(admin)
    aid = _access(db, admin, cid, start=berlin(2026, 1, 1))
    at = berlin(2026, 3, 1)
    out = st.set_end(admin, aid, berlin(2026, 4, 1), at=at, now=at)
    assert (out.status, out.ends_at) == ("active", berlin(2026, 4, 1))
    assert st.get_status(admin, aid, at=berlin(2026, 4, 1)).status == "expired"
    assert st.set_end(admin, aid, berlin(2026, 2, 1), at=at, now=at).status == "expired"
    with pytest.raises(ValidationFailed) as exc:
        st.set_end(admin, aid, berlin(2025, 12, 1), at=at, now=at)
    assert "before the start" in str(exc.value)
    with db.transaction() as s:
        s.get(Access, aid).deleted_at = at
    with pytest.raises(ValidationFailed) as exc:
        st.set_end(admin, aid, berlin(2026, 4, 1), at=at, now=at)
    assert "deleted" in str(exc.value)


def test_undo_before_the_date_and_refused_after(db, admin):
    _cid, sub_id, aid = _subscribed(db, admin, MONTHLY, berlin(2026, 5, 1))
    st.cancel(admin, aid, at=berlin(2026, 5, 16), now=berlin(2026, 5, 16))
    out = st.undo_cancel(admin, aid, at=berlin(2026, 5, 20), now=berlin(2026, 5, 20))
    assert (out.status, out.pending_cancellation_at) == ("active", None)
    assert subs.get_subscription(admin, sub_id, at=berlin(2026, 5, 20)).state == "active"
    st.cancel(admin, aid, at=berlin(2026, 5, 21), now=berlin(2026, 5, 21))
    with pytest.raises(ValidationFailed) as exc:
        st.undo_cancel(admin, aid, at=berlin(2026, 6, 2), now=berlin(2026, 6, 2))
    assert "date has passed" in str(exc.value)


def test_status_is_computed_for_a_given_moment(db, admin):
    cid = contact(admin)
    aid = _access(db, admin, cid, start=berlin(2026, 1, 1))
    st.set_end(admin, aid, berlin(2026, 6, 30, 23, 59), at=berlin(2026, 1, 2),
               now=berlin(2026, 1, 2))
    assert st.get_status(admin, aid, at=berlin(2026, 6, 30)).status == "active"
    assert st.get_status(admin, aid, at=berlin(2026, 7, 1)).status == "expired"


def test_a_failed_payment_makes_the_access_overdue_without_content(db, admin):
    _cid, sub_id, aid = _subscribed(db, admin, MONTHLY, berlin(2026, 5, 1), pay=False)
    with admin.db.reading() as s:
        number = s.scalar(select(Invoice.number).where(Invoice.subscription_id == sub_id))
    invoices.record_failed_payment(admin, number, at=berlin(2026, 5, 3))
    out = st.get_status(admin, aid, at=berlin(2026, 5, 4))
    assert (out.status, out.grants_content) == ("overdue", False)
    assert st.get_status(admin, aid, at=berlin(2026, 5, 2)).status == "active"
    rows = st.follow_up(admin, "overdue", at=berlin(2026, 5, 4))
    assert [r.id for r in rows] == [aid]
    from core.services.settings import set_setting

    set_setting(admin, "overdue_keeps_access", "true")
    assert st.get_status(admin, aid, at=berlin(2026, 5, 4)).grants_content
    invoices.record_payment(admin, number, at=berlin(2026, 5, 6))
    assert st.get_status(admin, aid, at=berlin(2026, 5, 7)).status == "active"
    assert st.follow_up(admin, "overdue", at=berlin(2026, 5, 7)) == []


def test_a_locked_contact_sees_no_content_and_only_admins_lock(db, admin, agent):
    cid = contact(admin)
    aid = _access(db, admin, cid, start=berlin(2026, 1, 1))
    with pytest.raises(PermissionDenied):
        st.lock_contact(agent, cid)
    assert st.contact_lock(agent, cid)["allowed_actions"]["lock"] is not None
    st.lock_contact(admin, cid, at=berlin(2026, 2, 1))
    out = st.get_status(admin, aid, at=berlin(2026, 2, 2))
    assert (out.status, out.contact_locked, out.grants_content) == ("active", True, False)
    with pytest.raises(ValidationFailed):
        st.lock_contact(admin, cid)
    st.unlock_contact(admin, cid, at=berlin(2026, 2, 3))
    assert st.get_status(admin, aid, at=berlin(2026, 2, 4)).grants_content
    with db.reading() as s:
        acts = s.scalars(select(AuditRecord.action).where(
            AuditRecord.entity == "contact", AuditRecord.entity_id == str(cid))
            .order_by(AuditRecord.id)).all()
    assert acts[-2:] == ["lock", "unlock"]


def test_two_agents_at_once_one_wins_the_other_gets_a_conflict(db, admin, agent):
    cid = contact(admin)
    aid = _access(db, admin, cid, start=berlin(2026, 1, 1))
    seen = st.get_status(agent, aid, at=berlin(2026, 2, 1)).row_version
    st.cancel(admin, aid, at=berlin(2026, 2, 1), now=berlin(2026, 2, 1),
              expected_row_version=seen)
    with pytest.raises(Conflict):
        st.set_end(agent, aid, berlin(2026, 9, 1), at=berlin(2026, 2, 1),
                   now=berlin(2026, 2, 1), expected_row_version=seen)


def test_the_billing_run_persists_what_has_passed_as_system(db, admin):
    _cid, _sub, aid = _subscribed(db, admin, MONTHLY, berlin(2026, 5, 1))
    st.cancel(admin, aid, at=berlin(2026, 5, 16), now=berlin(2026, 5, 16))
    with db.reading() as s:
        assert s.get(Access, aid).status == "pending_cancellation"
    run_billing(admin, berlin(2026, 6, 2).date(), now=berlin(2026, 6, 3))
    with db.reading() as s:
        assert s.get(Access, aid).status == "cancelled"
        rec = s.scalars(select(AuditRecord).where(
            AuditRecord.entity == "access", AuditRecord.action == "status")).one()
    assert (rec.operator, rec.before, rec.after) == ("system", {"status":
                                                                "pending_cancellation"},
                                                     {"status": "cancelled"})


def test_pending_and_expiring_lists_window_and_filter(db, admin):
    cid = contact(admin)
    at = berlin(2026, 3, 1)
    ids = [_access(db, admin, cid, start=berlin(2026, 1, 1), handle=f"p{i}") for i in range(5)]
    for n, aid in enumerate(ids[:4]):
        st.cancel(admin, aid, at=at, now=at)
        st.set_end(admin, aid, at + timedelta(days=5 + n * 10), at=at, now=at)
    st.set_end(admin, ids[4], at + timedelta(days=3), at=at, now=at)
    rows = st.follow_up(admin, "pending", within_days=30, at=at)
    assert [r.id for r in rows] == ids[:3]
    page = st.follow_up(admin, "pending", within_days=30, at=at,
                        window=Window(limit=2))
    rest = st.follow_up(admin, "pending", within_days=30, at=at,
                        window=Window(limit=2, after=page[-1].key))
    assert [r.id for r in page + rest] == ids[:3]
    with db.reading() as s:
        pid = s.get(Access, ids[1]).product_id
    assert [r.id for r in st.follow_up(admin, "pending", at=at, product_id=pid)] == [ids[1]]
    assert st.count_follow_up(admin, "pending", within_days=60, at=at) == 4
    assert [r.id for r in st.follow_up(admin, "expiring", within_days=7, at=at)] == [ids[4]]
    with pytest.raises(ValidationFailed):
        st.parse_within("soon")
    assert st.parse_within("2w") == 14


# -- bulk ------------------------------------------------------------------------------------


def _many(db, admin, n, start):
    with db.transaction() as s:
        c = Contact(name="Many", sort_key="many", email="many@example.de",
                    email_key="many@example.de", search_doc="many")
        s.add(c)
        s.flush()
        offer = product_with_offer(s, handle="bulk", template={})
        rows = [Access(contact_id=c.id, product_id=offer.product_id, offer_id=offer.id,
                       starts_at=start, pauses=[], accepted=[], status="active")
                for _ in range(n)]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def test_bulk_cancel_of_a_thousand_in_one_transaction_with_its_audit(db, admin):
    ids = _many(db, admin, 1000, berlin(2026, 1, 1))
    at = berlin(2026, 3, 1)
    preview = st.preview_bulk(admin, "cancel", ids, at=at, now=at)
    assert (preview.total, preview.allowed, preview.immediate) == (1000, 1000, 1000)
    assert preview.earliest == preview.latest == at
    result = st.bulk(admin, "cancel", ids, at=at, now=at)
    assert result.done == 1000
    with db.reading() as s:
        n = s.scalar(select(func.count()).select_from(AuditRecord).where(
            AuditRecord.entity == "access", AuditRecord.action == "cancel"))
        statuses = set(s.scalars(select(Access.status).where(Access.id.in_(ids))))
    assert n == 1000 and statuses == {"cancelled"}
    out = st.bulk(admin, "set_end", ids[:10], end=berlin(2026, 4, 1), at=at, now=at)
    assert out.done == 10
    assert st.get_status(admin, ids[0], at=at).status == "pending_cancellation"
    assert st.bulk(admin, "undo_cancel", ids[:10], at=at, now=at).done == 10
    assert st.get_status(admin, ids[0], at=at).status == "active"


def test_a_bulk_action_failing_halfway_writes_nothing(db, admin):
    ids = _many(db, admin, 40, berlin(2026, 1, 1))
    at = berlin(2026, 3, 1)
    st.cancel(admin, ids[20], at=at, now=at)  # already cancelled: refuses
    with db.reading() as s:
        before = s.scalar(select(func.count()).select_from(AuditRecord))
    with pytest.raises(BulkRefused) as exc:
        st.bulk(admin, "cancel", ids + [999_999], at=at, now=at)
    assert [r.id for r in exc.value.refused] == [ids[20], 999_999]
    assert "cancelled" in exc.value.refused[0].reason
    preview = st.preview_bulk(admin, "cancel", ids, at=at, now=at)
    assert (preview.allowed, len(preview.refused)) == (39, 1)
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(AuditRecord)) == before
        assert s.scalar(select(func.count()).select_from(Access).where(
            Access.status == "cancelled")) == 1


def test_bulk_set_end_needs_a_date_and_a_known_action(db, admin):
    with pytest.raises(ValidationFailed):
        st.bulk(admin, "set_end", [1])
    with pytest.raises(ValidationFailed):
        st.bulk(admin, "explode", [1])


def _audit(db, aid):
    with db.reading() as s:
        return s.scalars(select(AuditRecord).where(
            AuditRecord.entity_id == str(aid)).order_by(AuditRecord.id)).all()


def test_naive_moments_are_refused(db, admin):
    from datetime import datetime

    with pytest.raises(ValidationFailed):
        st.get_status(admin, 1, at=datetime(2026, 1, 1))
    assert berlin(2026, 1, 1).astimezone(UTC).tzinfo is UTC
