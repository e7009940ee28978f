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
    # core.rules.subscriptions: action -> None (allowed now) or the reason why not.
    allowed_actions: dict[str, str | None] = {}
    next_invoice_amount: int | None = None  # gross, after a scheduled move at its price
    period_amount: int | None = None  # gross per full period (quantity included)
    period_text: str = ""  # "per month", "every 3 months", "per year"
    pending_plan_name: str | None = None  # the scheduled move: to which plan version
    pending_plan_version: int | None = None
    pending_period_amount: int | None = None  # gross per full period from the move on
    pending_period_text: str = ""


class InvoicePreview(BaseModel):
    issued: datetime
    period_start: datetime | None
    period_end: datetime | None
    amount: int
    vat_amount: int
    currency: str
    plan_name: str = ""  # the plan version that bills it (after a scheduled move: the new one)
    plan_version: int | None = None
    lines: list[InvoicePreviewLine] = []


class InvoicePreviewLine(BaseModel):
    kind: str  # plan, prorated_plan, setup_fee, credit
    text: str
    amount: int  # gross


class SubscriptionCreated(Subscription):
    """A new subscription with the invoices stored at its creation (due by then)."""

    invoices: list[Invoice]


class SubscriptionPreview(BaseModel):
    """What creating a subscription would do, computed by the same code as saving it."""

    plan_name: str
    plan_version: int
    currency: str
    start: datetime
    timezone: str
    state: SubscriptionStateName
    trial_start: datetime | None
    trial_end: datetime | None
    first_period_start: datetime | None
    first_period_end: datetime | None
    due_now: list[InvoicePreview]  # stored at once on saving
    upcoming: list[InvoicePreview]  # the next invoices after that
    expires: datetime | None


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
    new_plan_version: int | None = None
    new_period_amount: int | None = None  # gross per full period on the new plan
    period_text: str = ""  # the new plan's period in words: "per year", "every 3 months"
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
    groups_refreshed: int = 0
