"""Demo data: bulk-generated contacts are complete, unique and searchable; the hand-picked seed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from core.errors import DatabaseError, PermissionDenied
from core.models import AuditRecord, Contact
from core.schemas.common import Window
from core.services import contacts
from core.services.demo import HANDPICKED, fake_contact_rows, generate_contacts, seed_demo
from core.services.operators import sign_in


def _fts_trigger_exists(db) -> bool:
    with db.engine.connect() as conn:
        return conn.execute(text(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
            "AND name = 'contacts_fts_ai'")).scalar() == 1


def test_generate_contacts_inserts_n_searchable_rows_with_unique_emails(db, admin):
    total = generate_contacts(admin, 250, chunk=100)
    assert total == 250
    with db.reading() as s:
        rows = s.execute(select(Contact.email, Contact.email_key, Contact.name,
                                Contact.sort_key, Contact.search_doc, Contact.phone,
                                Contact.row_version, Contact.created_at)).all()
    assert len(rows) == 250
    assert len({r.email_key for r in rows}) == 250
    for r in rows:
        assert r.email_key == r.email.lower() and r.sort_key == r.name.lower()
        assert r.search_doc == contacts.search_document(r.name, r.email, r.phone)
        assert r.row_version == 1 and r.created_at.tzinfo is not None
    # searchable through the trigram index, by name, email and phone digits
    sample = rows[137]
    digits = "".join(ch for ch in sample.phone if ch.isdigit())
    for q in (sample.email, sample.name, digits[-7:], sample.phone):
        found = contacts.list_contacts(admin, q, Window(limit=500))
        assert sample.email in [r.email for r in found], q
        assert contacts.count_contacts(admin, q) == len(found)
    if db.dialect == "sqlite":
        assert _fts_trigger_exists(db)
        with db.engine.connect() as conn:
            indexed = conn.execute(text(
                "SELECT count(*) FROM contacts_fts WHERE contacts_fts MATCH '\"web.de\"'"
            )).scalar()
        assert indexed == sum(1 for r in rows if "web.de" in r.search_doc)


def test_contacts_created_after_a_bulk_load_are_still_indexed(db, admin):
    generate_contacts(admin, 120, chunk=50)
    c = contacts.create_contact(admin, {"name": "Zebulon Quirk", "email": "zq@example.org",
                                        "phone": "+49 40 9988776"})
    assert [r.id for r in contacts.list_contacts(admin, "quirk")] == [c.id]
    assert [r.id for r in contacts.list_contacts(admin, "9988776")] == [c.id]
    assert generate_contacts(admin, 30) == 151
    assert contacts.count_contacts(admin) == 151
    with db.reading() as s:
        assert s.scalar(select(func.count(func.distinct(Contact.email_key)))) == 151


def test_generate_contacts_is_audited_once_and_needs_write_permission(db, admin, viewer):
    with pytest.raises(PermissionDenied):
        generate_contacts(viewer, 10)
    assert contacts.count_contacts(admin) == 0
    generate_contacts(admin, 10)
    with db.reading() as s:
        recs = list(s.scalars(select(AuditRecord).where(AuditRecord.action == "generate_demo")))
    assert [(r.operator, r.after) for r in recs] == [("admin", {"count": 10})]


def test_a_failed_bulk_load_leaves_the_search_index_trigger_in_place(sqlite_db):
    ctx = sign_in(sqlite_db, "admin")
    # The generator is deterministic: take an address it is about to produce.
    clash = fake_contact_rows(60, start=1)[42][2]
    contacts.create_contact(ctx, {"name": "Early Bird", "email": clash})
    with pytest.raises(DatabaseError, match="would repeat an email address"):
        generate_contacts(ctx, 60)
    assert _fts_trigger_exists(sqlite_db)
    assert contacts.count_contacts(ctx) == 1  # the failed chunk left nothing behind
    c = contacts.create_contact(ctx, {"name": "Late Owl", "email": "owl@example.org"})
    assert [r.id for r in contacts.list_contacts(ctx, "late owl")] == [c.id]


def test_seed_demo_creates_the_hand_picked_contacts_with_an_audit_history(db, admin):
    seed_demo(admin, 40)
    assert contacts.count_contacts(admin) == len(HANDPICKED) + 40
    for data in HANDPICKED:
        [row] = contacts.list_contacts(admin, data["email"])
        card = contacts.get_contact(admin, row.id)
        assert (card.name, card.phone, card.tags, card.notes) == (
            data["name"], data["phone"], data["tags"], data["notes"])
        history = contacts.contact_history(admin, row.id)
        assert [(e.action, e.operator) for e in history] == [("create", "admin")]
        assert history[0].after["email"] == data["email"]
    assert "Anna Müller" in [r.name for r in contacts.list_contacts(admin, "anna müll",
                                                                     Window(limit=500))]
    assert [r.name for r in contacts.list_contacts(admin, "+49 30 123")] == ["Anna Müller"]


def test_demo_data_at_a_given_moment(admin):
    """`now` (the CLI's --at): the audit record is then, every contact and plan before it."""
    from datetime import UTC, datetime, timedelta

    from core.services import audit, plan_catalogue
    from core.services.demo import generate_plans

    moment = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
    generate_contacts(admin, 30, now=moment)
    generate_plans(admin, 10, now=moment)
    for entity in ("contact", "plan"):
        (entry,) = audit.history(admin, entity, "*")
        assert entry.at == moment
    created = [c.created_at for c in contacts.list_contacts(admin, "", Window(limit=50))]
    assert len(created) == 30
    assert all(moment - timedelta(days=4 * 366) <= c <= moment for c in created)
    rows = plan_catalogue.list_plans_window(admin, window=Window(limit=50))
    assert rows and all(r.created <= moment for r in rows)
