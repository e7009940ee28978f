"""What a bulk action reports: the preview's counts, the refused rows, the result."""

from __future__ import annotations

from pydantic import BaseModel


class BulkRefusal(BaseModel):
    id: int
    reason: str  # translated: the transition table's reason, or "does not exist"


class BulkPreview(BaseModel):
    """Nothing written: how many rows the action would change and which it refuses."""

    action: str
    total: int  # distinct ids asked for
    allowed: int
    refused: list[BulkRefusal]


class BulkResult(BaseModel):
    action: str
    done: int
    ids: list[int]
