"""What the access status services return (issue 11): status, cancel preview, lists, bulk."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from core.schemas.bulk import BulkRefusal


class SubscriptionRef(BaseModel):
    """A subscription behind an access, as `kontor access show` prints it."""

    id: int
    state: str  # the subscription's status at the moment asked about
    expires: datetime | None


class AccessStatus(BaseModel):
    """One access and its status at `at`."""

    id: int
    contact_id: int
    product_id: int
    product_name: str
    is_bundle: bool
    status: str  # active, pending_cancellation, cancelled, expired, paused, overdue
    starts_at: datetime
    ends_at: datetime | None
    pending_cancellation_at: datetime | None
    cancelled_at: datetime | None
    deleted: bool
    grants_content: bool
    contact_locked: bool
    at: datetime
    subscriptions: list[SubscriptionRef]
    allowed_actions: dict[str, str | None]
    row_version: int

    def contract(self) -> dict:
        """The exact JSON of `kontor access show --json`."""
        return {"id": self.id, "status": self.status, "starts_at": self.starts_at,
                "ends_at": self.ends_at,
                "pending_cancellation_at": self.pending_cancellation_at,
                "subscriptions": [{"id": s.id, "state": s.state, "expires": s.expires}
                                  for s in self.subscriptions]}


class ProductLoss(BaseModel):
    id: int
    name: str
    lessons: int


class InvoiceNote(BaseModel):
    """An invoice a cancellation mentions: the last one to come, or one credited now."""

    subscription_id: int
    number: str | None  # None: not issued yet
    issued: datetime | None
    amount: int
    currency: str


class SubscriptionEffect(BaseModel):
    id: int
    state_before: str
    ends_at: datetime | None  # when it ends after the action
    ends_now: bool


class CancelPreview(BaseModel):
    """What cancelling one access does (nothing saved by the preview)."""

    access_id: int
    contact_id: int
    product_name: str
    effective_at: datetime
    immediate: bool  # no paid plan invoice: it ends now
    status_after: str
    products_lost: list[ProductLoss]
    products_kept: list[ProductLoss]  # in the bundle, but another live access grants them
    lessons_lost: int
    last_invoice: InvoiceNote | None
    invoices_to_come: int
    credited: list[InvoiceNote]
    subscriptions: list[SubscriptionEffect]


class BulkStatusPreview(BaseModel):
    """One preview for a bulk action on accesses: counts, dates, invoices still to come."""

    action: str
    total: int
    allowed: int
    refused: list[BulkRefusal]
    immediate: int  # of the allowed: ending now
    pending: int  # of the allowed: pending until a later date
    earliest: datetime | None
    latest: datetime | None
    invoices_to_come: int
    amount_to_come: dict[str, int]  # currency -> minor units


class FollowUpRow(BaseModel):
    """A row of the follow-up lists (pending cancellations, expiring, overdue)."""

    id: int
    contact_id: int
    contact_name: str
    product_id: int
    product_name: str
    status: str
    date: datetime | None  # the pending cancellation or end date (overdue: the failure)
    subscription_id: int | None
    key: tuple  # the keyset key of the row


__all__ = ["AccessStatus", "BulkStatusPreview", "CancelPreview", "FollowUpRow",
           "InvoiceNote", "ProductLoss", "SubscriptionEffect", "SubscriptionRef"]
