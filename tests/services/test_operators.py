"""Operators and roles: bootstrap admin, adding, role changes, the last admin, roles read live."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.models import AuditRecord, Operator
from core.services import contacts
from core.services.operators import (
    add_operator,
    get_operator,
    list_operators,
    sign_in,
    update_operator,
)


def _counts(db) -> tuple[int, int]:
    with db.reading() as s:
        return (s.scalar(select(func.count()).select_from(Operator)),
                s.scalar(select(func.count()).select_from(AuditRecord)))


def _audit(db) -> list[AuditRecord]:
    with db.reading() as s:
        return list(s.scalars(select(AuditRecord).where(AuditRecord.entity == "operator")
                              .order_by(AuditRecord.id)))


def test_first_operator_of_a_new_database_becomes_admin_and_that_is_audited(db):
    ctx = sign_in(db, "  alice ")
    assert (ctx.operator, ctx.role) == ("alice", "admin")
    [op] = list_operators(ctx)
    assert (op.login, op.role, op.active, op.version) == ("alice", "admin", True, 1)
    [rec] = _audit(db)
    assert (rec.operator, rec.action, rec.entity_id, rec.before) == (
        "alice", "bootstrap_admin", str(op.id), None)
    assert rec.after["role"] == "admin"
    # signing in again changes nothing
    assert sign_in(db, "alice").role == "admin"
    assert _counts(db) == (1, 1)


def test_second_unknown_login_is_a_viewer_and_nothing_is_written(db, admin):
    before = _counts(db)
    ctx = sign_in(db, "bob")
    assert ctx.role == "viewer" and not ctx.can("contacts.write") and ctx.can("read")
    assert _counts(db) == before
    with pytest.raises(NotFound):
        get_operator(admin, "bob")
    assert [o.login for o in list_operators(ctx)] == ["admin"]


def test_a_login_that_is_not_usable_is_refused_with_a_field_error(db):
    with pytest.raises(ValidationFailed) as err:
        sign_in(db, "not a login")
    assert list(err.value.fields) == ["login"]
    assert _counts(db) == (0, 0)


def test_admin_adds_operators_and_that_is_audited(db, admin):
    op = add_operator(admin, {"login": "carol", "name": "Carol C.", "role": "agent"})
    assert (op.login, op.name, op.role, op.active, op.version) == (
        "carol", "Carol C.", "agent", True, 1)
    assert sign_in(db, "carol").role == "agent"
    rec = _audit(db)[-1]
    assert (rec.operator, rec.action, rec.after["role"]) == ("admin", "create", "agent")
    assert add_operator(admin, {"login": "dave"}).role == "viewer"
    assert [o.login for o in list_operators(admin)] == ["admin", "carol", "dave"]


@pytest.mark.parametrize("data,field", [
    ({"login": "bad login"}, "login"), ({"login": ""}, "login"), ({"login": "x" * 65}, "login"),
    ({"login": "ok", "role": "superuser"}, "role"), ({}, "login"),
])
def test_adding_with_bad_input_gives_a_field_error_and_writes_nothing(db, admin, data, field):
    before = _counts(db)
    with pytest.raises(ValidationFailed) as err:
        add_operator(admin, data)
    assert field in err.value.fields
    assert _counts(db) == before


def test_adding_a_duplicate_login_gives_a_field_error(db, admin):
    add_operator(admin, {"login": "carol", "role": "agent"})
    before = _counts(db)
    with pytest.raises(ValidationFailed) as err:
        add_operator(admin, {"login": "carol", "role": "admin"})
    assert list(err.value.fields) == ["login"]
    with pytest.raises(ValidationFailed):
        add_operator(admin, {"login": "admin"})
    assert _counts(db) == before
    assert get_operator(admin, "carol").role == "agent"


def test_agents_and_viewers_cannot_add_or_change_operators(db, admin, agent, viewer):
    before = _counts(db)
    for ctx in (agent, viewer):
        with pytest.raises(PermissionDenied):
            add_operator(ctx, {"login": "mallory", "role": "admin"})
        with pytest.raises(PermissionDenied):
            update_operator(ctx, ctx.operator, {"role": "admin"},
                            expected_version=get_operator(admin, ctx.operator).version)
    assert _counts(db) == before
    assert get_operator(admin, "agent").role == "agent"


def test_role_update_checks_the_version(db, admin, agent):
    op = get_operator(admin, "agent")
    up = update_operator(admin, "agent", {"role": "viewer", "active": True},
                         expected_version=op.version)
    assert up.role == "viewer" and up.version == op.version + 1
    rec = _audit(db)[-1]
    assert (rec.action, rec.before["role"], rec.after["role"]) == ("update", "agent", "viewer")
    before = _counts(db)
    with pytest.raises(Conflict) as err:
        update_operator(admin, "agent", {"role": "admin", "active": True},
                        expected_version=op.version)
    assert err.value.changed_by == "admin" and "admin" in str(err.value)
    assert _counts(db) == before and get_operator(admin, "agent").role == "viewer"
    with pytest.raises(NotFound):
        update_operator(admin, "nobody", {"role": "agent"}, expected_version=1)


def test_update_keeps_what_is_not_given(db, admin, agent):
    op = get_operator(admin, "agent")
    op = update_operator(admin, "agent", {"active": False}, expected_version=op.version)
    assert (op.role, op.active) == ("agent", False)
    op = update_operator(admin, "agent", {"name": "Agent Smith"}, expected_version=op.version)
    assert (op.name, op.role, op.active) == ("Agent Smith", "agent", False)
    op = update_operator(admin, "agent", {"role": "admin"}, expected_version=op.version)
    assert (op.role, op.active) == ("admin", False)


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(db, admin):
    me = get_operator(admin, "admin")
    before = _counts(db)
    for change in ({"role": "agent"}, {"role": "viewer", "active": True},
                   {"role": "admin", "active": False}):
        with pytest.raises(ValidationFailed) as err:
            update_operator(admin, "admin", change, expected_version=me.version)
        assert "admin" in str(err.value)
    assert _counts(db) == before
    # an inactive second admin does not count …
    add_operator(admin, {"login": "root2", "role": "admin", "active": False})
    with pytest.raises(ValidationFailed):
        update_operator(admin, "admin", {"role": "agent"}, expected_version=me.version)
    # … an active one does
    r2 = get_operator(admin, "root2")
    update_operator(admin, "root2", {"role": "admin", "active": True},
                    expected_version=r2.version)
    assert update_operator(admin, "admin", {"role": "agent", "active": True},
                           expected_version=me.version).role == "agent"
    # now root2 is the last admin
    r2 = get_operator(admin, "root2")
    with pytest.raises(ValidationFailed):
        update_operator(sign_in(db, "root2"), "root2", {"role": "admin", "active": False},
                        expected_version=r2.version)


def test_role_changes_take_effect_on_the_next_write_within_an_existing_context(db, admin,
                                                                                agent):
    c = contacts.create_contact(agent, {"name": "Anna", "email": "anna@example.de"})
    op = get_operator(admin, "agent")
    op = update_operator(admin, "agent", {"role": "viewer", "active": True},
                         expected_version=op.version)
    assert agent.role == "agent"  # the context still remembers the old role …
    with pytest.raises(PermissionDenied):  # … but core reads the current one
        contacts.update_contact(agent, c.id, {"name": "Anna B", "email": "anna@example.de"},
                                expected_version=c.version)
    op = update_operator(admin, "agent", {"role": "admin", "active": True},
                         expected_version=op.version)
    assert add_operator(agent, {"login": "newbie"}).role == "viewer"
    # and a promoted viewer context may write at once
    viewer_ctx = sign_in(db, "newbie")
    with pytest.raises(PermissionDenied):
        contacts.create_contact(viewer_ctx, {"name": "Ben", "email": "ben@example.de"})
    nb = get_operator(admin, "newbie")
    update_operator(admin, "newbie", {"role": "agent", "active": True},
                    expected_version=nb.version)
    assert contacts.create_contact(viewer_ctx, {"name": "Ben", "email": "ben@example.de"}).id


def test_add_operator_at_a_given_moment_stamps_created_at_and_the_audit(admin):
    """`now` (the CLI's --at) is the moment of the action: created_at and the audit record."""
    from datetime import UTC, datetime

    from core.services import audit

    moment = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
    op = add_operator(admin, {"login": "carla", "role": "viewer"}, now=moment)
    assert op.created_at == moment
    (entry,) = audit.history(admin, "operator", op.id)
    assert (entry.action, entry.at) == ("create", moment)
