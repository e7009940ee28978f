"""The plan list at 100,000 plans: count, keyset windows, sort by any column, export.

Every function takes the one filter state `core.plan_query.PlanFilter`; the console's plan
list, the CLI (`kontor plans list --filter …`) and the tests call the same functions.

* `count_plans(ctx, f)` — how many plan versions match (SQL count).
* `list_plans_window(ctx, f, sort, window)` — one window of `PlanRow`s in `sort` order,
  keyset-paginated on (sort column(s), id): pass a row's `key` as `Window(after=…)` for the
  next window, `Window(before=…)` for the previous one, `Window(from_end=True)` for the last.
* `export_plans(ctx, f, sort, fmt)` / `write_plans(..., out)` — exactly the rows the list shows,
  as CSV (the list columns) or JSON (Reepay plan objects), streamed window by window.

Dates of the created filter are local days in the account time zone (setting
`account_timezone`, default Europe/Berlin); `today` defaults to that zone's date.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time
from typing import Any, Literal, TextIO
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Integer, Text, and_, case, false, func, literal, or_, select, text, tuple_
from sqlalchemy import bindparam as sa_bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from core.billing.terms import MINOR_UNITS
from core.errors import ValidationFailed
from core.i18n import N_, _, ngettext
from core.limits import fold, search_words
from core.models import Plan
from core.money import CODES_BY_EXPONENT, to_major_str
from core.plan_query import NumRange, PlanFilter, amount_bounds, created_range
from core.plan_text import WEEKDAYS, billing_frequency_text  # noqa: F401 (re-exported)
from core.schemas.common import Key, Window
from core.services.context import READ, ServiceContext, require
from core.services.settings import account_zone

# The list columns in the seed's order (status, name, handle, version, created, trial,
# amount, billing frequency); every one is sortable.
COLUMNS: tuple[str, ...] = ("state", "name", "handle", "version", "created", "trial", "amount",
                            "billing_frequency")
COLUMN_LABELS: dict[str, str] = {
    "state": N_("Status"), "name": N_("Name"), "handle": N_("Handle"),
    "version": N_("Version"), "created": N_("Created"), "trial": N_("Trial"),
    "amount": N_("Amount"), "billing_frequency": N_("Billing frequency"),
}
SortColumn = Literal["state", "name", "handle", "version", "created", "trial", "amount",
                     "billing_frequency"]
EXPORT_WINDOW = 1000
# Below this many matches a window sorts the matches; above, it walks the sort index.
SORT_MATCHES_LIMIT = 3000


class PlanSort(BaseModel):
    """The list order: a column of COLUMNS, ascending or descending (ties broken by id)."""

    model_config = ConfigDict(frozen=True)

    column: SortColumn = "created"
    descending: bool = True

    @classmethod
    def parse(cls, spec: str) -> PlanSort:
        """"amount", "amount:desc", "created:asc"; raises ValidationFailed."""
        col, _sep, direction = (spec or "").strip().partition(":")
        col = col.strip().lower() or "created"
        direction = direction.strip().lower()
        if col not in COLUMNS or direction not in ("", "asc", "desc"):
            raise ValidationFailed({"sort": _(
                "Sort by one of {columns}, optionally :asc or :desc.").format(
                columns=", ".join(COLUMNS))})
        return cls(column=col, descending=direction == "desc" or (
            direction == "" and col == "created"))

    def text(self) -> str:
        return f"{self.column}:{'desc' if self.descending else 'asc'}"


DEFAULT_SORT = PlanSort()


class PlanRow(BaseModel):
    """One row of the plan list. `amount` is in minor units of `currency`; `trial` and
    `billing_frequency` are display texts in the current language; `key` positions a Window."""

    model_config = ConfigDict(frozen=True)

    id: int
    handle: str
    name: str
    version: int
    state: str
    created: datetime
    trial: str | None
    amount: int
    currency: str
    billing_frequency: str
    key: Key


# -- display texts -----------------------------------------------------------------------------


def trial_text(length: int | None, unit: str | None) -> str | None:
    """"14 days", "1 month"; None without a trial."""
    if not length or not unit:
        return None
    if unit == "months":
        return ngettext("{n} month", "{n} months", length).format(n=length)
    return ngettext("{n} day", "{n} days", length).format(n=length)


def per_period_text(schedule_type: str, interval_length: int) -> str:
    """What "per period" means for an amount: "per month", "every 3 months", "per year",
    "per week", "every 10 days"; "" for manual plans (no periods)."""
    n = interval_length or 1
    if schedule_type == "manual":
        return ""
    if schedule_type == "daily":
        return _("per day") if n == 1 else _("every {n} days").format(n=n)
    if schedule_type == "weekly_fixedday":
        return _("per week") if n == 1 else _("every {n} weeks").format(n=n)
    if n % 12 == 0:
        return _("per year") if n == 12 else _("every {n} years").format(n=n // 12)
    return _("per month") if n == 1 else _("every {n} months").format(n=n)


def amount_text(amount: int, currency: str) -> str:
    """Minor units as a plain decimal in major units: 999 EUR → "9.99", 500 JPY → "500"."""
    return to_major_str(amount, currency if (currency or "").upper() in MINOR_UNITS else "EUR")


# -- SQL ---------------------------------------------------------------------------------------

_T = Plan.__table__
_LIST_COLS = (_T.c.id, _T.c.handle, _T.c.name, _T.c.version, _T.c.state, _T.c.created,
              _T.c.trial_interval_length, _T.c.trial_interval_unit, _T.c.amount, _T.c.currency,
              _T.c.schedule_type, _T.c.interval_length, _T.c.schedule_fixed_day)


def _sort_exprs(column: str) -> list:
    """The ORDER BY of a list column; the last expression(s) make it unique."""
    c = _T.c
    return {
        "state": [c.state, c.created, c.id],
        "name": [c.name, c.id],
        "handle": [c.handle, c.version],
        "version": [c.version, c.id],
        "created": [c.created, c.id],
        "trial": [func.coalesce(c.trial_interval_length, 0) * case(
            (c.trial_interval_unit == "months", 30), else_=1), c.id],
        "amount": [c.amount, c.id],
        "billing_frequency": [c.schedule_type, c.interval_length, c.id],
    }[column]


# The index that walks each sort order (SQLite; PostgreSQL's planner chooses on statistics).
# handle: SQLite's unique index (handle, version) has no name to give; the planner finds it.
_SORT_INDEX = {"state": "ix_plans_state", "name": "ix_plans_name",
               "version": "ix_plans_version",
               "created": "ix_plans_created", "amount": "ix_plans_amount",
               "billing_frequency": "ix_plans_frequency"}
# The stored word columns of the word filters (migration 0004).
_WORD_COLUMNS = {"description": "description_words", "setup_fee_text": "setup_fee_words"}


def _word_tokens(words: Sequence[str]) -> list[str]:
    """What the word indexes see of the typed words: `core.limits.search_words`."""
    out: list[str] = []
    for w in words:
        for t in search_words(w):
            if t not in out:
                out.append(t)
    return out


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _in_or_eq(col, values: Sequence[str]):
    return col == values[0] if len(values) == 1 else col.in_(values)


def _range(col, r):
    if r.exact:
        return col == r.lo
    parts = []
    if r.lo is not None:
        parts.append(col >= r.lo)
    if r.hi is not None:
        parts.append(col <= r.hi)
    return and_(*parts)


def _amount_clause(c, r):
    """`amount` per currency exponent (core.plan_query.amount_bounds): EUR-like codes, the
    common case, are "not one of the others", so the index on amount serves it."""
    groups = amount_bounds(r)
    others = [code for exp, codes in CODES_BY_EXPONENT.items() if exp != 2 for code in codes]
    parts = []
    for exp, lo, hi in groups:
        where = c.currency.notin_(others) if exp == 2 else c.currency.in_(CODES_BY_EXPONENT[exp])
        parts.append(and_(where, _range(c.amount, NumRange.model_construct(lo=lo, hi=hi))))
    return or_(*parts) if parts else false()


def _local_midnight(d: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, time(0), tzinfo=tz)


def where_clauses(f: PlanFilter, *, dialect: str, today: date, tz: ZoneInfo) -> list:
    """The SQL conditions of `f` (ANDed); each is answered by an index."""
    return _compile(f, dialect, today, tz).clauses


class _Compiled:
    """A filter's conditions, plus what the SQLite strategy needs to know about them."""

    def __init__(self) -> None:
        self.clauses: list = []
        self.fts: list[tuple[str, str]] = []   # SQLite: (fts table, MATCH query)
        self.handle = False                     # an exact handle: its unique index decides
        self.scan = False                       # a condition no index answers (short name)


def _compile(f: PlanFilter, dialect: str, today: date, tz: ZoneInfo) -> _Compiled:
    c = _T.c
    out = _Compiled()
    w = out.clauses
    start, end = created_range(f, today)
    if start is not None:
        w.append(c.created >= _local_midnight(start, tz))
    if end is not None:
        w.append(c.created < _local_midnight(end, tz))
    if f.handle:
        w.append(c.handle == f.handle)
        out.handle = True
    for key in ("state", "schedule_type", "partial_period_handling", "setup_fee_handling",
                "fixed_life_time_unit", "trial_interval_unit"):
        values = getattr(f, key)
        if values:
            w.append(_in_or_eq(c[key], values))
    if f.dunning_plan:
        w.append(c.dunning_plan == f.dunning_plan)
    if f.amount is not None:
        w.append(_amount_clause(c, f.amount))
    for key in ("quantity", "fixed_count", "trial_interval_length",
                "interval_length", "schedule_fixed_day", "renewal_reminder_email_days",
                "trial_reminder_email_days"):
        r = getattr(f, key)
        if r is not None:
            w.append(_range(c[key], r))
    if f.name:
        frag = fold(f.name)
        if dialect == "sqlite" and len(frag) >= 3:
            # The trigram index over the folded name: a phrase of the trigrams = the substring.
            match = '"' + frag.replace('"', '""') + '"'
            out.fts.append(("plans_name_fts", match))
            w.append(_fts_in("plans_name_fts", match, "name_match"))
        elif dialect == "sqlite":  # one or two characters: no trigram, a scan of the column
            w.append(func.instr(c.name_fold, frag) > 0)
            out.scan = True
        else:
            w.append(c.name_fold.like(f"%{_like_escape(frag)}%", escape="\\"))
    words = {k: _word_tokens(getattr(f, k)) for k in ("description", "setup_fee_text")}
    if any(words.values()):
        if dialect == "sqlite":
            match = " AND ".join(f'{_WORD_COLUMNS[col]} : "{t}"'
                                 for col, ts in words.items() for t in ts)
            out.fts.append(("plans_fts", match))
            w.append(_fts_in("plans_fts", match, "words_match"))
        else:
            w.append(_pg_words(words))
    return out


def _fts_in(table: str, match: str, param: str):
    return _T.c.id.in_(text(f"SELECT rowid FROM {table} WHERE {table} MATCH :{param}")
                       .bindparams(**{param: match}))


def _pg_words(words: dict[str, list[str]]):
    """Every word in the plan's word array (GIN on string_to_array of the word column)."""
    parts = []
    for col, ts in words.items():
        if not ts:
            continue
        column = _WORD_COLUMNS[col]
        param = f"words_{col}"
        parts.append(text(f"string_to_array({column}, ' ') @> CAST(:{param} AS text[])")
                     .bindparams(sa_bindparam(param, list(ts), type_=ARRAY(Text))))
    return and_(*parts)


def account_today(ctx: ServiceContext) -> date:
    """Today in the account time zone: what `today` means in queries and presets."""
    with ctx.db.reading() as session:
        return datetime.now(account_zone(session)).date()


def _compiled(session: Session, f: PlanFilter, today: date | None) -> _Compiled:
    dialect = session.get_bind().dialect.name
    if f.created == "all":  # no dates involved: spare the time zone lookup
        return _compile(f, dialect, today or date.today(), ZoneInfo("UTC"))
    tz = account_zone(session)
    return _compile(f, dialect, today or datetime.now(tz).date(), tz)


# -- count and windows -------------------------------------------------------------------------
#
# PostgreSQL's planner has statistics and combines indexes (bitmap AND); it gets the plain
# query. SQLite uses one index per table and guesses without statistics, so the strategy is
# explicit there (measured at 100,000 plans, see benchmarks/plan_list.py):
#
# * column filters only: count by scanning the covering index ix_plans_list; windows walk it
#   in created order (newest first stops after the window) and fetch the window's rows by id;
#   other sort orders walk their own index when matches are many, else sort the matches.
# * name fragments and words: the FTS5 indexes give the matching ids, the rest is checked
#   per id; with many matches the window walks the sort order instead.
# * an exact handle: its unique index.

_LIST_INDEX = "ix_plans_list"


def _render_sqlite_table_hints() -> None:
    """SQLAlchemy's SQLite dialect drops `Select.with_hint(...)`; SQLite's table hints are
    `INDEXED BY <index>` and `NOT INDEXED` after the table name. Render them."""
    from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
    from sqlalchemy.sql.compiler import SQLCompiler

    if SQLiteCompiler.get_from_hint_text is SQLCompiler.get_from_hint_text:
        SQLiteCompiler.get_from_hint_text = lambda self, table, text: text


_render_sqlite_table_hints()


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _count(session: Session, comp: _Compiled) -> int:
    if _sqlite(session) and len(comp.clauses) == 1 and len(comp.fts) == 1:
        table, match = comp.fts[0]  # the FTS index counts its own matches
        return session.execute(text(f"SELECT count(*) FROM {table} WHERE {table} MATCH :m"),
                               {"m": match}).scalar()
    q = select(func.count()).select_from(_T).where(*comp.clauses)
    # One column condition: its own (column, id) index covers the count.
    if _sqlite(session) and len(comp.clauses) > 1 and not comp.handle:
        q = q.with_hint(_T, "NOT INDEXED" if comp.fts or comp.scan
                        else f"INDEXED BY {_LIST_INDEX}", "sqlite")
    return session.scalar(q)


def count_plans(ctx: ServiceContext, f: PlanFilter | None = None, *,
                today: date | None = None) -> int:
    """How many plan versions match `f` (all when None), counted in SQL."""
    f = f or PlanFilter()
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        return _count(session, _compiled(session, f, today))


def _row(r, sort: PlanSort) -> PlanRow:
    values = _key_of(r, sort.column)
    return PlanRow(
        id=r.id, handle=r.handle, name=r.name, version=r.version, state=r.state,
        created=r.created, trial=trial_text(r.trial_interval_length, r.trial_interval_unit),
        amount=r.amount, currency=r.currency,
        billing_frequency=billing_frequency_text(r.schedule_type, r.interval_length,
                                                 r.schedule_fixed_day),
        key=(sort.column, sort.descending, *values))


def _key_of(r, column: str) -> tuple:
    if column == "state":
        return (r.state, r.created, r.id)
    if column == "handle":
        return (r.handle, r.version)
    if column == "trial":
        n = r.trial_interval_length or 0
        return (n * (30 if r.trial_interval_unit == "months" else 1), r.id)
    if column == "billing_frequency":
        return (r.schedule_type, r.interval_length, r.id)
    return (getattr(r, column), r.id)


def _key_values(key: Key, sort: PlanSort) -> tuple:
    exprs = _sort_exprs(sort.column)
    if (not isinstance(key, (tuple, list)) or len(key) != 2 + len(exprs)
            or key[0] != sort.column or bool(key[1]) != sort.descending):
        raise ValidationFailed({"window": _("This position belongs to another sort order; "
                                            "start from the top.")})
    values = list(key[2:])
    for i, expr in enumerate(exprs):
        if expr is _T.c.created and isinstance(values[i], str):
            values[i] = datetime.fromisoformat(values[i])
    return tuple(values)


def _keyset(sort: PlanSort, values: tuple, after: bool):
    exprs = _sort_exprs(sort.column)
    bound = tuple_(*[literal(v, type_=getattr(e, "type", Integer()))
                     for v, e in zip(values, exprs)])
    key = tuple_(*exprs)
    forward = after != sort.descending  # after in ascending order → greater
    return key > bound if forward else key < bound


def _fts_capped_count(session: Session, comp: _Compiled, cap: int) -> int:
    """An upper bound of the matches: the smallest FTS match count (capped)."""
    counts = []
    for table, match in comp.fts:
        counts.append(session.execute(text(
            f"SELECT count(*) FROM (SELECT rowid FROM {table} WHERE {table} MATCH :m "
            f"LIMIT {int(cap)})"), {"m": match}).scalar())
    return min(counts)


def _window_query(session: Session, comp: _Compiled, sort: PlanSort, window: Window,
                  columns=_LIST_COLS, limit: int | None = None):
    """The SELECT of one window, in fetch order; returns (query, reversed?)."""
    exprs = _sort_exprs(sort.column)
    reverse = window.before is not None or window.from_end
    limit = limit or window.limit
    conds = list(comp.clauses)
    if window.after is not None:
        conds.append(_keyset(sort, _key_values(window.after, sort), after=True))
    if window.before is not None:
        conds.append(_keyset(sort, _key_values(window.before, sort), after=False))
    fetch_desc = sort.descending != reverse
    order = [e.desc() if fetch_desc else e.asc() for e in exprs]
    offset = window.offset or 0

    def plain():
        return select(*columns).where(*conds).order_by(*order).offset(offset).limit(limit)

    if not _sqlite(session) or comp.handle:
        return plain(), reverse
    sort_index = _SORT_INDEX.get(sort.column)
    if not comp.clauses:
        if sort_index is not None or sort.column == "handle":
            return plain(), reverse
        return _by_ids(columns, _ids(conds, order, offset, limit, _LIST_INDEX), order), reverse
    if comp.scan and not comp.fts:
        # A 1–2-character name fragment: one scan of the table finds up to 3,001 matches
        # (it stops early when they are many); few are then sorted by id lookups, instead of
        # walking the whole created index for a fragment that (almost) never occurs.
        ids = list(session.scalars(select(_T.c.id).where(*comp.clauses)
                                   .with_hint(_T, "NOT INDEXED", "sqlite")
                                   .limit(SORT_MATCHES_LIMIT + 1)))
        if len(ids) <= SORT_MATCHES_LIMIT:
            return (select(*columns).where(_T.c.id.in_(ids), *conds[len(comp.clauses):])
                    .order_by(*order).offset(offset).limit(limit)), reverse
    if comp.fts or comp.scan:
        many = (_fts_capped_count(session, comp, SORT_MATCHES_LIMIT + 1) > SORT_MATCHES_LIMIT
                if comp.fts else True)
        if many and sort.column == "created":
            return _by_ids(columns, _ids(conds, order, offset, limit, _LIST_INDEX),
                           order), reverse
        if many and sort_index is not None:
            return plain().with_hint(_T, f"INDEXED BY {sort_index}", "sqlite"), reverse
        if many and sort.column == "handle":
            return plain(), reverse
        return plain().with_hint(_T, "NOT INDEXED", "sqlite"), reverse
    # column filters only
    if sort.column in ("created", "trial"):
        return _by_ids(columns, _ids(conds, order, offset, limit, _LIST_INDEX), order), reverse
    ids = list(session.scalars(
        select(_T.c.id).where(*comp.clauses).with_hint(_T, f"INDEXED BY {_LIST_INDEX}",
                                                       "sqlite")
        .limit(SORT_MATCHES_LIMIT + 1)))
    if len(ids) > SORT_MATCHES_LIMIT:
        if sort_index is None:  # handle
            return plain(), reverse
        return plain().with_hint(_T, f"INDEXED BY {sort_index}", "sqlite"), reverse
    q = (select(*columns).where(_T.c.id.in_(ids), *conds[len(comp.clauses):])
         .order_by(*order).offset(offset).limit(limit)
         .with_hint(_T, "NOT INDEXED", "sqlite"))
    return q, reverse


def _ids(conds: list, order: list, offset: int, limit: int, index: str):
    return (select(_T.c.id).where(*conds).order_by(*order).offset(offset).limit(limit)
            .with_hint(_T, f"INDEXED BY {index}", "sqlite").correlate(None))


def _by_ids(columns, ids, order):
    return (select(*columns).where(_T.c.id.in_(ids))
            .order_by(*order).with_hint(_T, "NOT INDEXED", "sqlite"))


def list_plans_window(ctx: ServiceContext, f: PlanFilter | None = None,
                      sort: PlanSort | None = None, window: Window | None = None, *,
                      today: date | None = None) -> list[PlanRow]:
    """One window of the plans matching `f`, in `sort` order (default: newest first).

    Rows come in display order also for `before`/`from_end` windows. Raises ValidationFailed
    when a window key belongs to another sort order.
    """
    f, sort, window = f or PlanFilter(), sort or DEFAULT_SORT, window or Window()
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        comp = _compiled(session, f, today)
        q, reverse = _window_query(session, comp, sort, window)
        rows = [_row(r, sort) for r in session.execute(q)]
        return rows[::-1] if reverse else rows


# -- export ------------------------------------------------------------------------------------

def reepay_object(r) -> dict[str, Any]:
    """A plan row as Reepay's API returns a plan (what `Plan.to_reepay()` gives)."""
    from core.schemas.plans import reepay_export

    return reepay_export(r)


def csv_header(columns: Sequence[str]) -> list[str]:
    """CSV columns for list columns: amount is followed by currency."""
    out: list[str] = []
    for c in columns:
        out.append(c)
        if c == "amount":
            out.append("currency")
    return out


def csv_record(row: PlanRow, columns: Sequence[str]) -> list[str]:
    out: list[str] = []
    for c in columns:
        if c == "amount":
            out += [amount_text(row.amount, row.currency), row.currency]
        elif c == "created":
            out.append(row.created.isoformat())
        else:
            v = getattr(row, c)
            out.append("" if v is None else str(v))
    return out


def _iter_windows(session: Session, comp: _Compiled, sort: PlanSort, columns
                  ) -> Iterator[list]:
    window = Window(limit=500)
    while True:
        q, _rev = _window_query(session, comp, sort, window, columns, limit=EXPORT_WINDOW)
        rows = list(session.execute(q))
        if not rows:
            return
        yield rows
        if len(rows) < EXPORT_WINDOW:
            return
        window = Window(after=(sort.column, sort.descending, *_key_of(rows[-1], sort.column)),
                        limit=500)


def write_plans(ctx: ServiceContext, f: PlanFilter | None, sort: PlanSort | None,
                fmt: Literal["csv", "json"], out: TextIO, *,
                columns: Sequence[str] | None = None, today: date | None = None) -> int:
    """Write every plan `f` matches to `out`, in `sort` order, window by window; returns the
    number of plans written.

    csv: the list columns (`columns`, default all of COLUMNS, in that order; amount in major
    units followed by currency). json: a list of plan objects with Reepay's field names, one
    per plan version, as `kontor plans show` prints them.
    """
    f, sort = f or PlanFilter(), sort or DEFAULT_SORT
    if fmt not in ("csv", "json"):
        raise ValidationFailed({"format": _("Choose csv or json.")})
    columns = tuple(columns or COLUMNS)
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise ValidationFailed({"columns": _("Unknown column {column}.").format(
            column=unknown[0])})
    n = 0
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        comp = _compiled(session, f, today)
        if fmt == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(csv_header(columns))
            for rows in _iter_windows(session, comp, sort, _LIST_COLS):
                writer.writerows(csv_record(_row(r, sort), columns) for r in rows)
                n += len(rows)
            return n
        out.write("[")
        for rows in _iter_windows(session, comp, sort, tuple(_T.c)):
            for r in rows:
                out.write(",\n  " if n else "\n  ")
                out.write(json.dumps(reepay_object(r), ensure_ascii=False))
                n += 1
        out.write("\n]\n" if n else "]\n")
        return n


def export_plans(ctx: ServiceContext, f: PlanFilter | None = None,
                 sort: PlanSort | None = None, fmt: Literal["csv", "json"] = "csv", *,
                 columns: Sequence[str] | None = None, today: date | None = None) -> str:
    """`write_plans` into a string (for small exports and tests; stream large ones)."""
    buf = io.StringIO()
    write_plans(ctx, f, sort, fmt, buf, columns=columns, today=today)
    return buf.getvalue()


__all__ = ["COLUMNS", "COLUMN_LABELS", "DEFAULT_SORT", "PlanRow", "PlanSort", "account_today",
           "amount_text", "billing_frequency_text", "count_plans", "export_plans",
           "list_plans_window", "reepay_object", "trial_text", "where_clauses", "write_plans"]
