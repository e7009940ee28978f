"""Demo orders and accesses (issue 10): `kontor demo-data --orders N` and the demo database.

Orders go to the German, Italian and English demo contacts, on whatever offers the database
has. One-time offers are inserted in bulk (Core executemany in chunks, one transaction each:
2,000,000 orders for the benchmarks); a few recurring ones go through `orders.create_order`,
so their subscriptions and invoices are the real thing.

`ensure_demo_offers` imports the demo catalogue (demo_catalogue.py) when the database has no
offer at all (`kontor demo-data --orders N` on a fresh database).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from core.models import (
    Access,
    Contact,
    Offer,
    Order,
    OrderLine,
    OrderPayment,
    utcnow,
)
from core.services import audit
from core.services.context import ServiceContext, require

def ensure_demo_offers(ctx: ServiceContext, *, now: datetime | None = None) -> int:
    """The demo catalogue (core/services/demo_catalogue.py, with the demo plans it bills
    through) when the database has no offer yet; returns the number of offers."""
    from core.services.demo_billing import seed_demo_plans
    from core.services.demo_catalogue import seed_catalogue_demo

    with ctx.db.reading() as session:
        have = session.scalar(select(func.count()).select_from(Offer))
    if not have:
        seed_demo_plans(ctx)
        seed_catalogue_demo(ctx, now=now)
    with ctx.db.reading() as session:
        return session.scalar(select(func.count()).select_from(Offer))


# -- orders ----------------------------------------------------------------------------------

CHUNK = 50_000
_SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"
ORDER_COLS = ("id", "number", "contact_id", "ordered_at", "starts_at", "status", "payment",
              "external", "currency", "total", "product_id", "comment", "paid_at",
              "cancelled_at", "refunded_at", "created_at", "updated_at", "updated_by",
              "row_version")
LINE_COLS = ("id", "order_id", "position", "offer_id", "product_id", "quantity", "unit_price",
             "price_override", "vat_bp", "vat_amount", "total")
PAYMENT_COLS = ("id", "order_id", "kind", "due_at", "amount", "paid", "paid_at", "invoice_id")
ACCESS_COLS = ("id", "contact_id", "product_id", "offer_id", "order_id", "subscription_id",
               "group_id", "starts_at", "ends_at", "template", "individual", "pauses",
               "accepted", "status", "pending_cancellation_at", "cancelled_at", "deleted_at",
               "end_reason", "replaced_by_id", "created_at", "updated_at", "updated_by",
               "row_version")


def _reset_sequences(session, tables: tuple[str, ...]) -> None:
    if session.get_bind().dialect.name == "sqlite":
        return
    for t in tables:
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "
                             f"(SELECT COALESCE(MAX(id), 1) FROM {t}))"))


def generate_orders(ctx: ServiceContext, count: int, *, now: datetime | None = None,
                    seed: int = 13, progress=None, recurring: int | None = None,
                    chunk: int = CHUNK) -> int:
    """Insert `count` demo orders (with their line, payment and, once paid, access) over the
    two years before `now`; returns the number of orders in the database. Up to `recurring`
    (default count // 20, at most 40) are recurring orders made through the service."""
    from core.services import orders as order_service

    now = now or utcnow()
    rng = random.Random(seed)
    with ctx.db.transaction() as session:
        require(session, ctx, "orders.write")
        contact_ids = list(session.scalars(select(Contact.id).order_by(Contact.id)))
        offers = session.execute(select(Offer.id, Offer.handle, Offer.product_id,
                                        Offer.payment, Offer.price, Offer.currency)
                                 .where(Offer.archived_at.is_(None))).all()
    if not contact_ids or not offers or count <= 0:
        return _order_count(ctx)
    one_time = [o for o in offers if o.payment == "one_time" and o.price is not None]
    recurring_offers = [o for o in offers if o.payment != "one_time"]
    n_rec = min(count, recurring if recurring is not None else min(40, count // 20))
    if not recurring_offers:
        n_rec = 0
    if not one_time:
        n_rec = min(count, recurring if recurring is not None else count)
    # The hand-picked German, Italian and English contacts (the first ids) get one order each.
    first = contact_ids[:3] if one_time else []
    for i, cid in enumerate(first[:count]):
        order_service.create_order(ctx, {"contact_id": cid,
                                         "offer": one_time[i % len(one_time)].handle},
                                   now=now - timedelta(days=10 - i))
    n_rec = min(n_rec, count - len(first[:count]))
    for i in range(n_rec):
        offer = rng.choice(recurring_offers)
        moment = now - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 1440))
        order_service.create_order(ctx, {"contact_id": rng.choice(contact_ids[:5000]),
                                         "offer": offer.handle,
                                         "payment": "paid" if i % 5 else "pending"},
                                   now=moment)
    bulk = count - n_rec - len(first[:count]) if one_time else 0
    done = 0
    span = 2 * 365 * 24 * 60
    sqlite = ctx.db.dialect == "sqlite"
    mark = "?" if sqlite else "%s"
    base = now.astimezone(UTC).replace(tzinfo=None)  # naive UTC, as UTCDateTime stores it
    # The DB-API gets what SQLAlchemy's types would send: SQLite the text form of naive UTC.
    ts = (lambda d: d.strftime(_SQLITE_TS)) if sqlite else (lambda d: d)
    at_dt = (lambda v: datetime.strptime(v, _SQLITE_TS)) if sqlite else (lambda d: d)
    vat = {o.id: order_service.vat_inside(o.price, 1900) for o in one_time}
    while done < bulk:
        n = min(chunk, bulk - done)
        with ctx.db.transaction() as session:
            ids = session.execute(select(func.coalesce(func.max(Order.id), 0),
                                         func.coalesce(func.max(Order.number), 0))).one()
            first_line = session.scalar(select(func.coalesce(func.max(OrderLine.id), 0)))
            first_pay = session.scalar(select(func.coalesce(func.max(OrderPayment.id), 0)))
            first_access = session.scalar(select(func.coalesce(func.max(Access.id), 0)))
            o_rows: list[tuple] = []
            l_rows: list[tuple] = []
            p_rows: list[tuple] = []
            a_rows: list[tuple] = []
            for k in range(n):
                oid, number = ids[0] + k + 1, ids[1] + k + 1
                offer = rng.choice(one_time)
                contact = rng.choice(contact_ids)
                at = ts(base - timedelta(minutes=rng.randint(0, span)))
                r = rng.random()
                status = ("paid" if r < 0.8 else "pending" if r < 0.88
                          else "cancelled" if r < 0.95 else "refunded")
                external = status != "pending" and rng.random() < 0.1
                paid = status in ("paid", "refunded")
                refunded = status == "refunded"
                ended = ts(at_dt(at) + timedelta(days=5)) if refunded else None
                o_rows.append((
                    oid, number, contact, at, at, status, "one_time", external,
                    offer.currency, offer.price, offer.product_id, "", at if paid else None,
                    ts(at_dt(at) + timedelta(days=3)) if status == "cancelled" else None,
                    ended, at, at, ctx.operator, 1))
                l_rows.append((first_line + k + 1, oid, 1, offer.id, offer.product_id, 1,
                               offer.price, False, 1900, vat[offer.id], offer.price))
                p_rows.append((first_pay + k + 1, oid, "external" if external else "payment",
                               at, offer.price, paid, at if paid else None, None))
                if paid:
                    a_rows.append((
                        first_access + len(a_rows) + 1, contact, offer.product_id, offer.id,
                        oid, None, None, at, None, None, False, "[]", "[]",
                        "cancelled" if refunded else "active", None, ended, None,
                        "refunded" if refunded else None, None, at, at, ctx.operator, 1))
            cur = session.connection().connection.cursor()
            for table, cols, rows in ((Order.__table__, ORDER_COLS, o_rows),
                                      (OrderLine.__table__, LINE_COLS, l_rows),
                                      (OrderPayment.__table__, PAYMENT_COLS, p_rows),
                                      (Access.__table__, ACCESS_COLS, a_rows)):
                if rows:
                    cur.executemany(f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES "
                                    f"({', '.join([mark] * len(cols))})", rows)
            _reset_sequences(session, ("orders", "order_lines", "order_payments", "accesses"))
        done += n
        if progress:
            progress(done, bulk)
    with ctx.db.transaction() as session:
        audit.record(session, ctx, "order", "*", "generate_demo", None, {"count": count},
                     at=now)
    if sqlite and bulk:
        with ctx.db.engine.connect() as conn:  # planner statistics for the new rows
            conn.exec_driver_sql("ANALYZE orders")
            conn.commit()
    return _order_count(ctx)


def _order_count(ctx: ServiceContext) -> int:
    with ctx.db.reading() as session:
        return session.scalar(select(func.count()).select_from(Order))


__all__ = ["ensure_demo_offers", "generate_orders"]
