from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.schemas.invoices import Invoice

SubscriptionStateName = Literal["trial", "active", "pending_cancellation", "cancelled",
                                "expired", "on_hold"]


class SubscriptionInput(BaseModel):
    """A new subscription: who, which plan (newest version of a handle, or a version id)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    contact_id: int
    plan: str | None = Field(default=None, max_length=255)  # handle
    plan_id: int | None = None
    start: datetime | None = None
    quantity: int | None = Field(default=None, ge=1)
    amount: int | None = Field(default=None, ge=0)
    no_trial: bool = False
    no_setup_fee: bool = False


class Subscription(BaseModel):
    id: int
    contact_id: int
    plan_id: int
    plan_handle: str
    plan_version: int
    plan_name: str
    currency: str
    state: SubscriptionStateName  # as of now
    quantity: int
    amount: int | None
    start: datetime
    timezone: str
    trial_start: datetime | None
    trial_end: datetime | None
    current_period_start: datetime | None
    current_period_end: datetime | None
    next_invoice_at: datetime | None
    cancelled_at: datetime | None
    expires: datetime | None  # projected (fixed_count plans run forward)
    expire_reason: str | None
    on_hold_at: datetime | None
    pending_plan_id: int | None
    pending_change_at: datetime | None
    invoice_count: int
    row_version: int


class InvoicePreview(BaseModel):
    issued: datetime
    period_start: datetime | None
    period_end: datetime | None
    amount: int
    vat_amount: int
    currency: str


class CancellationPreview(BaseModel):
    """What a cancellation would do: effective date, last period, invoices still to come."""

    requested_at: datetime
    expires: datetime
    last_period_start: datetime | None
    last_period_end: datetime | None
    last_period_prorated: bool
    invoices: list[InvoicePreview]


class PlanChangeResult(BaseModel):
    subscription: Subscription
    change_at: datetime | None  # when a renewal-timed change applies
    invoice: Invoice | None  # the immediate change's invoice
    new_plan_name: str = ""
    new_period_amount: int | None = None  # gross per full period on the new plan
    currency: str = ""


class RunSummary(BaseModel):
    until: str
    upto: datetime
    subscriptions: int
    invoices: int
    periods: int
    setup_fees: int
    version_moves: int
    amount_by_currency: dict[str, int]
    chunks: int
    seconds: float
    periods_per_second: float
