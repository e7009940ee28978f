from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

InvoiceState = Literal["open", "paid", "failed", "credited"]


class InvoiceLine(BaseModel):
    kind: Literal["plan", "prorated_plan", "setup_fee", "credit"]
    text: str
    quantity: int
    net: int
    vat: int
    gross: int


class Invoice(BaseModel):
    id: int
    number: str
    subscription_id: int
    contact_id: int
    plan_id: int
    kind: Literal["plan", "setup_fee", "change"]
    period_start: datetime | None
    period_end: datetime | None
    issued: datetime
    currency: str
    lines: list[InvoiceLine]
    net: int
    vat_amount: int
    amount: int
    state: InvoiceState
    paid_at: datetime | None
    failed_at: datetime | None
    row_version: int
    # core.rules.invoices: record_payment, record_failed_payment, credit -> None or why not.
    allowed_actions: dict[str, str | None] = {}
