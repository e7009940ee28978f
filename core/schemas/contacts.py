from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.i18n import _
from core.limits import text_problem, visibly_empty
from core.schemas.common import SafeLine, SafeName, SafeText

# Pragmatic address check: one @, a dot in the domain, no spaces; what people mistype.
EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
PHONE_RE = re.compile(r"^\+?[0-9 ()/.-]{3,40}$")
LANG_RE = re.compile(r"^[A-Za-z]{2}([-_][A-Za-z]{2})?$")
MAX_TAGS = 50      # tags on one contact (docs/limits.md)
MAX_TAG_LENGTH = 40


class ContactInput(BaseModel):
    """What an agent types into the contact form."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: SafeName = Field(max_length=200)
    email: SafeName = Field(max_length=254)
    phone: SafeLine = Field(default="", max_length=40)
    language: SafeLine = Field(default="", max_length=8)
    tags: list[SafeLine] = Field(default_factory=list)
    notes: SafeText = Field(default="", max_length=10_000)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v or visibly_empty(v):
            raise ValueError(_("Enter a name."))
        return v

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not v or visibly_empty(v):
            raise ValueError(_("Enter an email address."))
        if not EMAIL_RE.match(v) or ".." in v:
            raise ValueError(_("'{value}' is not a valid email address.").format(value=v))
        return v

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        if v and (not PHONE_RE.match(v) or sum(c.isdigit() for c in v) < 3):
            raise ValueError(_("Use digits, spaces and + ( ) / - only, e.g. +49 30 1234567."))
        return v

    @field_validator("language")
    @classmethod
    def _language(cls, v: str) -> str:
        if v and not LANG_RE.match(v):
            raise ValueError(_("Use a language code such as de, it or en."))
        return v.lower()

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, v):
        if isinstance(v, str):
            v = v.split(",")
        elif v is not None and not isinstance(v, (list, tuple)):
            raise ValueError(_("Invalid value."))
        tags: list[str] = []
        for t in v or []:
            if not isinstance(t, str):  # a nested list, a number, null: not a tag
                raise ValueError(_("Each tag is a piece of text."))  # noqa: TRY004
            t = t.strip()
            if not t or visibly_empty(t):
                continue
            problem = text_problem(t)
            if problem:
                raise ValueError(problem)
            if len(t) > MAX_TAG_LENGTH:
                raise ValueError(_("A tag may have at most 40 characters."))
            if t not in tags:
                tags.append(t)
        if len(tags) > MAX_TAGS:
            raise ValueError(_("A contact may have at most {n} tags.").format(n=MAX_TAGS))
        return tags


class ContactRow(BaseModel):
    """One line of the contact list."""

    id: int
    name: str
    email: str
    phone: str
    language: str
    tags: list[str]
    created_at: datetime
    key: tuple


class Contact(BaseModel):
    """The whole contact, as the card shows it."""

    id: int
    name: str
    email: str
    phone: str
    language: str
    tags: list[str]
    notes: str
    created_at: datetime
    updated_at: datetime
    updated_by: str
    version: int
