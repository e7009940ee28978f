"""Contacts: search over a million rows, the card, create/edit/delete with audit and versions."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, func, select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import NotFound, ValidationFailed
from core.i18n import _
from core.limits import search_input
from core.models import Contact, utcnow
from core.schemas.common import Window, field_errors
from core.schemas.contacts import Contact as ContactOut
from core.schemas.contacts import ContactInput, ContactRow
from core.services import _uow, audit
from core.services.cancel import SearchCancel, run_cancellable
from core.services.context import READ, ServiceContext, require

EDITABLE = ("name", "email", "phone", "language", "tags", "notes")
# Above this many matches the list is walked along the name index instead of sorting matches.
SORT_MATCHES_LIMIT = 4000
PHONEISH = re.compile(r"^[+0-9 ()/.-]+$")

# Later areas (orders, subscriptions) register a check that names what still depends on a
# contact; delete is refused while any returns a reason.
DeleteGuard = Callable[[Session, int], str | None]
DELETE_GUARDS: list[DeleteGuard] = []


def search_document(name: str, email: str, phone: str) -> str:
    """What the trigram index sees: lower-cased name, email, phone and the phone's digits."""
    digits = re.sub(r"\D", "", phone or "")
    return " ".join(p for p in (name.lower(), email.lower(), (phone or "").lower(), digits) if p)


def _terms(query: str) -> list[str]:
    """Search words, lower-cased; a phone-like query is reduced to its digits.

    Control characters are dropped first (whitespace ones count as a space): a NUL or an
    escape sequence typed or pasted into the search is no part of any contact.
    """
    q = search_input(query or "").strip().lower()
    if not q:
        return []
    if PHONEISH.match(q) and sum(c.isdigit() for c in q) >= 3:
        return [re.sub(r"\D", "", q)]
    words = q.split()
    if len(words) > 1 and any(len(w) < 3 for w in words):
        # "de luca", "di bari": a short word only means something next to its neighbour,
        # and as one phrase the whole query goes to the trigram index.
        return [" ".join(words)]
    return words


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _prefix_bound(prefix: str) -> str | None:
    """The least string above every string that starts with `prefix`, in code point order
    (SQLite's binary collation, PostgreSQL's "C"); None when there is none."""
    last = ord(prefix[-1]) + 1
    if last == 0xD800:  # no string holds a surrogate
        last = 0xE000
    return None if last > 0x10FFFF else prefix[:-1] + chr(last)


def _match_clause(session: Session, terms: list[str]):
    """A WHERE clause for `terms`, always answered by an index, never a scan of the table.

    Words of three or more characters go to the trigram index (SQLite FTS5 trigram,
    PostgreSQL pg_trgm); a query of only shorter words matches the start of the name.
    """
    long_terms = [t for t in terms if len(t) >= 3]
    if not long_terms:
        prefix = " ".join(terms)
        above = _prefix_bound(prefix)
        if above is None:
            return Contact.sort_key >= prefix
        return and_(Contact.sort_key >= prefix, Contact.sort_key < above)
    if session.get_bind().dialect.name == "sqlite":
        fts_query = " AND ".join(_fts_phrase(t) for t in long_terms)
        clause = Contact.id.in_(
            text("SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH :fts")
            .bindparams(fts=fts_query))
    else:
        clause = and_(*[Contact.search_doc.like(f"%{_like_escape(t)}%", escape="\\")
                        for t in long_terms])
    short = [t for t in terms if len(t) < 3]
    if short:
        clause = and_(clause, *[Contact.search_doc.like(f"%{_like_escape(t)}%", escape="\\")
                                for t in short])
    return clause


def _sqlite_fts_count(session: Session, terms: list[str], cap: int | None = None) -> int:
    """Matches counted from the trigram index (its doclists), short words checked per match."""
    long_terms = [t for t in terms if len(t) >= 3]
    short = [t for t in terms if len(t) < 3]
    params: dict[str, Any] = {"fts": " AND ".join(_fts_phrase(t) for t in long_terms)}
    if short:
        where = " AND ".join(f"instr(c.search_doc, :s{i}) > 0" for i in range(len(short)))
        params.update({f"s{i}": t for i, t in enumerate(short)})
        inner = ("SELECT 1 FROM contacts_fts f CROSS JOIN contacts c ON c.id = f.rowid "
                 f"WHERE contacts_fts MATCH :fts AND {where}")
    else:
        inner = "SELECT 1 FROM contacts_fts WHERE contacts_fts MATCH :fts"
    if cap is not None:
        inner += f" LIMIT {int(cap)}"
    return session.execute(text(f"SELECT count(*) FROM ({inner})"), params).scalar()


def _uses_sqlite_fts(session: Session, terms: list[str]) -> bool:
    return bool(terms) and any(len(t) >= 3 for t in terms) and (
        session.get_bind().dialect.name == "sqlite")


def count_contacts(ctx: ServiceContext, query: str = "", *,
                   cancel: SearchCancel | None = None) -> int:
    """How many contacts match `query` (all of them when empty), counted in SQL.

    `cancel`: a token another thread may use to stop this count (raises SearchCancelled).
    """
    terms = _terms(query)

    def body(session: Session) -> int:
        require(session, ctx, READ)
        if _uses_sqlite_fts(session, terms):
            return _sqlite_fts_count(session, terms)
        q = select(func.count()).select_from(Contact)
        if terms:
            q = q.where(_match_clause(session, terms))
        return session.scalar(q)

    return run_cancellable(cancel, ctx.db.reading, body)


_LIST_COLS = "c.id, c.name, c.email, c.phone, c.language, c.tags, c.created_at, c.sort_key"
NAME_ORDER, NEWEST_FIRST = "name", "new"


def _row(c, mode: str) -> ContactRow:
    key = (mode, c.sort_key, c.id) if mode == NAME_ORDER else (mode, c.id)
    return ContactRow(id=c.id, name=c.name, email=c.email, phone=c.phone, language=c.language,
                      tags=c.tags or [], created_at=c.created_at, key=key)


def _capped_count(session: Session, terms: list[str], cap: int) -> int:
    if _uses_sqlite_fts(session, terms):
        return _sqlite_fts_count(session, terms, cap)
    inner = select(Contact.id).where(_match_clause(session, terms)).limit(cap).subquery()
    return session.scalar(select(func.count()).select_from(inner))


def result_order(ctx: ServiceContext, query: str) -> str:
    """How `list_contacts` orders this query: by name, or newest first for large result sets."""
    terms = _terms(query)
    if not terms or all(len(t) < 3 for t in terms):
        return NAME_ORDER
    with ctx.db.reading() as session:
        return _order_for(session, terms, None)


def _order_for(session: Session, terms: list[str], key) -> str:
    # Sorting more than SORT_MATCHES_LIMIT matches by name costs more than a keystroke may;
    # an index walk in name order is no escape (a first name clusters its matches), so large
    # result sets come newest first, straight from the index's row order.
    if key is not None:
        return key[0]
    if not terms or all(len(t) < 3 for t in terms):
        return NAME_ORDER
    n = _capped_count(session, terms, SORT_MATCHES_LIMIT + 1)
    return NAME_ORDER if n <= SORT_MATCHES_LIMIT else NEWEST_FIRST


def _sqlite_search_page(session: Session, terms: list[str], window: Window, mode: str) -> list:
    """A window of trigram matches on SQLite, driven by the FTS5 index."""
    params: dict[str, Any] = {"limit": window.limit, "offset": window.offset or 0,
                              "fts": " AND ".join(_fts_phrase(t) for t in terms if len(t) >= 3)}
    conds = ["contacts_fts MATCH :fts"]
    for i, t in enumerate(t for t in terms if len(t) < 3):
        conds.append(f"instr(c.search_doc, :t{i}) > 0")
        params[f"t{i}"] = t
    descending = window.before is not None or window.from_end
    if mode == NAME_ORDER:
        if window.after is not None:
            conds.append("(c.sort_key, c.id) > (:ak, :ai)")
            params["ak"], params["ai"] = window.after[1:]
        if window.before is not None:
            conds.append("(c.sort_key, c.id) < (:bk, :bi)")
            params["bk"], params["bi"] = window.before[1:]
        order = "c.sort_key DESC, c.id DESC" if descending else "c.sort_key, c.id"
    else:  # display order is id descending
        if window.after is not None:
            conds.append("f.rowid < :ai")
            params["ai"] = window.after[1]
        if window.before is not None:
            conds.append("f.rowid > :bi")
            params["bi"] = window.before[1]
        order = "f.rowid" if descending else "f.rowid DESC"
    sql = (f"SELECT {_LIST_COLS} FROM contacts_fts f CROSS JOIN contacts c ON c.id = f.rowid "
           f"WHERE {' AND '.join(conds)} ORDER BY {order} LIMIT :limit OFFSET :offset")
    stmt = text(sql).columns(Contact.id, Contact.name, Contact.email, Contact.phone,
                             Contact.language, Contact.tags, Contact.created_at,
                             Contact.sort_key)
    rows = list(session.execute(stmt, params))
    return rows[::-1] if descending else rows


def list_contacts(ctx: ServiceContext, query: str = "", window: Window | None = None, *,
                  cancel: SearchCancel | None = None) -> list[ContactRow]:
    """One window of the contacts matching `query`, keyset-paginated.

    Name order (keyset on name, id), except for a search with more than SORT_MATCHES_LIMIT
    matches, which comes newest first; each row's key carries the order it belongs to.
    `cancel`: a token another thread may use to stop this search (raises SearchCancelled).
    """
    window = window or Window()
    terms = _terms(query)
    return run_cancellable(cancel, ctx.db.reading,
                           lambda session: _list(session, ctx, terms, window))


def _list(session: Session, ctx: ServiceContext, terms: list[str], window: Window
          ) -> list[ContactRow]:
    require(session, ctx, READ)
    mode = _order_for(session, terms, window.after or window.before)
    if _uses_sqlite_fts(session, terms):
        return [_row(r, mode) for r in _sqlite_search_page(session, terms, window, mode)]
    q = select(Contact.id, Contact.name, Contact.email, Contact.phone, Contact.language,
               Contact.tags, Contact.created_at, Contact.sort_key)
    if terms:
        q = q.where(_match_clause(session, terms))
    descending = window.before is not None or window.from_end
    if mode == NAME_ORDER:
        key = tuple_(Contact.sort_key, Contact.id)
        if window.after is not None:
            q = q.where(key > tuple(window.after[1:]))
        if window.before is not None:
            q = q.where(key < tuple(window.before[1:]))
        q = q.order_by(*((Contact.sort_key.desc(), Contact.id.desc()) if descending
                         else (Contact.sort_key, Contact.id)))
    else:
        if window.after is not None:
            q = q.where(Contact.id < window.after[1])
        if window.before is not None:
            q = q.where(Contact.id > window.before[1])
        q = q.order_by(Contact.id if descending else Contact.id.desc())
    if window.offset:
        q = q.offset(window.offset)
    rows = [_row(r, mode) for r in session.execute(q.limit(window.limit))]
    return rows[::-1] if descending else rows


def _to_out(c: Contact) -> ContactOut:
    return ContactOut(id=c.id, name=c.name, email=c.email, phone=c.phone, language=c.language,
                      tags=list(c.tags or []), notes=c.notes, created_at=c.created_at,
                      updated_at=c.updated_at, updated_by=c.updated_by, version=c.row_version)


def _snapshot(c: Contact) -> dict[str, Any]:
    return {f: (list(getattr(c, f)) if f == "tags" else getattr(c, f)) for f in EDITABLE}


def get_contact(ctx: ServiceContext, contact_id: int) -> ContactOut:
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        c = session.get(Contact, contact_id)
        if c is None:
            raise NotFound(_("Contact {id} does not exist (deleted?).").format(id=contact_id))
        return _to_out(c)


def validate_contact(data: dict) -> ContactInput:
    """Validate form input without writing; raises ValidationFailed with a message per field."""
    try:
        return ContactInput.model_validate(data)
    except ValidationError as exc:
        raise field_errors(exc) from None


def _email_taken(session: Session, email: str, except_id: int | None = None) -> bool:
    q = select(Contact.id).where(Contact.email_key == email.lower())
    if except_id is not None:
        q = q.where(Contact.id != except_id)
    return session.scalar(q) is not None


def _apply(c: Contact, inp: ContactInput) -> None:
    # lower() can lengthen a name ("İ" → "i̇"); the key column holds 200 characters.
    c.name, c.sort_key = inp.name, inp.name.lower()[:200]
    c.email, c.email_key = inp.email, inp.email.lower()
    c.phone, c.language, c.tags, c.notes = inp.phone, inp.language, inp.tags, inp.notes
    c.search_doc = search_document(inp.name, inp.email, inp.phone)


EMAIL_TAKEN = "This email address belongs to another contact."


def create_contact(ctx: ServiceContext, data: dict, *, now: datetime | None = None
                   ) -> ContactOut:
    """A new contact; `now` stamps it and its audit record (`kontor contacts add --at`)."""
    inp = validate_contact(data)
    with ctx.db.transaction() as session:
        require(session, ctx, "contacts.write")
        if _email_taken(session, inp.email):
            raise ValidationFailed({"email": _(EMAIL_TAKEN)})
        now = now or utcnow()
        c = Contact(created_at=now, updated_at=now, updated_by=ctx.operator)
        _apply(c, inp)
        session.add(c)
        try:
            session.flush()
        except IntegrityError:  # a concurrent create took the address first
            raise ValidationFailed({"email": _(EMAIL_TAKEN)}) from None
        audit.record(session, ctx, "contact", c.id, "create", None, _snapshot(c), at=now)
        return _to_out(c)


KIND = _uow.Kind(
    model=Contact, entity="contact",
    not_found=lambda cid: _("Contact {id} does not exist (deleted?).").format(id=cid),
    changed=lambda by, at: _("This contact was changed by {by} at {at} — reload to see their "
                             "change.").format(by=by, at=at),
    meanwhile=lambda: _("This contact was changed by someone else meanwhile — reload."))


def _load_for_write(session: Session, contact_id: int, expected_version: int) -> Contact:
    return _uow.load_for_write(session, KIND, contact_id, expected_version)


def update_contact(ctx: ServiceContext, contact_id: int, data: dict, *,
                   expected_version: int) -> ContactOut:
    """Save the form; refuses (Conflict) when someone saved since `expected_version` was read."""
    inp = validate_contact(data)
    with ctx.db.transaction() as session:
        require(session, ctx, "contacts.write")
        c = _load_for_write(session, contact_id, expected_version)
        if _email_taken(session, inp.email, except_id=contact_id):
            raise ValidationFailed({"email": _(EMAIL_TAKEN)})
        before = _snapshot(c)
        _apply(c, inp)
        after = _snapshot(c)
        if after == before:
            return _to_out(c)
        try:
            _uow.save(session, ctx, KIND, c, "update", before, after)
        except IntegrityError:
            raise ValidationFailed({"email": _(EMAIL_TAKEN)}) from None
        return _to_out(c)


def delete_contact(ctx: ServiceContext, contact_id: int, *, expected_version: int) -> None:
    """Delete a contact who holds nothing active; the audit trail keeps what they were."""
    with ctx.db.transaction() as session:
        require(session, ctx, "contacts.write")
        c = _load_for_write(session, contact_id, expected_version)
        reasons = [r for guard in DELETE_GUARDS if (r := guard(session, contact_id))]
        if reasons:
            raise ValidationFailed({"_": _("Cannot delete: {reasons}.").format(
                reasons="; ".join(reasons))})
        before = _snapshot(c)
        session.delete(c)
        _uow.flush(session, KIND)
        audit.record(session, ctx, "contact", contact_id, "delete", before, None)


def contact_history(ctx: ServiceContext, contact_id: int, limit: int = 200):
    return audit.history(ctx, "contact", contact_id, limit=limit)


__all__ = [
    "DELETE_GUARDS",
    "contact_history",
    "count_contacts",
    "create_contact",
    "delete_contact",
    "get_contact",
    "list_contacts",
    "search_document",
    "update_contact",
    "validate_contact",
]


def _billing_guard(session: Session, contact_id: int) -> str | None:
    """A contact with a live subscription, or with invoices to keep, cannot be deleted."""
    from core.models.invoices import Invoice
    from core.models.subscriptions import LIVE_STATES, Subscription

    live = session.scalar(select(func.count()).select_from(Subscription).where(
        Subscription.contact_id == contact_id, Subscription.state.in_(LIVE_STATES)))
    if live:
        return _("{n} live subscription(s); cancel or expire them first").format(n=live)
    if session.scalar(select(Subscription.id).where(Subscription.contact_id == contact_id)
                      .limit(1)) is not None or session.scalar(
            select(Invoice.id).where(Invoice.contact_id == contact_id).limit(1)) is not None:
        return _("billing history (subscriptions and invoices) that must be kept")
    return None


DELETE_GUARDS.append(_billing_guard)


def ensure_by_email(session: Session, ctx: ServiceContext, email: str,
                    name: str | None = None, *, now: datetime | None = None
                    ) -> tuple[Contact, bool]:
    """The contact with `email` (case-insensitive), or a new one named `name` or the
    address's local part, inside the caller's transaction (audited). (contact, created)."""
    address = (email or "").strip()
    existing = session.scalar(select(Contact).where(Contact.email_key == address.lower()))
    if existing is not None:
        return existing, False
    inp = validate_contact({"name": (name or "").strip() or address.split("@", 1)[0],
                            "email": address})
    require(session, ctx, "contacts.write")
    at = now or utcnow()
    c = Contact(created_at=at, updated_at=at, updated_by=ctx.operator)
    _apply(c, inp)
    session.add(c)
    session.flush()
    audit.record(session, ctx, "contact", c.id, "create", None, _snapshot(c), at=at)
    return c, True
