"""Orders: what "+ Product" and `kontor orders create` send, what the services return (SPEC §4).

Amounts are integers in minor units of `currency` (core/money.py); datetimes are aware UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.limits import INT32_MAX, date_in_range, date_range_message
from core.schemas.common import SafeLine, SafeText
from core.schemas.subscriptions import InvoicePreview

OrderStatus = Literal["pending", "paid", "cancelled", "refunded"]
# How the order is paid when it is created: now (paid), later (pending: nothing is created
# until `pay`), or elsewhere (external: counts as paid, no payment collected here).
PaymentChoice = Literal["paid", "pending", "external"]


def _sane(value: datetime | date | None) -> datetime | date | None:
    if value is not None and not date_in_range(value):
        raise ValueError(date_range_message())
    return value


class OrderInput(BaseModel):
    """A new order of one offer for one contact."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    contact_id: int = Field(ge=1, le=INT32_MAX)
    offer: SafeLine | None = Field(default=None, max_length=255)  # handle
    offer_id: int | None = Field(default=None, ge=1, le=INT32_MAX)
    # The access start (default: the moment of the action). Naive: account wall time.
    start: datetime | None = None
    # Overrides the offer's price (one-time: the gross price; recurring: the plan amount
    # per period, as the plan reads it), minor units.
    price: int | None = Field(default=None, ge=0, le=INT32_MAX)
    payment: PaymentChoice = "paid"
    comment: SafeText = Field(default="", max_length=2000)

    @field_validator("start")
    @classmethod
    def _start(cls, value: datetime | None) -> datetime | None:
        return _sane(value)


class OrderFilter(BaseModel):
    """The orders list's filters; dates are local days of the account zone, inclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: OrderStatus | None = None
    date_from: date | None = None
    date_to: date | None = None
    product_id: int | None = Field(default=None, ge=1, le=INT32_MAX)
    contact_id: int | None = Field(default=None, ge=1, le=INT32_MAX)
    # Search by order number (exact).
    number: int | None = Field(default=None, ge=1, le=INT32_MAX)

    @field_validator("date_from", "date_to")
    @classmethod
    def _dates(cls, value: date | None) -> date | None:
        return _sane(value)


class OrderLine(BaseModel):
    position: int
    offer_id: int
    offer_handle: str
    offer_name: str
    product_id: int
    product_name: str
    quantity: int
    unit_price: int
    price_override: bool
    vat_bp: int
    vat_amount: int
    total: int


class OrderPayment(BaseModel):
    id: int | None = None
    kind: str  # payment, external, invoice (a subscription's), instalment
    due_at: datetime
    amount: int
    paid: bool
    paid_at: datetime | None = None
    invoice_number: str | None = None


class Order(BaseModel):
    id: int
    number: int
    contact_id: int
    contact_name: str
    contact_email: str
    ordered_at: datetime
    starts_at: datetime | None
    status: OrderStatus
    payment: str  # the offer's payment type: one_time, subscription, instalments
    external: bool
    currency: str
    total: int  # gross, minor units
    vat_amount: int
    product_id: int | None
    product_name: str
    comment: str
    paid_at: datetime | None
    cancelled_at: datetime | None
    refunded_at: datetime | None
    row_version: int
    lines: list[OrderLine] = []
    payments: list[OrderPayment] = []
    accesses: list[int] = []
    subscriptions: list[int] = []
    # core.rules.orders: action -> None (allowed now) or the reason why not.
    allowed_actions: dict[str, str | None] = {}


class OrderRow(BaseModel):
    """One row of the orders list; `key` is its keyset position."""

    key: tuple
    id: int
    number: int
    ordered_at: datetime
    contact_id: int
    contact_name: str
    product_name: str
    total: int
    currency: str
    status: OrderStatus
    payment: str
    external: bool


class OrderCreated(BaseModel):
    """`create_order` / `pay_order`: the order and what it created."""

    order: Order
    accesses: list[int] = []
    subscriptions: list[int] = []


class AccessPlan(BaseModel):
    """An access an order creates (preview) or ends (cancel/refund preview)."""

    id: int | None = None
    product_name: str
    offer_name: str
    starts_at: datetime
    ends_at: datetime | None  # None: unlimited (or as long as the subscription lives)
    lesson_count: int
    lessons_in_tariff: int
    status: str = "active"


class SubscriptionPlan(BaseModel):
    """A subscription an order creates (preview) or cancels."""

    id: int | None = None
    plan_handle: str
    plan_name: str
    start: datetime | None = None
    trial_end: datetime | None = None
    expires: datetime | None = None
    # The invoices the order pays (due at its start) and the next ones the run will bill.
    due_now: list[InvoicePreview] = []
    upcoming: list[InvoicePreview] = []
    last_invoice: InvoicePreview | None = None  # cancel/refund: the last one billed


class OrderPreview(BaseModel):
    """What `create_order` (or `pay_order`) would create — nothing is saved."""

    status: OrderStatus
    currency: str
    total: int
    vat_amount: int
    lines: list[OrderLine] = []
    payments: list[OrderPayment] = []
    accesses: list[AccessPlan] = []
    subscriptions: list[SubscriptionPlan] = []


class OrderEndPreview(BaseModel):
    """What cancelling or refunding the order would end — nothing is saved."""

    action: Literal["cancel", "refund"]
    number: int
    status: OrderStatus  # the order's status afterwards
    at: datetime
    refund_amount: int
    currency: str
    accesses: list[AccessPlan] = []
    subscriptions: list[SubscriptionPlan] = []


class OfferChoice(BaseModel):
    """One offer for the "+ Product" picker (product and offer in one row)."""

    key: tuple
    id: int
    handle: str
    name: str
    product_id: int
    product_name: str
    payment: str
    price: int | None
    currency: str
    plan_handle: str | None

