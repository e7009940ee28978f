"""Saved views (own and shared) and per-operator preferences: permissions and audit."""

import pytest

from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.services import audit, views

COLS = ["state", "name", "amount"]


def test_an_operator_saves_recalls_replaces_and_deletes_a_view(agent):
    v = views.save_view(agent, "Monthly 10-50", "state:active amount:10-50", COLS, "amount:desc",
                        expected_version=None)
    assert (v.owner, v.shared, v.mine, v.sort, v.columns) == (
        "agent", False, True, "amount:desc", COLS)
    again = views.save_view(agent, "Monthly 10-50", "state:active", ["name"], "",
                            expected_version=v.version)
    assert again.id == v.id and again.query == "state:active" and again.version == 2
    assert [x.name for x in views.list_views(agent)] == ["Monthly 10-50"]
    assert [e.action for e in audit.history(agent, "saved_view", v.id)] == ["update", "create"]
    views.delete_view(agent, v.id)
    assert views.list_views(agent) == []


def test_views_are_private_unless_an_admin_shares_them(admin, agent, viewer):
    mine = views.save_view(agent, "Mine", "", COLS, "", expected_version=None)
    with pytest.raises(PermissionDenied):
        views.save_view(agent, "Everyone", "", COLS, "", shared=True, expected_version=None)
    shared = views.save_view(admin, "Everyone", "state:active", COLS, "name", shared=True,
                             expected_version=None)
    assert [(v.name, v.mine) for v in views.list_views(agent)] == [("Mine", True),
                                                                   ("Everyone", False)]
    assert [v.name for v in views.list_views(viewer)] == ["Everyone"]
    with pytest.raises(NotFound):
        views.get_view(viewer, mine.id)
    with pytest.raises(NotFound):
        views.delete_view(viewer, mine.id)
    with pytest.raises(PermissionDenied):
        views.delete_view(viewer, shared.id)
    views.delete_view(admin, shared.id)
    assert views.list_views(viewer) == []


def test_a_viewer_may_keep_private_views(viewer):
    assert views.save_view(viewer, "Look", "st:deleted", COLS, "",
                           expected_version=None).owner == "viewer"


@pytest.mark.parametrize("args, field", [
    (("", "", COLS, ""), "name"),
    (("x", "state:nope", COLS, ""), "query"),
    (("x", "", ["nope"], ""), "columns"),
    (("x", "", [], ""), "columns"),
    (("x", "", ["name", "name"], ""), "columns"),
    (("x", "", COLS, "price"), "sort"),
])
def test_a_bad_view_is_refused_per_field(agent, args, field):
    with pytest.raises(ValidationFailed) as exc:
        views.save_view(agent, *args, expected_version=None)
    assert field in exc.value.fields


def test_replacing_a_view_needs_the_version_it_showed(agent):
    """One write path: the expected version is mandatory; stale (or None for a name that
    exists, or a version for a view deleted meanwhile) is a Conflict and writes nothing."""
    from core.errors import Conflict

    v = views.save_view(agent, "Mine", "state:active", COLS, "", expected_version=None)
    with pytest.raises(TypeError):
        views.save_view(agent, "Mine", "state:deleted", COLS, "")  # no expected_version
    newer = views.save_view(agent, "Mine", "state:superseded", COLS, "",
                            expected_version=v.version)
    assert newer.version == v.version + 1
    with pytest.raises(Conflict):  # what the first screen showed is stale now
        views.save_view(agent, "Mine", "state:deleted", COLS, "", expected_version=v.version)
    with pytest.raises(Conflict):  # saved meanwhile under the same name
        views.save_view(agent, "Mine", "state:deleted", COLS, "", expected_version=None)
    assert views.get_view(agent, v.id).query == "state:superseded"
    views.delete_view(agent, v.id)
    with pytest.raises(Conflict):  # the view being replaced was deleted meanwhile
        views.save_view(agent, "Mine", "", COLS, "", expected_version=newer.version)
    assert views.list_views(agent) == []
    assert [e.action for e in audit.history(agent, "saved_view", v.id)][-2:] == [
        "update", "create"]


def test_preferences_are_per_operator_and_even_a_viewer_keeps_them(admin, viewer):
    key = "plans.columns"
    assert views.get_preference(viewer, key, ["state"]) == ["state"]
    views.set_preference(viewer, key, ["name", "amount"])
    views.set_preference(viewer, key, ["name"])
    assert views.get_preference(viewer, key) == ["name"]
    assert views.get_preference(admin, key) is None
    trail = audit.history(admin, "preference", "viewer:plans.columns")
    assert [(e.operator, e.after) for e in trail] == [("viewer", {"value": ["name"]}),
                                                     ("viewer", {"value": ["name", "amount"]})]
    views.set_preference(viewer, key, None)
    assert views.get_preference(viewer, key, "d") == "d"


def test_bad_preferences_are_refused(viewer):
    with pytest.raises(ValidationFailed):
        views.set_preference(viewer, "Bad Key!", 1)
    with pytest.raises(ValidationFailed):
        views.set_preference(viewer, "k", {1, 2})
    with pytest.raises(ValidationFailed):
        views.set_preference(viewer, "k", "x" * 70_000)
