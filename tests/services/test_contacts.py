"""Contacts: validation, versions, audit, roles, search and keyset windows (SQLite + PostgreSQL)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.models import AuditRecord, Contact
from core.schemas.common import Window
from core.services import contacts as svc
from core.services.demo import generate_contacts
from core.services.operators import get_operator, sign_in, update_operator

ANNA = {"name": "Anna Müller", "email": "anna.mueller@example.de", "phone": "+49 30 1234567",
        "language": "de", "tags": ["vip", "newsletter"], "notes": "prefers phone calls"}


def _contact_count(db) -> int:
    with db.reading() as s:
        return s.scalar(select(func.count()).select_from(Contact))


def _audit(db, entity: str = "contact") -> list[AuditRecord]:
    with db.reading() as s:
        return list(s.scalars(select(AuditRecord).where(AuditRecord.entity == entity)
                              .order_by(AuditRecord.id)))


# --- create, validation, uniqueness ------------------------------------------------------

def test_create_stores_the_contact_and_audits_it(db, admin):
    c = svc.create_contact(admin, {**ANNA, "email": "  Anna.Mueller@Example.de ",
                                   "language": "DE", "tags": "vip, newsletter, vip,"})
    assert c.version == 1 and c.updated_by == "admin"
    got = svc.get_contact(admin, c.id)
    assert (got.name, got.email, got.phone, got.language, got.tags, got.notes) == (
        "Anna Müller", "Anna.Mueller@Example.de", "+49 30 1234567", "de",
        ["vip", "newsletter"], "prefers phone calls")
    [rec] = _audit(db)
    assert (rec.operator, rec.action, rec.entity_id, rec.before) == (
        "admin", "create", str(c.id), None)
    assert rec.after["email"] == "Anna.Mueller@Example.de"


def test_invalid_input_gives_a_message_per_field_and_writes_nothing(db, admin):
    svc.create_contact(admin, ANNA)
    audits = len(_audit(db))
    bad = {"name": "   ", "email": "anna@@example", "phone": "call me",
           "language": "deutsch", "tags": ["x" * 41]}
    with pytest.raises(ValidationFailed) as err:
        svc.create_contact(admin, bad)
    assert set(err.value.fields) == {"name", "email", "phone", "language", "tags"}
    assert all(msg.strip() for msg in err.value.fields.values())
    assert "anna@@example" in err.value.fields["email"]
    assert "40" in err.value.fields["tags"]
    assert _contact_count(db) == 1
    assert len(_audit(db)) == audits


@pytest.mark.parametrize("field,value", [
    ("email", "no-at-sign.example.de"), ("email", "a b@example.de"),
    ("email", "anna@example..de"), ("email", ""), ("name", ""), ("phone", "12"),
    ("phone", "+49 abc"), ("language", "d"), ("language", "de-DEU"),
    ("tags", ["ok", "y" * 41]), ("name", "n" * 201),
])
def test_each_invalid_field_is_refused_alone(sqlite_db, field, value):
    ctx = sign_in(sqlite_db, "admin")
    with pytest.raises(ValidationFailed) as err:
        svc.create_contact(ctx, {**ANNA, field: value})
    assert list(err.value.fields) == [field]
    assert _contact_count(sqlite_db) == 0


def test_validate_contact_alone_checks_without_writing(sqlite_db):
    assert svc.validate_contact(ANNA).email == ANNA["email"]
    with pytest.raises(ValidationFailed):
        svc.validate_contact({"name": "x"})  # email missing
    assert _contact_count(sqlite_db) == 0


def test_duplicate_email_is_refused_on_create_whatever_the_case(db, admin):
    svc.create_contact(admin, ANNA)
    audits = len(_audit(db))
    with pytest.raises(ValidationFailed) as err:
        svc.create_contact(admin, {**ANNA, "name": "Other", "email": "ANNA.Mueller@example.DE"})
    assert list(err.value.fields) == ["email"]
    assert _contact_count(db) == 1 and len(_audit(db)) == audits


def test_duplicate_email_is_refused_on_update_but_own_email_in_other_case_is_fine(db, admin):
    svc.create_contact(admin, ANNA)
    other = svc.create_contact(admin, {"name": "Ben", "email": "ben@example.de"})
    with pytest.raises(ValidationFailed) as err:
        svc.update_contact(admin, other.id, {"name": "Ben", "email": "anna.MUELLER@example.de"},
                           expected_version=other.version)
    assert list(err.value.fields) == ["email"]
    assert svc.get_contact(admin, other.id).version == other.version
    renamed = svc.update_contact(admin, other.id, {"name": "Ben", "email": "BEN@example.de"},
                                 expected_version=other.version)
    assert renamed.email == "BEN@example.de" and renamed.version == other.version + 1


# --- update, versions, delete ------------------------------------------------------------

def test_update_writes_an_audit_record_with_before_and_after(db, admin, agent):
    c = svc.create_contact(admin, ANNA)
    new = svc.update_contact(agent, c.id, {**ANNA, "phone": "+49 30 7654321", "tags": ["vip"]},
                             expected_version=c.version)
    assert new.version == c.version + 1 and new.updated_by == "agent"
    rec = _audit(db)[-1]
    assert (rec.operator, rec.action, rec.entity_id) == ("agent", "update", str(c.id))
    assert rec.before["phone"] == "+49 30 1234567" and rec.after["phone"] == "+49 30 7654321"
    assert rec.before["tags"] == ["vip", "newsletter"] and rec.after["tags"] == ["vip"]
    # the new phone is what the search finds now, the old one is gone
    assert [r.id for r in svc.list_contacts(admin, "7654321")] == [c.id]
    assert svc.list_contacts(admin, "1234567") == []


def test_update_without_changes_writes_no_audit_and_keeps_the_version(db, admin):
    c = svc.create_contact(admin, ANNA)
    audits = len(_audit(db))
    same = svc.update_contact(admin, c.id, {**ANNA, "name": " Anna Müller "},
                              expected_version=c.version)
    assert same.version == c.version
    assert svc.get_contact(admin, c.id).version == c.version
    assert len(_audit(db)) == audits


def test_update_with_stale_version_is_refused_naming_who_changed_it_and_writes_nothing(
        db, admin, agent):
    c = svc.create_contact(admin, ANNA)
    svc.update_contact(agent, c.id, {**ANNA, "notes": "agent was here"},
                       expected_version=c.version)
    audits = len(_audit(db))
    with pytest.raises(Conflict) as err:
        svc.update_contact(admin, c.id, {**ANNA, "notes": "admin overwrites"},
                           expected_version=c.version)
    assert err.value.changed_by == "agent" and "agent" in str(err.value)
    assert err.value.changed_at is not None
    now = svc.get_contact(admin, c.id)
    assert now.notes == "agent was here" and now.version == c.version + 1
    assert len(_audit(db)) == audits


def test_update_and_delete_of_a_missing_contact_raise_not_found(db, admin):
    with pytest.raises(NotFound):
        svc.update_contact(admin, 999, ANNA, expected_version=1)
    with pytest.raises(NotFound):
        svc.delete_contact(admin, 999, expected_version=1)
    with pytest.raises(NotFound):
        svc.get_contact(admin, 999)


def test_delete_with_current_version_removes_the_contact_and_audits_what_it_was(db, admin):
    c = svc.create_contact(admin, ANNA)
    c2 = svc.update_contact(admin, c.id, {**ANNA, "notes": "x"}, expected_version=c.version)
    with pytest.raises(Conflict):
        svc.delete_contact(admin, c.id, expected_version=c.version)
    assert _contact_count(db) == 1
    svc.delete_contact(admin, c.id, expected_version=c2.version)
    assert _contact_count(db) == 0
    rec = _audit(db)[-1]
    assert (rec.action, rec.after, rec.before["email"]) == ("delete", None, ANNA["email"])
    assert [e.action for e in svc.contact_history(admin, c.id)] == ["delete", "update", "create"]
    assert svc.list_contacts(admin, "müller") == [] and svc.count_contacts(admin, "müller") == 0
    # the address is free again
    svc.create_contact(admin, ANNA)


def test_delete_is_refused_while_a_guard_names_a_reason(db, admin, monkeypatch):
    c = svc.create_contact(admin, ANNA)
    other = svc.create_contact(admin, {"name": "Ben", "email": "ben@example.de"})
    seen = []

    def guard(session, contact_id):
        seen.append(contact_id)
        return "holds 2 active orders" if contact_id == c.id else None

    monkeypatch.setattr(svc, "DELETE_GUARDS", [*svc.DELETE_GUARDS, guard])
    audits = len(_audit(db))
    with pytest.raises(ValidationFailed) as err:
        svc.delete_contact(admin, c.id, expected_version=c.version)
    assert "holds 2 active orders" in str(err.value)
    assert _contact_count(db) == 2 and len(_audit(db)) == audits
    svc.delete_contact(admin, other.id, expected_version=other.version)
    assert seen == [c.id, other.id] and _contact_count(db) == 1


# --- roles ---------------------------------------------------------------------------------

def test_viewer_can_read_but_cannot_create_update_or_delete(db, admin, viewer):
    c = svc.create_contact(admin, ANNA)
    audits = len(_audit(db))
    with pytest.raises(PermissionDenied) as err:
        svc.create_contact(viewer, {"name": "Ben", "email": "ben@example.de"})
    assert "viewer" in str(err.value)
    with pytest.raises(PermissionDenied):
        svc.update_contact(viewer, c.id, {**ANNA, "notes": "x"}, expected_version=c.version)
    with pytest.raises(PermissionDenied):
        svc.delete_contact(viewer, c.id, expected_version=c.version)
    assert _contact_count(db) == 1 and len(_audit(db)) == audits
    assert svc.get_contact(viewer, c.id).notes == ANNA["notes"]
    assert [r.id for r in svc.list_contacts(viewer, "anna")] == [c.id]
    assert svc.count_contacts(viewer) == 1
    assert [e.action for e in svc.contact_history(viewer, c.id)] == ["create"]


def test_agent_can_create_update_and_delete(db, agent):
    c = svc.create_contact(agent, ANNA)
    c = svc.update_contact(agent, c.id, {**ANNA, "notes": "x"}, expected_version=c.version)
    svc.delete_contact(agent, c.id, expected_version=c.version)
    assert [r.operator for r in _audit(db)] == ["agent"] * 3


def test_a_deactivated_operator_is_a_viewer(db, admin, agent):
    c = svc.create_contact(agent, ANNA)
    op = get_operator(admin, "agent")
    update_operator(admin, "agent", {"role": "agent", "active": False},
                    expected_version=op.version)
    with pytest.raises(PermissionDenied):
        svc.update_contact(agent, c.id, {**ANNA, "notes": "x"}, expected_version=c.version)
    assert sign_in(db, "agent").role == "viewer"
    assert svc.get_contact(agent, c.id).notes == ANNA["notes"]


def test_an_unknown_login_is_a_viewer(db, admin):
    stranger = sign_in(db, "stranger")
    with pytest.raises(PermissionDenied):
        svc.create_contact(stranger, ANNA)


# --- search -------------------------------------------------------------------------------

PEOPLE = [
    ANNA,
    {"name": "Giulia De Luca", "email": "giulia.deluca@example.it", "phone": "+39 06 7654321"},
    {"name": "Dennis Lucas", "email": "dennis@lucas.example.org", "phone": ""},
    {"name": "Oliver Smith", "email": "oliver.smith@example.org", "phone": "+44 20 7946 0958"},
    {"name": "Andreas Schäfer", "email": "andreas@web.de", "phone": "(030) 555 0101"},
    {"name": "Max_Power", "email": "max_power@example.com", "phone": ""},
    {"name": "Maxi Power", "email": "maxipower@example.com", "phone": ""},
    {"name": "100% Natural GmbH", "email": "info@natural.example", "phone": ""},
    {"name": "Studio 1000", "email": "studio1000@example.com", "phone": ""},
    {"name": "Lena Schmidt", "email": "lena.schmidt@gmx.de", "phone": "+49 151 2223334"},
    {"name": 'Quote "Q" Quinn', "email": "quinn@example.com", "phone": ""},
]

SEARCHES = {
    "müll": ["Anna Müller"],
    "MÜLLER": ["Anna Müller"],
    "schäf": ["Andreas Schäfer"],
    "anna müller": ["Anna Müller"],
    "müller anna": ["Anna Müller"],
    "mueller@": ["Anna Müller"],
    "example.it": ["Giulia De Luca"],
    "1234567": ["Anna Müller"],
    "+49 30 123": ["Anna Müller"],
    "+49 30 1234567": ["Anna Müller"],
    "7946 0958": ["Oliver Smith"],
    "555-0101": ["Andreas Schäfer"],
    "a": ["Andreas Schäfer", "Anna Müller"],
    "an": ["Andreas Schäfer", "Anna Müller"],
    "G": ["Giulia De Luca"],
    "de luca": ["Giulia De Luca"],
    "De  Luca ": ["Giulia De Luca"],
    "luca": ["Dennis Lucas", "Giulia De Luca"],
    "zzzzqx": [],
    "x_p": ["Max_Power"],
    "_": [],
    "%": [],
    "100%": ["100% Natural GmbH"],
    "%natural": [],
    '"q"': ['Quote "Q" Quinn'],
    '"': [],
    '"anna': [],
    "*": [],
    "mül*": [],
    "anna AND": [],
    "AND": ["Andreas Schäfer"],
    "(": [],
    "((anna": [],
    "anna OR lena": [],
    "NEAR(anna lena)": [],
    "-anna": [],
    "^anna": [],
    "name:anna": [],
    "\\": [],
    "'; drop table contacts; --": [],
}


@pytest.fixture
def people(db, admin):
    return {p["name"]: svc.create_contact(admin, p).id for p in PEOPLE}


def test_search_finds_by_name_email_phone_and_matches_special_characters_literally(
        admin, people):
    got = {q: sorted(r.name for r in svc.list_contacts(admin, q)) for q in SEARCHES}
    assert got == {q: sorted(names) for q, names in SEARCHES.items()}
    counts = {q: svc.count_contacts(admin, q) for q in SEARCHES}
    assert counts == {q: len(names) for q, names in SEARCHES.items()}


def test_empty_search_lists_everyone_in_name_order(admin, people):
    rows = svc.list_contacts(admin, "  ")
    assert [r.name for r in rows] == sorted((p["name"] for p in PEOPLE), key=str.lower)
    assert svc.count_contacts(admin) == len(PEOPLE)
    anna = next(r for r in rows if r.name == "Anna Müller")
    assert anna.tags == ["vip", "newsletter"] and anna.created_at.tzinfo is not None


def _independent_match(contact: dict, query: str) -> bool:
    """The documented search rules, written out over plain Python strings."""
    q = query.strip().lower()
    if not q:
        return True
    phone = contact.get("phone") or ""
    digits = re.sub(r"\D", "", phone)
    doc = " ".join(p for p in (contact["name"].lower(), contact["email"].lower(), phone.lower(),
                               digits) if p)
    if re.fullmatch(r"[+0-9 ()/.-]+", q) and sum(ch.isdigit() for ch in q) >= 3:
        return re.sub(r"\D", "", q) in doc
    words = q.split()
    if len(words) > 1 and any(len(w) < 3 for w in words):
        return " ".join(words) in doc
    if all(len(w) < 3 for w in words):
        return contact["name"].lower().startswith(" ".join(words))
    return all(w in doc for w in words)


def test_search_results_agree_with_the_rules_written_out_in_python(admin, people):
    for q in SEARCHES:
        want = sorted(p["name"] for p in PEOPLE if _independent_match(p, q))
        assert sorted(r.name for r in svc.list_contacts(admin, q)) == want, q


# --- windows -------------------------------------------------------------------------------

def _walk_forward(ctx, q, n):
    out, page = [], svc.list_contacts(ctx, q, Window(limit=n))
    while page:
        out += page
        page = svc.list_contacts(ctx, q, Window(after=page[-1].key, limit=n))
    return out


def _walk_backward(ctx, q, n):
    out, page = [], svc.list_contacts(ctx, q, Window(from_end=True, limit=n))
    while page:
        out = page + out
        page = svc.list_contacts(ctx, q, Window(before=page[0].key, limit=n))
    return out


def _walk_offsets(ctx, q, n, total):
    out = []
    for k in range(0, total + n, n):
        out += svc.list_contacts(ctx, q, Window(offset=k, limit=n))
    return out


def _assert_windows_agree(ctx, q, n=37):
    whole = svc.list_contacts(ctx, q, Window(limit=500))
    total = svc.count_contacts(ctx, q)
    assert total == len(whole) and len(whole) < 500
    ids = [r.id for r in whole]
    assert len(set(ids)) == len(ids)
    assert [r.id for r in _walk_forward(ctx, q, n)] == ids
    assert [r.id for r in _walk_backward(ctx, q, n)] == ids
    assert [r.id for r in _walk_offsets(ctx, q, n, total)] == ids
    # the last window and a window in the middle, both ways round
    assert [r.id for r in svc.list_contacts(ctx, q, Window(from_end=True, limit=n))] == (
        ids[-n:])
    if len(whole) > 2 * n:
        mid = whole[n]
        assert [r.id for r in svc.list_contacts(ctx, q, Window(after=mid.key, limit=n))] == (
            ids[n + 1:2 * n + 1])
        assert [r.id for r in svc.list_contacts(ctx, q, Window(before=mid.key, limit=n))] == (
            ids[:n])
    return whole


@pytest.fixture
def crowd(db, admin):
    for p in PEOPLE:
        svc.create_contact(admin, p)
    generate_contacts(admin, 300)
    return admin


@pytest.mark.parametrize("query", ["", "m", "ma", "mül", ".de", "example", "anna müller",
                                   "+49 1"])
def test_keyset_windows_forward_backward_and_by_offset_agree_with_one_big_list(crowd, query):
    whole = _assert_windows_agree(crowd, query, n=37 if query == "" else 7)
    if query in ("", "m", ".de", "+49 1"):  # several pages at least
        assert len(whole) > 2 * (37 if query == "" else 7)
    keys = [(r.name.lower(), r.id) for r in whole]
    assert keys == sorted(keys)
    assert all(r.key[0] == svc.NAME_ORDER for r in whole)
    assert svc.result_order(crowd, query) == svc.NAME_ORDER


def test_count_equals_the_length_of_all_pages(crowd):
    for q in ("", "a", "mül", "gmail", "de luca", "nobody-like-this"):
        assert svc.count_contacts(crowd, q) == len(_walk_forward(crowd, q, 50)), q


def test_large_result_sets_come_newest_first_and_keys_carry_the_order(crowd, monkeypatch):
    monkeypatch.setattr(svc, "SORT_MATCHES_LIMIT", 20)
    assert svc.result_order(crowd, ".de") == svc.NEWEST_FIRST
    whole = _assert_windows_agree(crowd, ".de", n=13)
    assert len(whole) > 40
    ids = [r.id for r in whole]
    assert ids == sorted(ids, reverse=True)
    assert all(r.key == (svc.NEWEST_FIRST, r.id) for r in whole)
    assert all(".de" in r.email.lower() for r in whole)
    # a short prefix or an empty query is always name order; a small result set too
    assert svc.result_order(crowd, "ma") == svc.NAME_ORDER
    assert svc.result_order(crowd, "") == svc.NAME_ORDER
    assert svc.result_order(crowd, "de luca") in (svc.NAME_ORDER, svc.NEWEST_FIRST)
    small = svc.list_contacts(crowd, "anna müller")
    assert 0 < len(small) <= 20 and all(r.key[0] == svc.NAME_ORDER for r in small)
    # a key taken in newest-first order keeps that order even once the threshold moves
    monkeypatch.setattr(svc, "SORT_MATCHES_LIMIT", 100_000)
    nxt = svc.list_contacts(crowd, ".de", Window(after=whole[9].key, limit=5))
    assert [r.id for r in nxt] == ids[10:15]


# --- property ------------------------------------------------------------------------------

QUERY_ALPHABET = "anemülrsdiouäß" + "ANMÜ" + "0123456789" + " %_\"*()+-.@:^'\\"
queries = st.one_of(
    st.text(alphabet=QUERY_ALPHABET, max_size=10),
    st.sampled_from(["anna", "müller", "de luca", "+49", "gmx.de", "lena schmidt", "AND",
                     "OR", "NEAR", "NOT"]).flatmap(
        lambda w: st.tuples(st.just(w), st.text(alphabet=QUERY_ALPHABET, max_size=3))
        .map(lambda t: t[0] + t[1])),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=6),
)


def test_random_search_strings_never_raise_and_return_exactly_the_matching_rows(sqlite_db):
    ctx = sign_in(sqlite_db, "admin")
    for p in PEOPLE:
        svc.create_contact(ctx, p)
    generate_contacts(ctx, 120)
    everyone = [{"id": r.id, "name": r.name, "email": r.email, "phone": r.phone}
                for r in svc.list_contacts(ctx, "", Window(limit=500))]
    assert len(everyone) == len(PEOPLE) + 120

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(queries)
    def check(q):
        rows = svc.list_contacts(ctx, q, Window(limit=500))
        want = {c["id"] for c in everyone if _independent_match(c, q)}
        assert {r.id for r in rows} == want
        assert svc.count_contacts(ctx, q) == len(rows)

    check()


def test_random_search_strings_never_raise_on_either_database(db, admin, people):
    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(queries)
    def check(q):
        rows = svc.list_contacts(admin, q)
        assert sorted(r.name for r in rows) == sorted(
            p["name"] for p in PEOPLE if _independent_match(p, q))

    check()



# --- races and odd input -------------------------------------------------------------------

def test_a_save_by_someone_else_between_read_and_write_is_a_conflict(db, admin, agent,
                                                                     monkeypatch):
    c = svc.create_contact(admin, ANNA)
    real, fired = svc._email_taken, []

    def racing(session, email, except_id=None):
        if not fired:  # the agent saves while the admin's save is under way
            fired.append(True)
            svc.update_contact(agent, c.id, {**ANNA, "notes": "agent"},
                               expected_version=c.version)
        return real(session, email, except_id)

    monkeypatch.setattr(svc, "_email_taken", racing)
    audits = len(_audit(db))
    with pytest.raises(Conflict):
        svc.update_contact(admin, c.id, {**ANNA, "notes": "admin"}, expected_version=c.version)
    now = svc.get_contact(admin, c.id)
    assert (now.notes, now.version) == ("agent", c.version + 1)
    assert len(_audit(db)) == audits + 1  # only the agent's save


def test_a_save_between_read_and_delete_is_a_conflict(db, admin, agent, monkeypatch):
    c = svc.create_contact(admin, ANNA)

    def racing_guard(session, contact_id):
        svc.update_contact(agent, contact_id, {**ANNA, "notes": "agent"},
                           expected_version=c.version)

    monkeypatch.setattr(svc, "DELETE_GUARDS", [racing_guard])
    with pytest.raises(Conflict):
        svc.delete_contact(admin, c.id, expected_version=c.version)
    assert svc.get_contact(admin, c.id).notes == "agent"
    assert [r.action for r in _audit(db)] == ["create", "update"]


def test_an_address_taken_by_a_concurrent_create_is_a_field_error(db, admin, monkeypatch):
    first = svc.create_contact(admin, ANNA)
    other = svc.create_contact(admin, {"name": "Ben", "email": "ben@example.de"})
    monkeypatch.setattr(svc, "_email_taken", lambda *a, **k: False)  # the check raced
    with pytest.raises(ValidationFailed) as err:
        svc.create_contact(admin, {**ANNA, "email": ANNA["email"].upper()})
    assert list(err.value.fields) == ["email"]
    with pytest.raises(ValidationFailed) as err:
        svc.update_contact(admin, other.id, {"name": "Ben", "email": ANNA["email"]},
                           expected_version=other.version)
    assert list(err.value.fields) == ["email"]
    assert svc.count_contacts(admin) == 2 and len(_audit(db)) == 2
    assert svc.get_contact(admin, first.id).version == first.version


@pytest.mark.parametrize("tags", [5, 3.5, object()])
def test_tags_of_the_wrong_type_are_a_field_error(sqlite_db, tags):
    with pytest.raises(ValidationFailed) as err:
        svc.validate_contact({**ANNA, "tags": tags})
    assert list(err.value.fields) == ["tags"]


def test_a_name_at_the_length_limit_whose_lower_case_is_longer_is_stored(db, admin):
    name = "İ" * 200  # lower() makes two characters of each
    c = svc.create_contact(admin, {"name": name, "email": "long@example.de"})
    assert svc.get_contact(admin, c.id).name == name
    assert [r.id for r in svc.list_contacts(admin, "long@example")] == [c.id]
