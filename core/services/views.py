"""Saved list views (filters + columns + sort) and per-operator preferences.

Views: every operator keeps their own views; an admin may publish a view as shared, and then
everyone sees it. Saving a view under a name the operator already uses replaces it, at the
version the caller showed (mandatory, as for every form edit; stale is a Conflict).

Preferences (e.g. the plan list's visible columns): any operator, also a viewer, may store
their own. They change nothing but that operator's screens, so READ suffices — a viewer who
hides a column must find it hidden tomorrow. They are audited like every write.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.i18n import _
from core.limits import visibly_empty
from core.models import OperatorPreference, SavedView, utcnow
from core.plan_query import QueryError, parse
from core.schemas.common import field_errors
from core.schemas.views import SavedViewInput
from core.services import _uow, audit
from core.services.context import READ, ServiceContext, require

PUBLISH = "plans.write"  # admins publish shared views
LISTS = ("plans",)
KEY_RE = re.compile(r"^[a-z0-9_.:-]{1,64}$")
MAX_PREFERENCE_BYTES = 64_000


class SavedViewOut(BaseModel):
    id: int
    owner: str
    list_name: str
    name: str
    query: str
    columns: list[str]
    sort: str
    shared: bool
    created: datetime
    version: int
    mine: bool  # owned by the operator who asked


def _out(v: SavedView, login: str) -> SavedViewOut:
    return SavedViewOut(id=v.id, owner=v.owner, list_name=v.list_name, name=v.name,
                        query=v.query, columns=list(v.columns or []), sort=v.sort,
                        shared=v.shared, created=v.created, version=v.row_version,
                        mine=v.owner == login)


def _snapshot(v: SavedView) -> dict[str, Any]:
    return {"name": v.name, "list_name": v.list_name, "query": v.query,
            "columns": list(v.columns or []), "sort": v.sort, "shared": v.shared}


def _validate(list_name: str, name: str, query: str, columns: list[str], sort: str
              ) -> tuple[str, str, list[str], str]:
    from core.services.plan_catalogue import COLUMNS, PlanSort

    try:  # the texts first: NUL, control and direction characters never reach a column
        SavedViewInput(list_name=list_name or "", name=name or "", query=query or "",
                       columns=list(columns or []), sort=sort or "")
    except ValidationError as exc:
        raise field_errors(exc) from None
    errors: dict[str, str] = {}
    if list_name not in LISTS:
        errors["list_name"] = _("Unknown list {name}.").format(name=list_name)
    name = (name or "").strip()
    if not name or visibly_empty(name):
        errors["name"] = _("Give the view a name.")
    elif len(name) > 100:
        errors["name"] = _("Too long (at most {n} characters).").format(n=100)
    query = (query or "").strip()
    try:
        parse(query, today=date.today())
    except QueryError as exc:
        errors["query"] = exc.message
    columns = list(columns or [])
    bad = [c for c in columns if c not in COLUMNS]
    if bad:
        errors["columns"] = _("Unknown column {column}.").format(column=bad[0])
    elif not columns:
        errors["columns"] = _("Show at least one column.")
    elif len(set(columns)) != len(columns):
        errors["columns"] = _("A column is listed twice.")
    try:
        sort = PlanSort.parse(sort).text() if sort else ""
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    return name, query, columns, sort


KIND = _uow.Kind(
    model=SavedView, entity="saved_view",
    not_found=lambda view_id: _("View {id} does not exist.").format(id=view_id),
    changed=lambda by, at: _("This view was changed meanwhile — reload."),
    meanwhile=lambda: _("This view was changed meanwhile — reload."))


def save_view(ctx: ServiceContext, name: str, query: str, columns: list[str], sort: str, *,
              expected_version: int | None, shared: bool = False,
              list_name: str = "plans") -> SavedViewOut:
    """Save (or replace, by name) one of the operator's views; `shared=True` needs an admin.

    `query` is query-language text (core.plan_query), `columns` the visible list columns in
    order, `sort` "column:asc|desc". `expected_version` is mandatory (leaving it out is a
    TypeError, as for every form edit): None for a new view, else the version of the view
    being replaced as the caller showed it. A stale version, or None when the operator already
    has a view of that name (it was saved meanwhile), raises Conflict; nothing is written.
    """
    name, query, columns, sort = _validate(list_name, name, query, columns, sort)
    with ctx.db.transaction() as session:
        require(session, ctx, PUBLISH if shared else READ)
        v = session.scalar(select(SavedView).where(
            SavedView.owner == ctx.operator, SavedView.list_name == list_name,
            SavedView.name == name))
        now = utcnow()
        if v is None:
            if expected_version is not None:  # the view being replaced was deleted meanwhile
                raise Conflict(KIND.meanwhile())
            v = SavedView(owner=ctx.operator, list_name=list_name, name=name, created=now)
            before = None
            session.add(v)
        else:
            if expected_version is None:  # the caller believed the name new
                raise Conflict(_("A view with this name was saved meanwhile — try again."))
            _uow.check_version(KIND, v, expected_version)
            if v.shared and not shared:
                require(session, ctx, PUBLISH)  # un-publishing is publishing too
            before = _snapshot(v)
        v.query, v.columns, v.sort, v.shared = query, columns, sort, shared
        try:
            _uow.save(session, ctx, KIND, v, "update" if before else "create", before,
                      _snapshot(v), now=now)
        except IntegrityError:
            raise Conflict(_("A view with this name was saved meanwhile — try again.")
                           ) from None
        return _out(v, ctx.operator)


def list_views(ctx: ServiceContext, list_name: str = "plans") -> list[SavedViewOut]:
    """The operator's own views, then views others shared; by name."""
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        rows = session.scalars(select(SavedView).where(
            SavedView.list_name == list_name,
            or_(SavedView.owner == ctx.operator, SavedView.shared.is_(True))))
        views = [_out(v, ctx.operator) for v in rows]
        return sorted(views, key=lambda v: (not v.mine, v.name.lower(), v.owner))


def get_view(ctx: ServiceContext, view_id: int) -> SavedViewOut:
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        v = session.get(SavedView, view_id)
        if v is None or (v.owner != ctx.operator and not v.shared):
            raise NotFound(_("View {id} does not exist.").format(id=view_id))
        return _out(v, ctx.operator)


def delete_view(ctx: ServiceContext, view_id: int) -> None:
    """Delete one of the operator's views; an admin may also delete any shared view."""
    with ctx.db.transaction() as session:
        require(session, ctx, READ)
        v = session.get(SavedView, view_id)
        if v is None or (v.owner != ctx.operator and not v.shared):
            raise NotFound(_("View {id} does not exist.").format(id=view_id))
        if v.owner != ctx.operator:
            try:
                require(session, ctx, PUBLISH)
            except PermissionDenied:
                raise PermissionDenied(_("Only its owner or an admin may delete the view "
                                         "{name}.").format(name=v.name)) from None
        before = _snapshot(v)
        session.delete(v)
        try:
            session.flush()
        except StaleDataError:
            raise Conflict(_("This view was changed meanwhile — reload.")) from None
        audit.record(session, ctx, "saved_view", view_id, "delete", before, None)


# -- preferences -------------------------------------------------------------------------------


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise ValidationFailed({"key": _("A preference key is 1–64 of a-z 0-9 _ . : -.")})


def get_preference(ctx: ServiceContext, key: str, default: Any = None) -> Any:
    """The operator's stored value for `key`, or `default`."""
    _check_key(key)
    with ctx.db.reading() as session:
        row = session.get(OperatorPreference, (ctx.operator, key))
        return default if row is None else row.value


def set_preference(ctx: ServiceContext, key: str, value: Any) -> Any:
    """Store the operator's own preference (any JSON value; None deletes it). Audited."""
    _check_key(key)
    try:
        size = len(json.dumps(value))
    except (TypeError, ValueError):
        raise ValidationFailed({"value": _("A preference must be plain JSON.")}) from None
    if size > MAX_PREFERENCE_BYTES:
        raise ValidationFailed({"value": _("This preference is too large.")})
    for attempt in range(2):  # a concurrent first write of the same key: retry as update
        try:
            with ctx.db.transaction() as session:
                require(session, ctx, READ)
                row = session.get(OperatorPreference, (ctx.operator, key))
                before = None if row is None else {"value": row.value}
                if value is None:
                    if row is not None:
                        session.delete(row)
                elif row is None:
                    session.add(OperatorPreference(login=ctx.operator, key=key, value=value,
                                                   updated_at=utcnow()))
                else:  # last write wins: these are one operator's own settings
                    row.value, row.updated_at = value, utcnow()
                session.flush()
                if before != ({"value": value} if value is not None else None):
                    audit.record(session, ctx, "preference", f"{ctx.operator}:{key}", "set",
                                 before, None if value is None else {"value": value})
                return value
        except (IntegrityError, StaleDataError):
            if attempt:
                raise Conflict(_("The preference was changed meanwhile — try again.")
                               ) from None
    return value  # pragma: no cover
