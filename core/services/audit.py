"""The audit trail: every write records who, when, what, before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import AuditRecord, utcnow
from core.schemas.audit import AuditEntry
from core.services.context import READ, ServiceContext, require


def record(session: Session, ctx: ServiceContext | str, entity: str, entity_id: Any,
           action: str, before: dict | None = None, after: dict | None = None, *,
           at: datetime | None = None) -> None:
    """Add an audit record to the caller's transaction; `at` is the moment of the action
    (a service's `now=`, the CLI's `--at`), default now."""
    operator = ctx if isinstance(ctx, str) else ctx.operator
    session.add(AuditRecord(at=at or utcnow(), operator=operator, entity=entity,
                            entity_id=str(entity_id), action=action, before=before, after=after))


def history(ctx: ServiceContext, entity: str, entity_id: Any, *, limit: int = 200,
            before_id: int | None = None) -> list[AuditEntry]:
    """Newest first; page with `before_id`."""
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = (select(AuditRecord)
             .where(AuditRecord.entity == entity, AuditRecord.entity_id == str(entity_id))
             .order_by(AuditRecord.id.desc()).limit(limit))
        if before_id is not None:
            q = q.where(AuditRecord.id < before_id)
        return [AuditEntry.model_validate(r, from_attributes=True)
                for r in session.scalars(q)]
