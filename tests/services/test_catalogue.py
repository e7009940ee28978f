"""The catalogue service on SQLite and PostgreSQL: products with keyed lessons, bundles,
offers and their templates, roles, conflicts, audit, archive instead of delete, lists."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.lessons import lesson_states
from core.models import AuditRecord, Offer
from core.schemas.common import Window
from core.services import audit
from core.services import catalogue as cat
from core.services.demo_billing import DEMO_PLANS
from core.services.plans import create_plan

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def plans(admin):
    for p in DEMO_PLANS:
        create_plan(admin, p)


def course(handle="italiano", n=3, **extra):
    return {"handle": handle, "name": extra.pop("name", f"Corso {handle}"), "kind": "course",
            "lessons": [{"title": f"Lezione {i + 1}", "delay_days": i} for i in range(n)],
            **extra}


def one_time(handle="it-once", product="italiano", **extra):
    return {"handle": handle, "product": product, "name": extra.pop("name", "Una volta"),
            "payment": "one_time", "price": 4900, **extra}


def audit_count(db) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(AuditRecord))


# -- products and lessons ---------------------------------------------------------------------


def test_a_lesson_key_defaults_to_its_position(admin):
    p = cat.create_product(admin, course(n=3))
    assert [(x.key, x.position) for x in p.lessons] == [("1", 1), ("2", 2), ("3", 3)]
    assert p.lesson_count == 3 and p.version == 1


@pytest.mark.parametrize("bad, field", [
    ({"handle": "with space"}, "handle"),
    ({"name": "   "}, "name"),
    ({"name": "a\x1b[2Jb"}, "name"),
    ({"kind": "webinar"}, "kind"),
    ({"lessons": [{"title": "x", "delay_days": -1}]}, "lessons[0].delay_days"),
    ({"lessons": [{"title": "x", "delay_days": 2**31}]}, "lessons[0].delay_days"),
    ({"lessons": [{"title": "x", "open_on": "1900-01-01"}]}, "lessons[0].open_on"),
    ({"lessons": [{"title": "x", "open_on": "31.12.2026"}]}, "lessons[0].open_on"),
    ({"lessons": [{"title": "x", "checkpoint": "yes"}]}, "lessons[0].checkpoint"),
    ({"lessons": [{"title": "a", "key": "k"}, {"title": "b", "key": "k"}]}, "lessons[1].key"),
    ({"lessons": [{"title": "a", "key": "two words"}]}, "lessons[0].key"),
    ({"lessons": [{"title": "a", "colour": "red"}]}, "lessons[0].colour"),
])
def test_a_bad_product_names_the_field_and_writes_nothing(admin, db, bad, field):
    before = audit_count(db)
    with pytest.raises(ValidationFailed) as exc:
        cat.create_product(admin, {**course(), **bad})
    assert field in exc.value.fields, exc.value.fields
    assert audit_count(db) == before
    assert cat.count_products(admin) == 0


def test_reordering_lessons_keeps_their_keys_and_what_an_offer_opens(admin, db):
    cat.create_product(admin, course(n=4))
    o = cat.create_offer(admin, one_time(template={"open_lessons": {"only": [2, 4]}}))
    with db.reading() as session:
        stored = session.scalar(select(Offer.template).where(Offer.id == o.id))
    assert stored["open_lessons"] == {"only_keys": ["2", "4"]}
    p = cat.get_product(admin, "italiano")
    p = cat.reorder_lessons(admin, "italiano", ["4", "3", "2", "1"], expected_version=p.version)
    assert [x.key for x in p.lessons] == ["4", "3", "2", "1"]
    assert [x.title for x in p.lessons][0] == "Lezione 4"
    # The same two lessons, now at positions 1 and 3.
    assert cat.get_offer(admin, "it-once").template["open_lessons"] == {"only": [1, 3]}
    with db.reading() as session:
        t, lessons, keys = cat.offer_template(session, session.get(Offer, o.id))
    assert keys == ["4", "3", "2", "1"] and t.open_lessons.only == (1, 3)
    states = lesson_states(lessons, t, AT, at=AT, tz="Europe/Berlin")
    assert [s.state for s in states.lessons] == ["open", "not_in_tariff", "open",
                                                 "not_in_tariff"]


def test_move_lesson_and_an_edit_that_adds_and_removes_lessons(admin):
    cat.create_product(admin, course(n=3))
    p = cat.get_product(admin, "italiano")
    p = cat.move_lesson(admin, "italiano", "3", -5, expected_version=p.version)
    assert [x.key for x in p.lessons] == ["3", "1", "2"]
    lessons = [x.model_dump() for x in p.lessons if x.key != "1"]
    lessons.append({"title": "Nuova"})  # no key: the next free one
    p = cat.update_product(admin, "italiano", {"lessons": lessons},
                           expected_version=p.version)
    assert [x.key for x in p.lessons] == ["3", "2", "4"]
    assert p.lessons[-1].title == "Nuova" and p.lesson_count == 3


def test_a_lesson_an_offer_opens_cannot_be_removed(admin):
    cat.create_product(admin, course(n=3))
    cat.create_offer(admin, one_time(template={"open_lessons": {"only": [3]}}))
    p = cat.get_product(admin, "italiano")
    with pytest.raises(ValidationFailed) as exc:
        cat.update_product(admin, "italiano", {"lessons": [x.model_dump() for x in
                                                           p.lessons[:2]]},
                           expected_version=p.version)
    assert "it-once" in exc.value.fields["lessons"]


def test_an_edit_with_a_stale_version_is_a_conflict_and_nothing_is_lost(admin):
    cat.create_product(admin, course())
    p = cat.get_product(admin, "italiano")
    cat.update_product(admin, "italiano", {"name": "Primo"}, expected_version=p.version)
    with pytest.raises(Conflict) as exc:
        cat.update_product(admin, "italiano", {"name": "Secondo"}, expected_version=p.version)
    assert "admin" in str(exc.value)
    assert cat.get_product(admin, "italiano").name == "Primo"
    with pytest.raises(TypeError):
        cat.update_product(admin, "italiano", {"name": "x"}, expected_version=None)


def test_an_edit_that_changes_nothing_writes_nothing(admin, db):
    p = cat.create_product(admin, course())
    before = audit_count(db)
    same = cat.update_product(admin, "italiano", {"name": p.name},
                              expected_version=p.version)
    assert same.version == p.version and audit_count(db) == before


def test_every_write_is_audited_with_what_changed(admin):
    p = cat.create_product(admin, course())
    cat.update_product(admin, "italiano", {"name": "Nuovo nome"}, expected_version=p.version)
    entries = audit.history(admin, "product", p.id)
    assert [e.action for e in entries] == ["update", "create"]
    assert entries[0].before == {"name": "Corso italiano"}
    assert entries[0].after == {"name": "Nuovo nome"}


# -- bundles ------------------------------------------------------------------------------------


def test_a_bundle_is_made_of_products_and_unfolds_nested_bundles(admin, db):
    cat.create_product(admin, course("a"))
    cat.create_product(admin, course("b"))
    cat.create_product(admin, {"handle": "ab", "name": "A+B", "bundle_of": ["a", "b"]})
    cat.create_product(admin, course("c"))
    top = cat.create_product(admin, {"handle": "all", "name": "All",
                                     "bundle_of": ["ab", "c"]})
    assert top.is_bundle and top.bundle_of == ["ab", "c"]
    with db.reading() as session:
        ids = cat.bundle_products(session, top.id)
    assert [cat.get_product(admin, h).id for h in ("a", "b", "c")] == ids


def test_a_bundle_cannot_contain_itself_directly_or_through_another(admin):
    cat.create_product(admin, course("a"))
    with pytest.raises(ValidationFailed) as exc:
        cat.create_product(admin, {"handle": "x", "name": "X", "bundle_of": ["x"]})
    assert "bundle_of" in exc.value.fields
    cat.create_product(admin, {"handle": "b1", "name": "B1", "bundle_of": ["a"]})
    cat.create_product(admin, {"handle": "b2", "name": "B2", "bundle_of": ["b1"]})
    b1 = cat.get_product(admin, "b1")
    with pytest.raises(ValidationFailed) as exc:
        cat.update_product(admin, "b1", {"bundle_of": ["a", "b2"]},
                           expected_version=b1.version)
    assert "b1 → b2 → b1" in exc.value.fields["bundle_of"]
    with pytest.raises(ValidationFailed) as exc:
        cat.create_product(admin, {"handle": "y", "name": "Y", "bundle_of": ["nope"]})
    assert "nope" in exc.value.fields["bundle_of"]
    with pytest.raises(ValidationFailed) as exc:
        cat.create_product(admin, {**course("z"), "bundle_of": ["a"]})
    assert "lessons" in exc.value.fields


# -- offers ------------------------------------------------------------------------------------


def test_offers_of_every_payment_type(admin, plans):
    cat.create_product(admin, course())
    o = cat.create_offer(admin, one_time(vat="0.19", group={"min_seats": 2, "max_seats": 9}))
    assert (o.price, o.currency, o.vat, o.plan) == (4900, "EUR", "0.19", None)
    assert o.group.max_seats == 9
    s = cat.create_offer(admin, {"handle": "it-sub", "product": "italiano", "name": "Abo",
                                 "payment": "subscription", "plan": "gold-monthly"})
    assert (s.price, s.plan, s.currency) == (None, "gold-monthly", "EUR")
    i = cat.create_offer(admin, {"handle": "it-rate", "product": "italiano", "name": "Rate",
                                 "payment": "instalments", "plan": "coaching-6",
                                 "template": {"review": "curator", "duration":
                                              {"length": 6, "unit": "months"}}})
    assert i.template["review"] == "curator"


@pytest.mark.parametrize("bad, field", [
    ({"price": None}, "price"),
    ({"price": -1}, "price"),
    ({"price": 2**31}, "price"),
    ({"price": 10.5}, "price"),
    ({"plan": "gold-monthly"}, "plan"),
    ({"payment": "subscription", "price": None}, "plan"),
    ({"payment": "subscription", "price": None, "plan": "nope"}, "plan"),
    ({"payment": "subscription", "plan": "gold-monthly"}, "price"),
    ({"payment": "instalments", "price": None, "plan": "gold-monthly"}, "plan"),
    ({"payment": "barter"}, "payment"),
    ({"currency": "EURO"}, "currency"),
    ({"currency": "XYZ"}, "currency"),
    ({"vat": "19"}, "vat"),
    ({"vat": "0.123456"}, "vat"),
    ({"product": "nope"}, "product"),
    ({"group": {"min_seats": 0, "max_seats": 3}}, "group.min_seats"),
    ({"group": {"min_seats": 5, "max_seats": 3}}, "group.max_seats"),
    ({"template": {"release": "weekly"}}, "template.release"),
    ({"template": {"review": "teacher"}}, "template.review"),
    ({"template": {"open_lessons": {"only": [4]}}}, "template.open_lessons"),
    ({"template": {"open_lessons": {"first": -1}}}, "template.open_lessons"),
    ({"template": {"duration": {"length": 0, "unit": "days"}}}, "template.duration"),
    ({"template": {"colour": 1}}, "template.colour"),
])
def test_a_bad_offer_names_the_field_and_writes_nothing(admin, db, plans, bad, field):
    cat.create_product(admin, course())
    before = audit_count(db)
    with pytest.raises(ValidationFailed) as exc:
        cat.create_offer(admin, {**one_time(), **bad})
    assert field in exc.value.fields, exc.value.fields
    assert audit_count(db) == before and cat.count_offers(admin) == 0


def test_a_recurring_offer_bills_in_its_plans_currency(admin, plans):
    cat.create_product(admin, course())
    with pytest.raises(ValidationFailed) as exc:
        cat.create_offer(admin, {"handle": "s", "product": "italiano", "name": "S",
                                 "payment": "subscription", "plan": "gold-monthly",
                                 "currency": "CHF"})
    assert "EUR" in exc.value.fields["currency"]


def test_offer_edit_conflict_and_no_change(admin, db):
    cat.create_product(admin, course())
    o = cat.create_offer(admin, one_time())
    o2 = cat.update_offer(admin, "it-once", {"price": 5900}, expected_version=o.version)
    assert o2.price == 5900 and o2.version == o.version + 1
    with pytest.raises(Conflict):
        cat.update_offer(admin, "it-once", {"price": 6900}, expected_version=o.version)
    before = audit_count(db)
    same = cat.update_offer(admin, "it-once", {"price": 5900}, expected_version=o2.version)
    assert same.version == o2.version and audit_count(db) == before


# -- roles -------------------------------------------------------------------------------------


def test_admins_edit_agents_and_viewers_read(admin, agent, viewer):
    cat.create_product(admin, course())
    cat.create_offer(admin, one_time())
    for ctx in (agent, viewer):
        assert cat.get_product(ctx, "italiano").allowed_actions["edit"] is not None
        assert cat.catalogue_actions(ctx)["new"] is not None
        assert [r.handle for r in cat.list_offers(ctx)] == ["it-once"]
        with pytest.raises(PermissionDenied):
            cat.create_product(ctx, course("x"))
        with pytest.raises(PermissionDenied):
            cat.update_offer(ctx, "it-once", {"price": 1}, expected_version=1)
        with pytest.raises(PermissionDenied):
            cat.import_catalogue(ctx, {"products": []})
    assert cat.get_product(admin, "italiano").allowed_actions["edit"] is None
    assert cat.catalogue_actions(admin)["new"] is None


# -- archive instead of delete -----------------------------------------------------------------


def test_an_unreferenced_product_is_deleted_a_referenced_one_archived(admin):
    cat.create_product(admin, course("free"))
    assert cat.delete_product(admin, "free").outcome == "deleted"
    with pytest.raises(NotFound):
        cat.get_product(admin, "free")
    cat.create_product(admin, course())
    cat.create_offer(admin, one_time())
    removed = cat.delete_product(admin, "italiano")
    assert removed.outcome == "archived" and "offers" in removed.reason
    p = cat.get_product(admin, "italiano")
    assert p.archived and p.allowed_actions["edit"] is not None
    assert cat.list_products(admin) == [] and cat.count_products(admin) == 0
    assert cat.count_products(admin, include_archived=True) == 1
    with pytest.raises(ValidationFailed):
        cat.create_offer(admin, one_time("other"))
    p = cat.unarchive_product(admin, "italiano")
    assert not p.archived
    assert cat.delete_offer(admin, "it-once").outcome == "deleted"
    assert cat.delete_product(admin, "italiano").outcome == "deleted"


# -- lists -------------------------------------------------------------------------------------


def test_product_list_is_windowed_by_name_and_searched_by_fragment(admin):
    for i in range(25):
        cat.create_product(admin, course(f"p{i:02d}", n=1, name=f"Kurs {i:02d} Ärger"))
    cat.create_product(admin, course("cucina", n=1, name="Cucina italiana"))
    assert cat.count_products(admin) == 26
    first = cat.list_products(admin, "", Window(limit=10))
    nxt = cat.list_products(admin, "", Window(after=first[-1].key, limit=10))
    back = cat.list_products(admin, "", Window(before=nxt[0].key, limit=10))
    assert [r.handle for r in back] == [r.handle for r in first]
    last = cat.list_products(admin, "", Window(from_end=True, limit=6))
    assert [r.handle for r in last][-1] == "p24"
    everything = [r.handle for r in cat.list_products(admin, "", Window(limit=100))]
    assert everything[0] == "cucina" and len(everything) == 26
    assert [r.handle for r in cat.list_products(admin, "ITAL")] == ["cucina"]
    assert cat.count_products(admin, "ärger 1") == 12  # 01, 10–19, 21
    assert [r.handle for r in cat.list_products(admin, "p03")] == ["p03"]
    assert cat.list_products(admin, "100%_") == []


def test_offer_list_filters_by_product_and_payment(admin, plans):
    cat.create_product(admin, course("a"))
    cat.create_product(admin, course("b"))
    cat.create_offer(admin, one_time("a1", "a", name="Alpha once"))
    cat.create_offer(admin, one_time("b1", "b", name="Beta once"))
    cat.create_offer(admin, {"handle": "a2", "product": "a", "name": "Alpha abo",
                             "payment": "subscription", "plan": "gold-monthly"})
    assert [r.handle for r in cat.list_offers(admin, product="a")] == ["a2", "a1"]
    assert [r.handle for r in cat.list_offers(admin, payment="one_time")] == ["a1", "b1"]
    assert cat.count_offers(admin, "alpha", product="a", payment="subscription") == 1
    assert cat.list_offers(admin, "beta")[0].product_name == "Corso b"
    with pytest.raises(ValidationFailed):
        cat.list_offers(admin, product="nope")


# -- import / export ---------------------------------------------------------------------------


def test_export_then_import_is_a_no_op(admin, db, plans):
    from core.services.demo_catalogue import seed_catalogue_demo

    report = seed_catalogue_demo(admin, now=AT)
    assert len(report.created) == 20
    doc = cat.export_catalogue(admin)
    versions = {r.handle: cat.get_product(admin, r.handle).version
                for r in cat.list_products(admin)}
    before = audit_count(db)
    again = cat.import_catalogue(admin, doc)
    assert again.created == [] and again.updated == [] and len(again.unchanged) == 20
    assert audit_count(db) == before
    assert versions == {r.handle: cat.get_product(admin, r.handle).version
                        for r in cat.list_products(admin)}
    assert cat.export_catalogue(admin) == doc
    big = cat.get_product(admin, "deutsch-a1")
    assert big.lesson_count == 300


def test_import_is_all_or_nothing_with_a_path_per_rejected_object(admin, db, plans):
    good = course("ok")
    doc = {"products": [good, {**course("bad"), "lessons": [{"delay_days": "3"}]},
                        {"handle": "ok", "name": "Twice"}],
           "offers": [one_time("o1", "ok"), one_time("o2", "missing"),
                      {"handle": "o3", "product": "ok", "name": "R",
                       "payment": "instalments", "plan": "gold-monthly"}]}
    before = audit_count(db)
    with pytest.raises(ValidationFailed) as exc:
        cat.import_catalogue(admin, doc)
    fields = exc.value.fields
    assert {"products[1].lessons[0].delay_days", "products[2].handle", "offers[1].product",
            "offers[2].plan"} <= set(fields), fields
    assert cat.count_products(admin) == 0 and audit_count(db) == before


def test_import_updates_by_handle_and_audits_only_what_changed(admin, plans):
    cat.import_catalogue(admin, {"products": [course()], "offers": [one_time()]})
    p = cat.get_product(admin, "italiano")
    doc = cat.export_catalogue(admin)
    doc["offers"][0]["price"] = 7900
    report = cat.import_catalogue(admin, doc)
    assert report.updated == ["offer:it-once"] and report.unchanged == ["product:italiano"]
    assert cat.get_product(admin, "italiano").version == p.version
    assert cat.get_offer(admin, "it-once").price == 7900


def test_import_refuses_a_document_that_is_no_catalogue(admin):
    for payload in ([], "x", {"products": {}}, {"wares": []}, {"products": [1]}):
        with pytest.raises(ValidationFailed):
            cat.import_catalogue(admin, payload)


def test_next_lesson_key_never_reuses_a_key():
    assert cat.next_lesson_key([]) == "1"
    assert cat.next_lesson_key(["1", "2", "x"]) == "4"
    assert cat.next_lesson_key(["7"]) == "8"


def test_the_open_on_date_round_trips(admin):
    cat.create_product(admin, {**course(n=0), "lessons": [{"title": "x",
                                                           "open_on": "2026-05-01"}]})
    assert cat.get_product(admin, "italiano").lessons[0].open_on == date(2026, 5, 1)


def test_an_export_with_archived_records_imports_as_a_no_op_but_no_change(admin):
    cat.create_product(admin, course())
    cat.create_offer(admin, one_time())
    cat.delete_product(admin, "italiano")  # archived: it has an offer
    cat.archive_offer(admin, "it-once")
    doc = cat.export_catalogue(admin, include_archived=True)
    assert [p["handle"] for p in doc["products"]] == ["italiano"]
    report = cat.import_catalogue(admin, doc)
    assert report.created == [] and report.updated == []
    doc["offers"][0]["price"] = 1
    doc["products"][0]["name"] = "Changed"
    with pytest.raises(ValidationFailed) as exc:
        cat.import_catalogue(admin, doc)
    assert {"products[0].handle", "offers[0].handle"} <= set(exc.value.fields)


def test_an_access_is_granted_from_an_offer_whose_template_names_lessons_by_key(admin, db):
    from core.models import Offer as OfferRow
    from core.services.accesses import grant
    from core.services.contacts import create_contact

    contact = create_contact(admin, {"name": "Giulia Rossi", "email": "giulia@example.it"})
    cat.create_product(admin, course(n=3))
    o = cat.create_offer(admin, one_time(template={
        "open_lessons": {"only": [1, 3]}, "duration": {"length": 30, "unit": "days"}}))
    with db.transaction() as session:
        access = grant(session, admin, contact_id=contact.id,
                       offer=session.get(OfferRow, o.id), starts_at=AT)
        assert access.ends_at is not None
