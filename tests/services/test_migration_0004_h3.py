"""Migration 0004 (h3) backfills the folded name and the word columns of existing plans and
rebuilds their indexes; downgrading restores 0003's indexes."""

from __future__ import annotations

from datetime import date

from alembic import command
from sqlalchemy import select, text

from core.db import _alembic_config
from core.models import Plan
from core.plan_query import parse
from core.services import plan_catalogue as pc
from core.services import plans

TODAY = date(2025, 7, 15)
PLANS = [
    {"handle": "arzt", "name": "Ärzte Kurs", "description": "Fortbildung v1.5",
     "setup_fee": 500, "setup_fee_text": "via shop.example.com"},
    {"handle": "strasse", "name": "Straße der Kurse", "description": "İstanbul dersleri"},
]


def _found(ctx, query):
    f = parse(query, today=TODAY)
    rows = pc.list_plans_window(ctx, f, today=TODAY)
    assert pc.count_plans(ctx, f, today=TODAY) == len(rows)
    return {r.handle for r in rows}


def test_downgrade_and_upgrade_recompute_the_search_columns(db, admin):
    plans.import_plans(admin, [{"amount": 1000, "currency": "EUR",
                                "schedule_type": "month_startdate", **p} for p in PLANS])
    with db.engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0003")
    try:
        with db.engine.begin() as conn:  # 0003's word index is back and filled
            if db.dialect == "sqlite":
                assert conn.execute(text("SELECT count(*) FROM plans_fts "
                                         "WHERE plans_fts MATCH 'fortbildung'")).scalar() == 1
            else:
                assert conn.execute(text("SELECT count(*) FROM pg_indexes WHERE indexname = "
                                         "'ix_plans_description_words'")).scalar() == 1
    finally:
        with db.engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "head")
    with db.reading() as session:
        got = {p.handle: (p.name_fold, p.description_words, p.setup_fee_words)
               for p in session.scalars(select(Plan))}
    assert got["arzt"] == ("ärzte kurs", "fortbildung v1 5", "via shop example com")
    assert got["strasse"] == ("strasse der kurse", "i̇stanbul dersleri", "")
    assert _found(admin, "name:ä") == {"arzt"}
    assert _found(admin, "name:ss") == {"strasse"}
    assert _found(admin, "setup_fee_text:shop") == {"arzt"}
    assert _found(admin, "description:v1 description:5") == {"arzt"}
    assert _found(admin, "description:İstanbul") == {"strasse"}
