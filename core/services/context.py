"""Who is acting: the operator and the database every service call runs against."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import Database
from core.errors import PermissionDenied
from core.i18n import _
from core.models import Operator

READ = "read"
AGENT_PERMISSIONS = frozenset({
    READ, "contacts.write", "orders.write", "access.write", "groups.write",
    "subscriptions.write",
})
ADMIN_PERMISSIONS = AGENT_PERMISSIONS | {"operators.write", "plans.write", "settings.write",
                                         "catalogue.write", "contacts.lock"}
PERMISSIONS = {
    "viewer": frozenset({READ}),
    "agent": AGENT_PERMISSIONS,
    "admin": ADMIN_PERMISSIONS,
}


@dataclass(frozen=True)
class ServiceContext:
    """The database and the operator's login; the role is read from the database on every write."""

    db: Database
    operator: str
    role: str = "viewer"  # as known when the session started; used for hints only

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())


def current_role(session: Session, login: str) -> str:
    """The operator's role now; unknown or deactivated operators are viewers."""
    row = session.execute(
        select(Operator.role, Operator.active).where(Operator.login == login)
    ).first()
    if row is None or not row.active:
        return "viewer"
    return row.role


def require(session: Session, ctx: ServiceContext, permission: str) -> str:
    """Refuse unless the operator's current role grants `permission`; returns the role."""
    role = current_role(session, ctx.operator)
    if permission not in PERMISSIONS.get(role, frozenset()):
        raise PermissionDenied(
            _("{login} ({role}) may not do this; ask an admin.").format(
                login=ctx.operator, role=role)
        )
    return role
