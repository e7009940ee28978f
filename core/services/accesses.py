"""Accesses: granted by a paid order (or a group seat), ended by a refund or cancellation.

This module holds what every access-creating service shares, inside the caller's transaction:
`grant` (a new access from an offer: start, end from the template's duration, audit) and
`end_for_order` (a refund or cancellation ends the accesses the order created), plus
`status_of` (the status at a moment, core/rules/accesses.py). The order editor, tariff switch,
extend/pause and the status actions build on these.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.i18n import _
from core.lessons import lesson_states
from core.models import Access, Offer
from core.rules import accesses as rules
from core.schemas.access_template import AccessTemplate
from core.services import _uow
from core.services.catalogue import template_from_stored
from core.services.settings import account_zone

KIND = _uow.Kind(
    model=Access, entity="access",
    not_found=lambda key: _("Access {id} does not exist.").format(id=key),
    changed=lambda by, at: _("This access was changed by {by} at {at}; reload to see the "
                             "change.").format(by=by or "?", at=at),
    meanwhile=lambda: _("This access was changed meanwhile; reload and try again."),
)


def snapshot(access: Access) -> dict[str, Any]:
    """The audited fields of an access."""
    def iso(v: datetime | None) -> str | None:
        return v.isoformat() if v is not None else None
    return {"contact_id": access.contact_id, "product_id": access.product_id,
            "offer_id": access.offer_id, "order_id": access.order_id,
            "subscription_id": access.subscription_id, "group_id": access.group_id,
            "starts_at": iso(access.starts_at), "ends_at": iso(access.ends_at),
            "template": access.template, "individual": access.individual,
            "pauses": list(access.pauses or []), "accepted": list(access.accepted or []),
            "status": access.status,
            "pending_cancellation_at": iso(access.pending_cancellation_at),
            "cancelled_at": iso(access.cancelled_at), "deleted_at": iso(access.deleted_at),
            "end_reason": access.end_reason}


def template_end(template: AccessTemplate, starts_at: datetime, tz: Any) -> datetime | None:
    """The end the template's duration gives an access starting at `starts_at` (SPEC §4.1
    rule 2; None = unlimited)."""
    if template.duration is None:
        return None
    return lesson_states((), template, starts_at, at=starts_at, tz=tz).end


def grant(session: Session, ctx: Any, *, contact_id: int, offer: Offer, starts_at: datetime,
          order_id: int | None = None, subscription_id: int | None = None,
          group_id: int | None = None, now: datetime | None = None) -> Access:
    """A new access to the offer's product under the offer's template (not individual: later
    offer edits reach it), audited as `create`. The caller owns the transaction and the role
    check. An access bought by subscription lives as long as the subscription (no end here
    unless the template has a duration)."""
    # The stored template names its `only` lessons by key (catalogue); the end needs no
    # lessons, so no keys are looked up here.
    template = template_from_stored(offer.template, [])
    access = Access(contact_id=contact_id, product_id=offer.product_id, offer_id=offer.id,
                    order_id=order_id, subscription_id=subscription_id, group_id=group_id,
                    starts_at=starts_at,
                    ends_at=template_end(template, starts_at, account_zone(session)),
                    template=None, individual=False, pauses=[], accepted=[], status="active")
    session.add(access)
    _uow.save(session, ctx, KIND, access, "create", None, snapshot(access), now=now)
    return access


def status_of(access: Access, at: datetime, *, overdue: bool = False) -> str:
    """The access status at `at` (core/rules/accesses.py)."""
    return rules.status(at=at, ends_at=access.ends_at,
                        pending_cancellation_at=access.pending_cancellation_at,
                        cancelled_at=access.cancelled_at, deleted_at=access.deleted_at,
                        pauses=access.pauses or (), overdue=overdue)


def end_for_order(session: Session, ctx: Any, order_id: int, *, at: datetime,
                  reason: str) -> list[Access]:
    """End (cancel at `at`) every access the order created that has not ended yet, audited
    with `reason` ("refunded", "order_cancelled"). Returns the accesses ended."""
    ended = []
    rows = session.scalars(select(Access).where(Access.order_id == order_id)
                           .order_by(Access.id)).all()
    for access in rows:
        if status_of(access, at) in rules.ENDED:
            continue
        before = snapshot(access)
        access.cancelled_at = at
        access.pending_cancellation_at = None
        access.end_reason = reason
        access.status = "cancelled"
        _uow.save(session, ctx, KIND, access, "end", before, snapshot(access), now=at)
        ended.append(access)
    return ended


__all__ = ["KIND", "end_for_order", "grant", "snapshot", "status_of", "template_end"]
