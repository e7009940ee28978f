"""The one write path (core/services/_uow.py): NotFound, Conflict with who/when, the audit
diff of the changed fields, and the mandatory version of a form's edit."""

import pytest

from core.errors import Conflict, NotFound
from core.services import _uow, audit, contacts, plans
from tests.services.billing_helpers import MONTHLY_1ST


def test_diff_keeps_only_the_changed_fields():
    assert _uow.diff({"name": "A", "email": "a@x.de", "tags": []},
                     {"name": "B", "email": "a@x.de", "tags": ["vip"]}) == (
        {"name": "A", "tags": []}, {"name": "B", "tags": ["vip"]})
    assert _uow.diff(None, {"name": "A"}) == (None, {"name": "A"})  # a create keeps it all


def test_a_contact_edit_audits_only_what_changed(admin):
    c = contacts.create_contact(admin, {"name": "Anna Müller", "email": "anna@example.de"})
    contacts.update_contact(admin, c.id, {"name": "Anna Schmidt", "email": "anna@example.de"},
                            expected_version=c.version)
    entry = audit.history(admin, "contact", c.id)[0]
    assert (entry.action, entry.before, entry.after) == (
        "update", {"name": "Anna Müller"}, {"name": "Anna Schmidt"})


def test_a_stale_version_names_who_changed_it_and_when(admin, agent):
    c = contacts.create_contact(admin, {"name": "Ben", "email": "ben@example.de"})
    moved = contacts.update_contact(agent, c.id, {"name": "Ben K.", "email": "ben@example.de"},
                                    expected_version=c.version)
    with pytest.raises(Conflict) as exc:
        contacts.update_contact(admin, c.id, {"name": "Benjamin", "email": "ben@example.de"},
                                expected_version=c.version)
    assert exc.value.changed_by == "agent" and exc.value.changed_at == moved.updated_at
    assert "agent" in str(exc.value)
    with pytest.raises(NotFound):
        contacts.update_contact(admin, 999999, {"name": "X", "email": "x@example.de"},
                                expected_version=1)


def test_a_plan_edit_from_a_form_must_name_its_version(admin):
    p = plans.create_plan(admin, MONTHLY_1ST)
    with pytest.raises(TypeError):
        plans.edit_plan(admin, "gold", {"name": "Gold+"})  # no version: a caller's bug
    with pytest.raises(TypeError):
        plans.create_plan_version(admin, "gold", {"amount": 1}, scope="new_only")
    edited = plans.edit_plan(admin, "gold", {"name": "Gold+"},
                             expected_row_version=p.row_version)
    entry = audit.history(admin, "plan", p.id)[0]
    assert (entry.before, entry.after) == ({"name": "Gold"}, {"name": "Gold+"})
    with pytest.raises(Conflict):
        plans.edit_plan(admin, "gold", {"name": "stale"}, expected_row_version=p.row_version)
    # A state action runs under the lock and may leave the version out.
    assert plans.delete_plan(admin, "gold").row_version == edited.row_version + 1
