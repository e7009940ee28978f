"""The domain errors every service raises and every front end knows how to show."""

from __future__ import annotations

from datetime import datetime


class KontorError(Exception):
    """Base of all errors a user should read; `str()` is the message."""


class ValidationFailed(KontorError):
    """Input was refused; `fields` maps each field name to its message. Nothing was written."""

    def __init__(self, fields: dict[str, str]):
        self.fields = dict(fields)
        # "_" is a refusal of the whole record, not of one field: no prefix then.
        super().__init__("; ".join(v if k == "_" else f"{k}: {v}" for k, v in self.fields.items()))


class NotFound(KontorError):
    pass


class PermissionDenied(KontorError):
    pass


class Conflict(KontorError):
    """The record changed since it was read (optimistic version check)."""

    def __init__(self, message: str, *, changed_by: str | None = None,
                 changed_at: datetime | None = None):
        self.changed_by = changed_by
        self.changed_at = changed_at
        super().__init__(message)


class DatabaseError(KontorError):
    """The database cannot be used as it is (too new, unreachable, not writable)."""


class SearchCancelled(KontorError):
    """A search was cancelled (a newer keystroke replaced it); nothing to show the user."""
