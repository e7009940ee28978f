"""Operators and roles: the first operator of a new database becomes admin."""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import Database
from core.errors import NotFound, ValidationFailed
from core.i18n import _
from core.models import Operator, utcnow
from core.schemas.common import field_errors
from core.schemas.operators import Operator as OperatorOut
from core.schemas.operators import OperatorInput
from core.services import _uow, audit
from core.services.context import READ, ServiceContext, require


def _snapshot(op: Operator) -> dict:
    return {"login": op.login, "name": op.name, "role": op.role, "active": op.active}


def _out(op: Operator) -> OperatorOut:
    return OperatorOut(id=op.id, login=op.login, name=op.name, role=op.role, active=op.active,
                       created_at=op.created_at, version=op.row_version)


def sign_in(db: Database, login: str) -> ServiceContext:
    """The context for `login`; on an empty operators table, `login` becomes the first admin."""
    login = login.strip()
    _validate({"login": login})  # refuse unusable logins early, as a field error
    with db.transaction() as session:
        op = session.scalar(select(Operator).where(Operator.login == login))
        if op is None:
            if session.scalar(select(func.count()).select_from(Operator)) == 0:
                now = utcnow()
                op = Operator(login=login, name=login, role="admin", active=True,
                              created_at=now, updated_at=now, updated_by=login)
                session.add(op)
                session.flush()
                audit.record(session, login, "operator", op.id, "bootstrap_admin",
                             None, _snapshot(op))
                return ServiceContext(db, login, "admin")
            return ServiceContext(db, login, "viewer")
        return ServiceContext(db, login, op.role if op.active else "viewer")


def list_operators(ctx: ServiceContext) -> list[OperatorOut]:
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        return [_out(o) for o in session.scalars(select(Operator).order_by(Operator.login))]


def get_operator(ctx: ServiceContext, login: str) -> OperatorOut:
    with ctx.db.reading() as session:
        op = session.scalar(select(Operator).where(Operator.login == login))
        if op is None:
            raise NotFound(_("No operator with login {login}.").format(login=login))
        return _out(op)


def _validate(data: dict) -> OperatorInput:
    try:
        return OperatorInput.model_validate(data)
    except ValidationError as exc:
        raise field_errors(exc) from None


def add_operator(ctx: ServiceContext, data: dict, *, now: datetime | None = None
                 ) -> OperatorOut:
    """A new operator; `now` is the moment of the action (created_at and the audit)."""
    inp = _validate(data)
    with ctx.db.transaction() as session:
        require(session, ctx, "operators.write")
        if session.scalar(select(Operator.id).where(Operator.login == inp.login)):
            raise ValidationFailed({"login": _("An operator with this login exists already.")})
        now = now or utcnow()
        op = Operator(login=inp.login, name=inp.name or inp.login, role=inp.role,
                      active=inp.active, created_at=now, updated_at=now,
                      updated_by=ctx.operator)
        session.add(op)
        try:
            session.flush()
        except IntegrityError:
            raise ValidationFailed(
                {"login": _("An operator with this login exists already.")}) from None
        audit.record(session, ctx, "operator", op.id, "create", None, _snapshot(op), at=now)
        return _out(op)


def _by_login(session: Session, login: str, lock: bool) -> Operator | None:
    q = select(Operator).where(Operator.login == login)
    return session.scalar(q.with_for_update() if lock else q)


KIND = _uow.Kind(
    model=Operator, entity="operator", lookup=_by_login,
    not_found=lambda login: _("No operator with login {login}.").format(login=login),
    changed=lambda by, at: _("Changed by {by} at {at} — reload.").format(by=by, at=at),
    meanwhile=lambda: _("Changed by someone else meanwhile — reload."))


def update_operator(ctx: ServiceContext, login: str, data: dict, *,
                    expected_version: int) -> OperatorOut:
    with ctx.db.transaction() as session:
        require(session, ctx, "operators.write")
        op = _uow.load(session, KIND, login)
        # What `data` leaves out stays as it is (no silent demotion or reactivation).
        inp = _validate({**_snapshot(op), **data, "login": login})
        _uow.check_version(KIND, op, expected_version)
        before = _snapshot(op)
        losing_admin = op.role == "admin" and op.active and (
            inp.role != "admin" or not inp.active)
        if losing_admin:
            admins = session.scalar(select(func.count()).select_from(Operator).where(
                Operator.role == "admin", Operator.active.is_(True)))
            if admins <= 1:
                raise ValidationFailed({"role": _("The last admin cannot be demoted.")})
        op.name, op.role, op.active = inp.name or op.name, inp.role, inp.active
        _uow.save(session, ctx, KIND, op, "update", before, _snapshot(op))
        return _out(op)
