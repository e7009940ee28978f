"""Account settings: one table of keys, typed values, validation per key, admin-only writes.

Every key is one `SettingKey` entry in `KEYS` (type, default, description, parser); a new
setting is one more entry. Values are stored in the `settings` table as JSON (a text for
zones and currencies, a decimal text for fractions, a JSON boolean for switches); a key
that was never set reads as its default. Reading is open to every operator, `set_setting`
needs `settings.write` (admins) and writes an audit record (entity "setting", id = key).

Defaults (docs/settings.md): `account_timezone` Europe/Berlin, `default_currency` EUR,
`group_limit_active` false, `overdue_keeps_access` false, `default_vat` 0 — a plan's VAT is a tax decision the account must take (a German course
provider may be exempt under § 4 Nr. 21 UStG, or charge 19 %), and 0 keeps every plan that
was created or imported before this setting existed as it was. An admin sets 0.19 once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.billing.periods import DEFAULT_TZ
from core.billing.terms import MINOR_UNITS
from core.errors import ValidationFailed
from core.i18n import N_, _
from core.limits import text_problem
from core.models import Setting
from core.services import _uow
from core.services.context import READ, ServiceContext, require

WRITE = "settings.write"


class BadValue(ValueError):
    """A value a key refuses; the message says why."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise BadValue(_("Must be text."))
    problem = text_problem(value)
    if problem:
        raise BadValue(problem)
    return value.strip()


def _zone(value: Any) -> str:
    name = _text(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadValue(_("Unknown time zone {tz}; use an IANA name such as "
                         "Europe/Berlin.").format(tz=name)) from None
    return name


def _currency(value: Any) -> str:
    code = _text(value).upper()
    if code not in MINOR_UNITS:
        raise BadValue(_("Unknown ISO 4217 currency code {code}.").format(code=code))
    return code


def _fraction(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise BadValue(_("Must be a decimal fraction such as 0.19."))
    if isinstance(value, str):
        value = _text(value)
    elif not isinstance(value, int | float | Decimal):
        raise BadValue(_("Must be a decimal fraction such as 0.19."))
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise BadValue(_("Must be a decimal fraction such as 0.19.")) from None
    if not number.is_finite() or not 0 <= number < 1:
        raise BadValue(_("VAT is a fraction between 0 and 1, e.g. 0.19 for 19 %."))
    if len(format(number, "f")) > 16:
        raise BadValue(_("VAT has at most 14 decimal places."))
    return number


_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = _text(value).lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise BadValue(_("Must be true or false."))


@dataclass(frozen=True)
class SettingKey:
    """One account setting: how its value is read, shown and stored."""

    key: str
    kind: str  # zone, currency, fraction, bool (for forms: which input)
    default: Any
    description: str  # N_ constant
    parse: Callable[[Any], Any]  # user text or JSON value → typed value; raises BadValue

    def store(self, value: Any) -> Any:
        """The JSON form in the settings table."""
        return format(value, "f") if isinstance(value, Decimal) else value

    def load(self, stored: Any) -> Any:
        """The typed value of a stored JSON value (the default when unset or unreadable)."""
        if stored is None:
            return self.default
        try:
            return self.parse(stored)
        except BadValue:
            return self.default

    def text(self, value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, Decimal):
            return format(value, "f")
        return str(value)


# THE table of settings; a new setting is one more entry. `group_limit_active` and
# `overdue_keeps_access` are read by the groups and accesses that later issues add.
KEYS: dict[str, SettingKey] = {k.key: k for k in (
    SettingKey("account_timezone", "zone", DEFAULT_TZ,
               N_("Time zone of every billing boundary and date filter (IANA name)"), _zone),
    SettingKey("default_currency", "currency", "EUR",
               N_("Currency of a plan that names none (ISO 4217)"), _currency),
    SettingKey("default_vat", "fraction", Decimal(0),
               N_("VAT rate of a plan that names none, as a fraction (0.19 = 19 %)"),
               _fraction),
    SettingKey("group_limit_active", "bool", False,
               N_("Whether a removed group participant keeps using the seat (limited quota)"),
               _bool),
    SettingKey("overdue_keeps_access", "bool", False,
               N_("Whether a contact with an overdue invoice keeps access to what it paid for"),
               _bool),
)}


class SettingValue(BaseModel):
    """A setting as the CLI and the console show it."""

    key: str
    kind: str
    value: Any  # typed: str, Decimal, bool
    text: str  # the value as typed on the command line
    default: str
    is_default: bool
    description: str

    def row(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.text, "default": self.default,
                "is_default": self.is_default, "description": self.description}


def _spec(key: str) -> SettingKey:
    spec = KEYS.get(key)
    if spec is None:
        raise ValidationFailed({"key": _("Unknown setting {key}; choose from {keys}.").format(
            key=key, keys=", ".join(KEYS))})
    return spec


def _out(spec: SettingKey, stored: Any, present: bool) -> SettingValue:
    value = spec.load(stored)
    return SettingValue(key=spec.key, kind=spec.kind, value=value, text=spec.text(value),
                        default=spec.text(spec.default), is_default=not present,
                        description=_(spec.description))


def account_settings(session: Session) -> dict[str, Any]:
    """Every setting's typed value, for services inside their own transaction."""
    stored = dict(session.execute(select(Setting.key, Setting.value)
                                  .where(Setting.key.in_(list(KEYS)))).all())
    return {k: spec.load(stored.get(k)) for k, spec in KEYS.items()}


def setting(session: Session, key: str) -> Any:
    """One setting's typed value inside the caller's session."""
    spec = _spec(key)
    return spec.load(session.scalar(select(Setting.value).where(Setting.key == key)))


def account_zone(session: Session) -> ZoneInfo:
    """The account time zone as a ZoneInfo, inside the caller's session (one source). Read
    once per session (a session is one unit of work; `set_setting` has its own)."""
    zone = session.info.get("kontor_account_zone")
    if zone is None:
        zone = session.info["kontor_account_zone"] = ZoneInfo(
            setting(session, "account_timezone"))
    return zone


def list_settings(ctx: ServiceContext) -> list[SettingValue]:
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        stored = dict(session.execute(select(Setting.key, Setting.value)
                                      .where(Setting.key.in_(list(KEYS)))).all())
        return [_out(spec, stored.get(k), k in stored) for k, spec in KEYS.items()]


def get_setting(ctx: ServiceContext, key: str) -> SettingValue:
    spec = _spec(key)
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        row = session.get(Setting, key)
        return _out(spec, row.value if row else None, row is not None)


def parse_setting(key: str, value: Any) -> Any:
    """The typed value `value` means for `key`, or ValidationFailed naming the key."""
    spec = _spec(key)
    try:
        return spec.parse(value)
    except BadValue as exc:
        raise ValidationFailed({key: str(exc)}) from None


KIND = _uow.Kind(
    model=Setting, entity="setting",
    not_found=lambda key: _("Unknown setting {key}; choose from {keys}.").format(
        key=key, keys=", ".join(KEYS)),
    changed=lambda by, at: _("Changed by {by} at {at} — reload.").format(by=by, at=at),
    meanwhile=lambda: _("Changed by someone else meanwhile — reload."))


def set_setting(ctx: ServiceContext, key: str, value: Any, *, now: datetime | None = None
                ) -> SettingValue:
    """Set `key` (admins only): validated for the key, audited with before and after at `now`
    (the moment of the action, default now)."""
    spec = _spec(key)
    typed = parse_setting(key, value)
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        row = session.get(Setting, key, with_for_update=True)
        before = row.value if row else None
        stored = spec.store(typed)
        if row is None:
            row = Setting(key=key, value=stored)
            session.add(row)
        else:
            row.value = stored
        _uow.save(session, ctx, KIND, row, "update", {"value": before}, {"value": stored},
                  key=key, now=now)
        return _out(spec, stored, True)
