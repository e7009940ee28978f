"""What a saved view is made of, as typed: guarded text (no NUL, no control characters)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from core.schemas.common import SafeLine, SafeName


class SavedViewInput(BaseModel):
    """The texts of a saved view; `core.services.views` checks the meaning of query and sort."""

    model_config = ConfigDict(str_strip_whitespace=True)

    list_name: SafeLine = Field(max_length=32)
    name: SafeName = Field(max_length=100)
    query: SafeLine = ""
    columns: list[SafeLine] = Field(default_factory=list)
    sort: SafeLine = Field(default="", max_length=64)
