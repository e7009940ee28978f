from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.i18n import N_, _
from core.schemas.common import SafeLine, SafeName

Role = Literal["admin", "agent", "viewer"]
ROLE_NAMES = {"admin": N_("admin"), "agent": N_("agent"), "viewer": N_("viewer")}
LOGIN_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


class OperatorInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    login: SafeLine = Field(max_length=64)
    name: SafeName = Field(default="", max_length=200)
    role: Role = "viewer"
    active: bool = True

    @field_validator("login")
    @classmethod
    def _login(cls, v: str) -> str:
        if not LOGIN_RE.match(v):
            raise ValueError(_("A login is 1–64 letters, digits or . _ @ -"))
        return v


class Operator(BaseModel):
    id: int | None
    login: str
    name: str
    role: Role
    active: bool
    created_at: datetime | None
    version: int
    registered: bool = True
