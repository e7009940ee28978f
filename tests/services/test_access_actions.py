"""The order editor, switch tariff, delete, extend, pause/resume and accept
(core/services/accesses.py): worked examples with real dates in Europe/Berlin, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.models import Access, AuditRecord, Lesson, Offer, Subscription
from core.services import accesses
from core.services.contacts import create_contact
from core.services.plans import create_plan
from tests.services.commerce_rows import product_with_offer

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


S = berlin(2026, 3, 20, 15, 0)  # the SPEC §4.1 example: delays 0, 2, 9, 10


def _course(db, admin, *, delays=(0, 2, 9, 10), template=None, checkpoints=(),
            practice=(), payment="one_time", plan_handle=None, start=S):
    """A course with lessons of `delays`, an offer, a contact and an access starting at
    `start`; returns (access id, contact id)."""
    contact = create_contact(admin, {"name": "Anna Becker", "email": "anna@example.de"}).id
    with db.transaction() as s:
        offer = product_with_offer(s, lessons=0, template=template or {"release": "delays"},
                                   payment=payment, plan_handle=plan_handle)
        for i, d in enumerate(delays, start=1):
            s.add(Lesson(product_id=offer.product_id, key=f"l{i}", position=i,
                         title=f"Lesson {i}", delay_days=d, checkpoint=i in checkpoints,
                         practice=i in practice or i in checkpoints))
        s.flush()
        access = accesses.grant(s, admin, contact_id=contact, offer=offer, starts_at=start)
        return access.id, contact


def _second_offer(db, access_id, *, handle="yoga-premium", template=None, payment="one_time",
                  plan_handle=None, product_id=None):
    with db.transaction() as s:
        access = s.get(Access, access_id)
        s.add(Offer(handle=handle, product_id=product_id or access.product_id,
                    name=handle.title(), sort_key=handle, payment=payment, price=9900,
                    currency="EUR", plan_handle=plan_handle,
                    template=template or {"release": "none"}))


def _states(lessons):
    return [(row.key, row.state, row.opens_at) for row in lessons]


# -- reading ---------------------------------------------------------------------------------


def test_list_and_show_count_the_lessons_open_today(db, admin, viewer):
    access_id, contact = _course(db, admin)
    at = berlin(2026, 3, 29, 12, 0)  # the day after the DST switch
    rows = accesses.list_accesses(viewer, contact, at=at)
    assert [(r.id, r.product, r.status, r.open_lessons, r.lessons_in_tariff) for r in rows] == [
        (access_id, "Yoga", "active", 3, 4)]
    detail = accesses.get_access(viewer, access_id, at=at)
    assert _states(detail.lessons) == [
        ("l1", "open", S), ("l2", "open", berlin(2026, 3, 22)),
        ("l3", "open", berlin(2026, 3, 29)), ("l4", "scheduled", berlin(2026, 3, 30))]
    assert detail.lessons[3].opens_at.utcoffset().total_seconds() == 7200  # +02:00
    assert detail.allowed_actions["edit"] is None
    assert detail.allowed_actions["resume"] == "The access is not paused."
    assert accesses.count_accesses(viewer, contact) == 1


# -- the order editor ------------------------------------------------------------------------


def test_preview_first_three_release_none_changes_nothing_until_saved(db, admin):
    access_id, _contact = _course(db, admin)
    at = berlin(2026, 3, 21, 9, 0)
    cache = accesses.PreviewCache()
    draft = {"open_lessons": {"first": 3}, "release": "none", "checkpoints": False}
    preview = accesses.preview_template(admin, access_id, draft, at=at, cache=cache)
    assert [(r.key, r.state) for r in preview.lessons] == [
        ("l1", "open"), ("l2", "open"), ("l3", "open"), ("l4", "not_in_tariff")]
    assert (preview.open_lessons, preview.lessons_in_tariff) == (3, 3)
    # the next keystroke reads nothing (the cache), and the saved access is unchanged
    again = accesses.preview_template(admin, access_id, {**draft, "release": "delays"}, at=at,
                                      cache=cache)
    assert [r.state for r in again.lessons] == ["open", "scheduled", "scheduled",
                                                "not_in_tariff"]
    assert accesses.get_access(admin, access_id, at=at).individual is False


def test_update_makes_the_access_individual_and_a_duration_moves_the_end(db, admin):
    access_id, _contact = _course(db, admin)
    at = berlin(2026, 3, 21, 9, 0)
    version = accesses.get_access(admin, access_id, at=at).version
    saved = accesses.update_template(
        admin, access_id, {"open_lessons": {"only": ["l1", "l4"]}, "release": "delays",
                           "duration": {"length": 1, "unit": "months"}},
        expected_version=version, at=at)
    assert saved.individual and saved.template.open_lessons.only == ("l1", "l4")
    assert saved.ends_at == berlin(2026, 4, 20, 15, 0)  # S + 1 month, same local time
    assert [r.state for r in saved.lessons] == ["open", "not_in_tariff", "not_in_tariff",
                                                "scheduled"]
    # an offer edit no longer reaches it
    with db.transaction() as s:
        offer = s.get(Offer, s.get(Access, access_id).offer_id)
        offer.template = {"release": "none"}
    assert [r.state for r in accesses.get_access(admin, access_id, at=at).lessons] == [
        "open", "not_in_tariff", "not_in_tariff", "scheduled"]
    with db.reading() as s:
        (edit,) = s.scalars(select(AuditRecord).where(AuditRecord.entity == "access",
                                                      AuditRecord.action == "edit")).all()
        assert edit.after["individual"] is True


def test_two_edits_of_one_access_give_one_result_and_a_conflict(db, admin, agent):
    access_id, _contact = _course(db, admin)
    version = accesses.get_access(admin, access_id).version
    accesses.update_template(admin, access_id, {"open_lessons": {"first": 2}},
                             expected_version=version)
    with pytest.raises(Conflict, match="changed by admin"):
        accesses.update_template(agent, access_id, {"open_lessons": {"first": 1}},
                                 expected_version=version)
    assert accesses.get_access(admin, access_id).template.open_lessons.first == 2
    with pytest.raises(TypeError):
        accesses.update_template(admin, access_id, {})  # the version is mandatory


def test_bad_drafts_name_the_field_and_viewers_cannot_save(db, admin, viewer):
    access_id, _contact = _course(db, admin)
    version = accesses.get_access(admin, access_id).version
    for draft, field in (({"open_lessons": {"only": ["nope"]}}, "open_lessons"),
                         ({"open_lessons": {"first": 9}}, "open_lessons"),
                         ({"release": "soon"}, "release"),
                         ({"duration": {"length": 0, "unit": "days"}}, "duration")):
        with pytest.raises(ValidationFailed) as err:
            accesses.update_template(admin, access_id, draft, expected_version=version)
        assert field in err.value.fields, draft
    with pytest.raises(PermissionDenied):
        accesses.update_template(viewer, access_id, {}, expected_version=version)


def test_checkpoints_block_until_the_curator_accepts(db, admin):
    access_id, _contact = _course(db, admin, checkpoints=(2,), template={
        "release": "none", "checkpoints": True, "review": "curator"})
    at = berlin(2026, 3, 21)
    assert [r.state for r in accesses.get_access(admin, access_id, at=at).lessons] == [
        "open", "open", "blocked", "blocked"]
    done = accesses.accept_practice(admin, access_id, "l2", at=at)
    assert [r.state for r in done.lessons] == ["open", "open", "open", "open"]
    assert done.accepted == ["l2"]
    with pytest.raises(ValidationFailed, match="already accepted"):
        accesses.accept_practice(admin, access_id, "l2", at=at)
    with pytest.raises(ValidationFailed, match="No lesson with key"):
        accesses.accept_practice(admin, access_id, "l9", at=at)


def test_automatic_review_accepts_a_checkpoint_once_it_opens(db, admin):
    access_id, _contact = _course(db, admin, checkpoints=(2,), template={
        "release": "delays", "checkpoints": True, "review": "automatic"})
    # lesson 2 (the checkpoint) opens 2026-03-22 00:00: before, 3 and 4 are blocked
    assert [r.state for r in accesses.get_access(
        admin, access_id, at=berlin(2026, 3, 21)).lessons] == [
        "open", "scheduled", "blocked", "blocked"]
    assert [r.state for r in accesses.get_access(
        admin, access_id, at=berlin(2026, 3, 22, 1)).lessons] == [
        "open", "open", "scheduled", "scheduled"]
    with pytest.raises(ValidationFailed, match="automatic"):
        accesses.accept_practice(admin, access_id, "l2")


# -- pause, resume, extend -------------------------------------------------------------------


def test_the_spec_pause_example_moves_lessons_and_end_by_two_days(db, admin):
    access_id, _contact = _course(db, admin, template={
        "release": "delays", "duration": {"length": 30, "unit": "days"}})
    assert accesses.get_access(admin, access_id).ends_at == berlin(2026, 4, 19, 15, 0)
    p, q = berlin(2026, 3, 25, 10, 0), berlin(2026, 3, 27, 9, 0)
    paused = accesses.pause_access(admin, access_id, start=p, at=p)
    assert paused.status == "paused" and paused.ends_at is None  # held while it runs
    assert [r.opens_at for r in paused.lessons][2:] == [None, None]
    resumed = accesses.resume_access(admin, access_id, at=q)
    assert resumed.status == "active"
    assert [r.opens_at for r in resumed.lessons] == [
        S, berlin(2026, 3, 22), berlin(2026, 3, 31), berlin(2026, 4, 1)]
    assert resumed.ends_at == berlin(2026, 4, 21, 15, 0)  # k = 2 whole days
    with db.reading() as s:
        actions = [a.action for a in s.scalars(select(AuditRecord).where(
            AuditRecord.entity == "access").order_by(AuditRecord.id))]
    assert actions == ["create", "pause", "resume"]
    with pytest.raises(ValidationFailed, match="not paused"):
        accesses.resume_access(admin, access_id, at=q)


def test_a_pause_with_a_planned_end_and_an_early_resume(db, admin):
    access_id, _contact = _course(db, admin, template={
        "release": "delays", "duration": {"length": 30, "unit": "days"}})
    p = berlin(2026, 3, 25, 10, 0)
    planned = accesses.pause_access(admin, access_id, start=p, end=berlin(2026, 4, 1, 10, 0),
                                    at=berlin(2026, 3, 24, 8, 0))
    assert planned.status == "active"  # it starts tomorrow
    assert planned.ends_at == berlin(2026, 4, 26, 15, 0)  # 7 days later
    assert planned.allowed_actions["resume"] is None  # resume cancels a planned pause
    # resumed early, after 1 day and 1 hour: k = 2
    resumed = accesses.resume_access(admin, access_id, at=berlin(2026, 3, 26, 11, 0))
    assert resumed.ends_at == berlin(2026, 4, 21, 15, 0)
    # a planned pause cancelled before it starts leaves the end as it was
    accesses.pause_access(admin, access_id, start=berlin(2026, 4, 5), at=berlin(2026, 4, 1))
    back = accesses.resume_access(admin, access_id, at=berlin(2026, 4, 2))
    assert back.ends_at == berlin(2026, 4, 21, 15, 0) and len(back.pauses) == 1


def test_extend_by_days_months_and_to_a_date(db, admin):
    access_id, _contact = _course(db, admin, start=berlin(2026, 1, 31, 10, 0), template={
        "release": "none", "duration": {"length": 1, "unit": "months"}})
    assert accesses.get_access(admin, access_id).ends_at == berlin(2026, 2, 28, 10, 0)
    assert accesses.extend_access(admin, access_id, by="1m").ends_at == berlin(2026, 3, 28, 10)
    # across the DST switch (29 March): same local time of day
    assert accesses.extend_access(admin, access_id, by="14d").ends_at == berlin(2026, 4, 11, 10)
    assert accesses.extend_access(admin, access_id, to=date(2026, 6, 30)).ends_at == berlin(
        2026, 6, 30, 10)
    with pytest.raises(ValidationFailed, match="not after the current end"):
        accesses.extend_access(admin, access_id, to=date(2026, 6, 1))
    with pytest.raises(ValidationFailed) as err:
        accesses.extend_access(admin, access_id, by="2w")
    assert "by" in err.value.fields
    # an expired access extended is live again
    late = berlin(2026, 7, 5)
    assert accesses.get_access(admin, access_id, at=late).status == "expired"
    assert accesses.extend_access(admin, access_id, by="1m", at=late).status == "active"


def test_an_unlimited_access_has_no_end_to_extend(db, admin):
    access_id, _contact = _course(db, admin)
    with pytest.raises(ValidationFailed, match="unlimited"):
        accesses.extend_access(admin, access_id, by="14d")


# -- delete ----------------------------------------------------------------------------------


def test_delete_hides_the_access_and_is_audited(db, admin):
    access_id, contact = _course(db, admin)
    at = berlin(2026, 4, 1)
    row = accesses.delete_access(admin, access_id, at=at)
    assert row.deleted and row.status == "cancelled"
    assert accesses.list_accesses(admin, contact, at=at) == []
    assert [r.id for r in accesses.list_accesses(admin, contact, at=at,
                                                 include_deleted=True)] == [access_id]
    with pytest.raises(ValidationFailed, match="deleted"):
        accesses.delete_access(admin, access_id, at=at)


# -- switch tariff ---------------------------------------------------------------------------


def test_switch_keeps_progress_and_replaces_the_access_in_one_step(db, admin):
    access_id, contact = _course(db, admin, checkpoints=(2,), template={
        "release": "delays", "checkpoints": True, "review": "curator"})
    at = berlin(2026, 3, 23, 12)
    accesses.accept_practice(admin, access_id, "l2", at=at)
    _second_offer(db, access_id, template={"release": "none", "checkpoints": True,
                                           "review": "curator",
                                           "duration": {"length": 3, "unit": "months"}})
    preview = accesses.preview_switch(admin, access_id, "yoga-premium", at=at)
    assert (preview.billing, preview.lessons_before, preview.lessons_after) == (
        "none", (2, 4), (4, 4))
    # lesson 2 opened at 2026-03-22 00:00 and now counts from the start; 3 and 4 open now
    assert [(c.key, c.before, c.after, c.opens_after) for c in preview.changes] == [
        ("l2", "open", "open", S), ("l3", "scheduled", "open", S),
        ("l4", "scheduled", "open", S)]
    assert preview.ends_at == berlin(2026, 6, 20, 15, 0)
    with db.reading() as s:  # the preview saved nothing
        assert s.scalar(select(func.count()).select_from(Access)) == 1
    done = accesses.switch_tariff(admin, access_id, "yoga-premium", at=at)
    assert done.old.deleted and done.new.offer_handle == "yoga-premium"
    assert done.new.starts_at == S and done.new.accepted == ["l2"]
    assert [r.id for r in accesses.list_accesses(admin, contact, at=at)] == [done.new.id]
    with db.reading() as s:
        assert s.get(Access, access_id).replaced_by_id == done.new.id
        assert s.get(Access, access_id).end_reason == "switched"


def test_switch_refuses_another_product_and_the_same_offer(db, admin):
    access_id, _contact = _course(db, admin)
    with db.transaction() as s:
        other = product_with_offer(s, handle="pilates")
        other_product = other.product_id
    _second_offer(db, access_id, handle="pilates-plus", product_id=other_product)
    with pytest.raises(ValidationFailed, match="another product"):
        accesses.switch_tariff(admin, access_id, "pilates-plus")
    with pytest.raises(ValidationFailed, match="already on offer"):
        accesses.switch_tariff(admin, access_id, "yoga-one_time")
    with pytest.raises(ValidationFailed, match="No offer"):
        accesses.switch_tariff(admin, access_id, "nope")


def test_a_failed_switch_leaves_the_old_access_untouched(db, admin):
    access_id, contact = _course(db, admin)
    # a recurring offer whose plan does not exist: creating its subscription fails after
    # nothing else has been written yet — and everything rolls back
    _second_offer(db, access_id, handle="yoga-monthly", payment="subscription",
                  plan_handle="missing-plan")
    with db.reading() as s:
        before = accesses.snapshot(s.get(Access, access_id))
        version = s.get(Access, access_id).row_version
        audits = s.scalar(select(func.count()).select_from(AuditRecord))
    with pytest.raises(ValidationFailed, match="No plan"):
        accesses.switch_tariff(admin, access_id, "yoga-monthly", at=berlin(2026, 4, 1))
    with db.reading() as s:
        assert accesses.snapshot(s.get(Access, access_id)) == before
        assert s.get(Access, access_id).row_version == version
        assert s.scalar(select(func.count()).select_from(Access)) == 1
        assert s.scalar(select(func.count()).select_from(AuditRecord)) == audits
    assert [r.id for r in accesses.list_accesses(admin, contact)] == [access_id]


def test_a_failure_after_the_new_access_is_in_rolls_it_back(db, admin, monkeypatch):
    access_id, _contact = _course(db, admin)
    _second_offer(db, access_id)
    real = accesses.snapshot

    def failing(access):  # the old access's audit snapshot after the change: fail there
        if access.deleted_at is not None:
            raise RuntimeError("disk full")
        return real(access)

    monkeypatch.setattr(accesses, "snapshot", failing)
    with pytest.raises(RuntimeError):
        accesses.switch_tariff(admin, access_id, "yoga-premium", at=berlin(2026, 4, 1))
    monkeypatch.undo()
    with db.reading() as s:
        assert [a.id for a in s.scalars(select(Access))] == [access_id]
        assert s.get(Access, access_id).deleted_at is None


def test_switch_to_a_recurring_offer_creates_the_subscription(db, admin):
    create_plan(admin, {"handle": "yoga-month", "name": "Yoga monthly", "amount": 2900,
                        "schedule_type": "month_fixedday", "schedule_fixed_day": 1})
    access_id, contact = _course(db, admin)
    _second_offer(db, access_id, handle="yoga-monthly", payment="subscription",
                  plan_handle="yoga-month")
    at = berlin(2026, 4, 1, 9)
    preview = accesses.preview_switch(admin, access_id, "yoga-monthly", at=at)
    assert preview.billing == "create" and [i.amount for i in preview.invoices] == [2900]
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Subscription)) == 0
    done = accesses.switch_tariff(admin, access_id, "yoga-monthly", at=at)
    assert done.billing == "create" and done.new.subscription_id == done.subscription_id
    # and back to the one-time offer: the subscription is cancelled, its end shown first
    back = accesses.preview_switch(admin, done.new.id, "yoga-one_time", at=berlin(2026, 4, 15))
    assert back.billing == "cancel" and back.cancellation is not None
    assert back.cancellation.expires == berlin(2026, 5, 1)
    undone = accesses.switch_tariff(admin, done.new.id, "yoga-one_time",
                                    at=berlin(2026, 4, 15))
    assert undone.billing == "cancel" and undone.new.subscription_id is None
    with db.reading() as s:
        sub = s.get(Subscription, done.subscription_id)
        assert sub.state == "pending_cancellation"


def test_switch_between_recurring_offers_changes_the_plan_now(db, admin):
    for handle, amount in (("yoga-month", 2900), ("yoga-plus", 5900)):
        create_plan(admin, {"handle": handle, "name": handle.title(), "amount": amount,
                            "schedule_type": "month_fixedday", "schedule_fixed_day": 1})
    access_id, _contact = _course(db, admin)
    _second_offer(db, access_id, handle="yoga-monthly", payment="subscription",
                  plan_handle="yoga-month")
    _second_offer(db, access_id, handle="yoga-plus-monthly", payment="subscription",
                  plan_handle="yoga-plus")
    monthly = accesses.switch_tariff(admin, access_id, "yoga-monthly", at=berlin(2026, 4, 1, 9))
    at = berlin(2026, 4, 16, 9)
    preview = accesses.preview_switch(admin, monthly.new.id, "yoga-plus-monthly", at=at)
    assert preview.billing == "change" and preview.subscription_id == monthly.subscription_id
    assert len(preview.invoices) == 1  # the prorated difference, from the billing engine
    with db.reading() as s:
        assert s.get(Subscription, monthly.subscription_id).plan_id is not None
        plan_before = s.get(Subscription, monthly.subscription_id).plan_id
    done = accesses.switch_tariff(admin, monthly.new.id, "yoga-plus-monthly", at=at)
    assert done.billing == "change" and done.new.subscription_id == monthly.subscription_id
    with db.reading() as s:
        assert s.get(Subscription, monthly.subscription_id).plan_id != plan_before
        assert s.scalar(select(func.count()).select_from(Subscription)) == 1


def test_a_planned_pause_is_stored_by_the_billing_run_when_it_starts(db, admin):
    """Nobody touches the access: the billing run's status step stores "paused" once the
    planned pause has begun, and "active" again after its end (audited as system)."""
    from core.services.access_status import persist_statuses

    access_id, _contact = _course(db, admin, template={
        "release": "delays", "duration": {"length": 30, "unit": "days"}})
    accesses.pause_access(admin, access_id, start=berlin(2026, 3, 25, 10, 0),
                          end=berlin(2026, 4, 1, 10, 0), at=berlin(2026, 3, 24, 8, 0))

    def stored():
        with db.reading() as s:
            return s.get(Access, access_id).status

    assert persist_statuses(admin, berlin(2026, 3, 24, 23, 0)) == 0
    assert stored() == "active"
    assert persist_statuses(admin, berlin(2026, 3, 26, 3, 0)) == 1
    assert stored() == "paused"
    assert persist_statuses(admin, berlin(2026, 3, 26, 4, 0)) == 0  # nothing twice
    assert persist_statuses(admin, berlin(2026, 4, 2, 3, 0)) == 1
    assert stored() == "active"
    with db.reading() as s:
        trail = [(a.action, a.after) for a in s.scalars(select(AuditRecord).where(
            AuditRecord.entity == "access", AuditRecord.action == "status")
            .order_by(AuditRecord.id))]
    assert trail == [("status", {"status": "paused"}), ("status", {"status": "active"})]
