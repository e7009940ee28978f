"""Groups in and out (SPEC §8, issue 12)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.i18n import _
from core.limits import INT32_MAX, visibly_empty
from core.schemas.common import SafeLine, SafeName


class GroupInput(BaseModel):
    """A group purchase: which offer, who leads, the group's name, how many seats."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    offer: SafeLine = Field(max_length=255)  # the offer's handle
    leader: SafeName = Field(max_length=254)  # the leader's email
    leader_name: SafeName | None = Field(default=None, max_length=200)
    name: SafeName = Field(max_length=200)
    seats: int = Field(ge=1, le=INT32_MAX)
    leader_takes_seat: bool = False

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v or visibly_empty(v):
            raise ValueError(_("Enter the group's name."))
        return v


class SeatsInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seats: int = Field(ge=1, le=INT32_MAX)


class TargetInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: int = Field(ge=0, le=INT32_MAX)


class MemberInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    email: SafeName = Field(max_length=254)
    name: SafeName | None = Field(default=None, max_length=200)


class GroupOrder(BaseModel):
    """One purchase as the quota view lists it."""

    purchase_id: int
    number: int | None
    seats: int
    amount: int
    currency: str
    status: str  # the order's status
    payment: str  # one_time, subscription, instalments
    bought_at: datetime
    live: bool
    live_until: datetime | None
    subscription_id: int | None


class GroupSubscription(BaseModel):
    """An active subscription of the group: seats, next invoice (the engine's)."""

    id: int
    seats: int
    state: str
    start: datetime
    next_invoice_at: datetime | None
    amount: int | None  # the next invoice's amount
    period_amount: int
    period_text: str
    monthly: int  # the period amount as a monthly equivalent
    currency: str
    expires: datetime | None


class Group(BaseModel):
    """The group quota view."""

    id: int
    name: str
    product_id: int
    product_name: str
    offer_id: int
    offer_handle: str
    leader_id: int
    leader_name: str
    leader_email: str
    leader_takes_seat: bool
    state: str  # online, offline
    offline_at: datetime | None
    limited: bool
    seats_total: int
    seats_used: int
    seats_free: int
    used_text: str
    participants_active: int
    participants_removed: int
    orders: list[GroupOrder]
    subscriptions: list[GroupSubscription]
    monthly_total: int
    currency: str
    allowed_actions: dict[str, str | None]
    row_version: int


class GroupRow(BaseModel):
    """A line of the groups list."""

    key: tuple[Any, ...]
    id: int
    name: str
    product_id: int
    product_name: str
    leader_id: int
    leader_name: str
    leader_email: str
    seats_total: int
    seats_used: int
    seats_free: int
    offline_at: datetime | None


class Participant(BaseModel):
    key: tuple[Any, ...]
    id: int
    contact_id: int
    name: str
    email: str
    status: str  # active, leaving (removal ahead), removed
    is_leader: bool
    enrolled_at: datetime
    removed_at: datetime | None
    access_id: int | None


class ContactGroup(BaseModel):
    """A group on a contact's card: as leader or as participant."""

    id: int
    name: str
    product_name: str
    role: str  # leader, participant
    status: str  # the participant's status; "leader" for a leader without a seat
    seats_total: int
    seats_used: int
    offline_at: datetime | None


class Loser(BaseModel):
    contact_id: int
    name: str
    email: str
    loses_access_at: datetime | None


class DowngradeLine(BaseModel):
    subscription_id: int
    seats: int
    cancel: bool
    expires: datetime | None  # effective date if cancelled
    next_invoice_at: datetime | None
    remaining_amount: int  # what is still invoiced until it ends
    period_amount: int
    currency: str


class DowngradePreview(BaseModel):
    group_id: int
    target: int
    seats_total: int
    seats_used: int
    seats_after: int
    limited: bool
    lines: list[DowngradeLine]
    losing: list[Loser]
    offline_at: datetime | None
    refusal: str | None
    done: bool = False


class Removal(BaseModel):
    group_id: int
    contact_id: int
    name: str
    email: str
    access_ends_at: datetime
    seat_freed: bool
    seats_used_after: int
    seats_total: int
    done: bool = False


class LimitEffect(BaseModel):
    """What the group limit setting does to every group, in both positions."""

    limited: bool
    full_limited: int
    over_limited: int
    full_open: int
    over_open: int
    changed: int  # groups whose seats used differ between the two positions
