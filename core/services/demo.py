"""Demo and scale data: realistic German, Italian and English contacts, inserted in bulk."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from core.errors import DatabaseError
from core.i18n import _
from core.migrations.fts import FTS_INSERT_TRIGGER
from core.models import Contact, utcnow
from core.models.plans import search_columns
from core.services import audit
from core.services.context import ServiceContext, require

FIRST = {
    "de": ["Anna", "Lena", "Lukas", "Jonas", "Marie", "Sophie", "Felix", "Paul", "Lea", "Leon",
           "Hannah", "Finn", "Emma", "Ben", "Mia", "Elias", "Laura", "Tim", "Julia", "Jan",
           "Katharina", "Stefan", "Sabine", "Jürgen", "Birgit", "Uwe", "Monika", "Dieter",
           "Ursula", "Klaus", "Petra", "Thomas", "Andrea", "Michael", "Claudia", "Günther"],
    "it": ["Giulia", "Francesco", "Alessandro", "Sofia", "Lorenzo", "Martina", "Matteo",
           "Chiara", "Leonardo", "Aurora", "Marco", "Giorgia", "Andrea", "Federica", "Luca",
           "Elena", "Davide", "Sara", "Riccardo", "Valentina", "Simone", "Alessia", "Paolo",
           "Francesca", "Giuseppe", "Rosa", "Antonio", "Lucia", "Salvatore", "Carla"],
    "en": ["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Emily", "Charlie",
           "Grace", "Thomas", "Olivia", "James", "Sophia", "William", "Lily", "Henry", "Ella",
           "Alfie", "Poppy", "Daniel", "Chloe", "Samuel", "Ruby", "Joseph", "Evie"],
}
LAST = {
    "de": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
           "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
           "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann",
           "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier", "Lehmann", "Köhler"],
    "it": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
           "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa",
           "Giordano", "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro",
           "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini", "Leone"],
    "en": ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
           "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
           "Hall", "Wood", "Jackson", "Clarke", "Patel", "Khan", "Lewis", "James", "Phillips"],
}
DOMAINS = {"de": ["web.de", "gmx.de", "t-online.de", "posteo.de", "example.de"],
           "it": ["libero.it", "gmail.com", "virgilio.it", "alice.it", "example.it"],
           "en": ["gmail.com", "outlook.com", "yahoo.co.uk", "btinternet.com", "example.org"]}
PREFIX = {"de": "+49", "it": "+39", "en": "+44"}
TAGS = ["vip", "newsletter", "b2b", "student", "teacher", "alumni", "trial", "partner"]
ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", " ": ""})


COLUMNS = ("name", "sort_key", "email", "email_key", "phone", "language", "tags", "notes",
           "search_doc", "created_at", "updated_at", "updated_by", "row_version")
_TAG_CHOICES = ['[]'] * 3 + [f'["{t}"]' for t in TAGS] + ['["vip", "newsletter"]',
                                                         '["student", "trial"]']


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def fake_contact_rows(count: int, *, start: int = 0, seed: int = 7, now=None) -> list[tuple]:
    """`count` contact rows as tuples in COLUMNS order, unique emails; created is naive UTC,
    up to four years before `now` (default now)."""
    rng = random.Random(seed * 1_000_003 + start)
    rand, choice = rng.random, rng.choice
    now = _naive_utc(now or utcnow())
    langs = ["de"] * 5 + ["it"] * 3 + ["en"] * 2
    pool = {lang: [(f, l, f"{f}.{l}".lower().translate(ASCII).replace("'", ""))
                   for f in FIRST[lang] for l in LAST[lang]] for lang in FIRST}
    span = 60 * 24 * 365 * 4
    rows = []
    for i in range(start, start + count):
        lang = choice(langs)
        first, last, local = choice(pool[lang])
        name = first + " " + last
        email = f"{local}{i}@{choice(DOMAINS[lang])}"
        mid = int(rand() * 9_000_000) + 1_000_000
        phone = f"{PREFIX[lang]} {150 + int(rand() * 30)} {mid}"
        created = now - timedelta(minutes=int(rand() * span))
        lower = name.lower()
        doc = f"{lower} {email} {phone} {phone[1:].replace(' ', '')}"
        rows.append((name, lower, email, email, phone, lang, choice(_TAG_CHOICES), "", doc,
                     created, created, "demo", 1))
    return rows


def generate_contacts(ctx: ServiceContext, count: int, *, chunk: int = 100_000,
                      progress=None, now: datetime | None = None) -> int:
    """Insert `count` demo contacts in chunks (one transaction each); returns the new total.
    `now` is the moment of the fill (the audit record; contacts are created before it).

    Goes through the DB-API's executemany: at a million rows the ORM's per-row work would
    triple the time, and these rows need no per-row logic (the FTS trigger still fires).
    """
    with ctx.db.transaction() as session:
        require(session, ctx, "contacts.write")
        start = session.scalar(select(func.coalesce(func.max(Contact.id), 0)))
    sqlite = ctx.db.dialect == "sqlite"
    mark = "?" if sqlite else "%s"
    sql = (f"INSERT INTO contacts ({', '.join(COLUMNS)}) "
           f"VALUES ({', '.join([mark] * len(COLUMNS))})")
    done = 0
    raw = ctx.db.engine.raw_connection()
    if sqlite:  # index pages of a million rows stay in memory instead of being re-read
        raw.cursor().execute("PRAGMA cache_size=-1000000")
    try:
        while done < count:
            n = min(chunk, count - done)
            first_id = start + done + 1
            rows = fake_contact_rows(n, start=start + done, now=now)
            cur = raw.cursor()
            if sqlite:
                # The text form SQLAlchemy's SQLite DateTime reads back.
                rows = [r[:9] + (r[9].strftime(_SQLITE_TS),) * 2 + r[11:] for r in rows]
                # Indexing the chunk in one statement is 3x faster than the per-row trigger;
                # the trigger is back before the transaction commits, so no reader sees a gap.
                # An explicit BEGIN: sqlite3 would run the DDL outside the transaction, and a
                # failed chunk would leave the trigger dropped for good.
                cur.execute("BEGIN IMMEDIATE")
                cur.execute("DROP TRIGGER contacts_fts_ai")
            try:
                cur.executemany(sql, rows)
            except Exception as exc:  # a clash with existing data: say so, keep the DB as it was
                raw.rollback()
                if "unique" in str(exc).lower():
                    raise DatabaseError(_(
                        "Demo data would repeat an email address that is already in the "
                        "database ({error}); nothing of this chunk was written.").format(
                            error=exc)) from exc
                raise
            if sqlite:
                cur.execute("INSERT INTO contacts_fts(rowid, search_doc) SELECT id, search_doc "
                            "FROM contacts WHERE id >= ?", (first_id,))
                cur.execute(FTS_INSERT_TRIGGER)
            cur.close()
            raw.commit()
            done += n
            if progress:
                progress(done, count)
    finally:
        raw.close()
    with ctx.db.transaction() as session:
        audit.record(session, ctx, "contact", "*", "generate_demo", None, {"count": count},
                     at=now)
        return session.scalar(select(func.count()).select_from(Contact))


_SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"


HANDPICKED = [
    {"name": "Anna Müller", "email": "anna.mueller@example.de", "phone": "+49 30 1234567",
     "language": "de", "tags": ["vip", "newsletter"],
     "notes": "Bought the group licence for her team; prefers phone calls."},
    {"name": "Giulia Rossi", "email": "giulia.rossi@example.it", "phone": "+39 06 7654321",
     "language": "it", "tags": ["teacher"], "notes": "Curator for the Italian cohort."},
    {"name": "Oliver Smith", "email": "oliver.smith@example.org", "phone": "+44 20 7946 0958",
     "language": "en", "tags": ["b2b"], "notes": ""},
]


def seed_demo(ctx: ServiceContext, count: int) -> None:
    """A few hand-written contacts (with an audit history) plus `count` generated ones."""
    from core.services.contacts import create_contact

    for data in HANDPICKED:
        create_contact(ctx, data)
    generate_contacts(ctx, count)


# -- plans -------------------------------------------------------------------------------------

PLAN_COLUMNS = (
    "handle", "version", "state", "created", "deleted", "name", "description", "amount",
    "currency", "vat", "amount_incl_vat", "include_zero_amount", "quantity",
    "renewal_reminder_email_days", "trial_reminder_email_days", "dunning_plan", "schedule_type",
    "interval_length", "schedule_fixed_day", "base_month", "partial_period_handling",
    "partial_proration_days", "minimum_prorated_amount", "setup_fee", "setup_fee_text",
    "setup_fee_handling", "fixed_count", "fixed_life_time_length", "fixed_life_time_unit",
    "trial_interval_length", "trial_interval_unit", "notice_periods",
    "notice_periods_after_current", "fixation_periods", "fixation_periods_full",
    "contract_period_length", "contract_period_unit", "renewal_contract_period_length",
    "renewal_contract_period_unit", "minimum_contract_period_length",
    "minimum_contract_period_unit", "notice_period_length", "notice_period_unit",
    "subscription_duration", "entitlements", "updated_at", "updated_by", "row_version",
    "name_fold", "description_words", "setup_fee_words",
)
DEMO_DUNNING_PLANS = (("dunning-standard", "Standard reminders", [3, 7, 14]),
                      ("dunning-strict", "Strict", [1, 3, 5]),
                      ("dunning-soft", "Soft, long", [7, 14, 30]),
                      ("dunning-b2b", "B2B invoices", [14, 30]))
_TIERS = ["Basic", "Silver", "Gold", "Platinum", "Premium", "Starter", "Pro", "Team",
          "Family", "Student"]
_PRODUCTS = ["Yoga", "Pilates", "Italian", "German", "Piano", "Guitar", "Photography",
             "Coding", "Marketing", "Watercolour", "Sourdough", "Meditation", "Chess",
             "Spanish", "Design", "Fitness", "Excel", "Leadership", "Calligraphy", "Running"]
_PHRASES = ["gold member access to every course", "monthly live sessions with the teacher",
            "community forum and weekly challenges", "downloadable videos and worksheets",
            "premium support by email", "Zugang zu allen Kursen", "accesso a tutti i corsi",
            "certificate after the final lesson", "team licence for up to ten seats",
            "early access to new lessons", "member discount in the shop",
            "gold member bonus webinars", "student price with proof of enrolment",
            "cancel any time", "includes the printed workbook"]
_FEE_TEXTS = [None, None, "Setup fee", "Onboarding session", "Einrichtungsgebühr",
              "Activation fee", "Welcome pack and onboarding", "Costo di attivazione"]
_ENTITLEMENTS = ['[]', '["video"]', '["video", "forum"]', '["live", "video", "forum"]']


def fake_plan_rows(count: int, *, start: int = 0, seed: int = 11, now=None) -> list[tuple]:
    """`count` valid plan versions (tuples in PLAN_COLUMNS order, naive UTC datetimes).

    Handles are unique per `start`; about one handle in six has older, superseded versions
    and one in twenty is deleted. Created dates spread over the last three years.
    """
    rng = random.Random(seed * 1_000_003 + start)
    rand, choice, randint = rng.random, rng.choice, rng.randint
    now = _naive_utc(now or utcnow())
    span = 60 * 24 * 365 * 3
    rows: list[tuple] = []
    k = start
    while len(rows) < count:
        k += 1
        tier, product = choice(_TIERS), choice(_PRODUCTS)
        stype = choice(("manual", "daily", "weekly_fixedday", "month_startdate",
                        "month_startdate", "month_fixedday", "month_fixedday",
                        "month_lastday"))
        cadence = {"manual": "on-request", "daily": "daily", "weekly_fixedday": "weekly"}.get(
            stype, "monthly")
        handle = f"{tier}-{product}-{cadence}-{k}".lower()
        versions = 1 if rand() < 0.83 else randint(2, 3)
        versions = min(versions, count - len(rows))
        deleted = rand() < 0.05
        created = now - timedelta(minutes=int(rand() * span))
        base_amount = choice((0, 500, 900, 990, 1000, 1490, 1900, 2500, 2990, 4900, 5000,
                              7900, 9900, 14900, 29900)) + randint(0, 3) * 100
        for v in range(1, versions + 1):
            latest = v == versions
            state = ("deleted" if deleted else "active") if latest else "superseded"
            interval = choice((1, 1, 1, 1, 2, 3, 6, 12)) if stype != "daily" else choice(
                (1, 7, 14, 30))
            fixed_day = (randint(1, 7) if stype == "weekly_fixedday" else
                         randint(1, 28) if stype == "month_fixedday" else None)
            base_month = (randint(1, 12) if stype in ("month_fixedday", "month_lastday")
                          and interval > 1 and rand() < 0.3 else None)
            trial_len = trial_unit = None
            if stype != "manual" and rand() < 0.35:
                trial_unit = choice(("days", "days", "months"))
                trial_len = choice((7, 14, 30)) if trial_unit == "days" else choice((1, 2, 3))
            fee = fee_text = None
            fee_handling = choice(("first", "first", "separate", "separate_conditional"))
            if rand() < 0.3:
                fee = choice((1000, 2500, 4900, 9900))
                fee_text = choice(_FEE_TEXTS[2:])
            duration = choice(("renew", "renew", "renew", "fixed_count", None))
            fixed_count = randint(2, 24) if duration == "fixed_count" else None
            life_len = life_unit = None
            if duration is None and rand() < 0.3:
                life_unit = choice(("months", "days"))
                life_len = randint(1, 24) if life_unit == "months" else choice((30, 90, 365))
            contract = rand() < 0.2
            description = " ".join(rng.sample(_PHRASES, randint(1, 3))).capitalize() + "."
            name = f"{tier} {product}" + (f" v{v}" if v > 1 else "")
            rows.append((
                handle, v, state, created, (now if state == "deleted" else None),
                name, description,
                base_amount + (v - 1) * 100, choice(("EUR", "EUR", "EUR", "CHF", "GBP")),
                choice(("0", "0.19", "0.07", "0.22")), rand() < 0.8, rand() < 0.1,
                choice((1, 1, 1, 1, 2, 5, 10)), choice((None, None, 3, 7, 14)),
                choice((None, 1, 3)) if trial_len else None,
                choice((None, "dunning-standard", "dunning-strict", "dunning-soft",
                        "dunning-b2b")),
                stype, interval, fixed_day, base_month,
                choice(("bill_prorated", "bill_prorated", "bill_full", "bill_zero_amount",
                        "no_bill")), rand() < 0.8, 0, fee, fee_text, fee_handling, fixed_count,
                life_len, life_unit, trial_len, trial_unit, choice((0, 0, 1)), True,
                choice((0, 0, 3)), False,
                12 if contract else None, "months" if contract else None,
                None, None, None, None, None, None, duration, choice(_ENTITLEMENTS),
                created, "demo", 1, *search_columns(name, description, fee_text)))
            created = min(now, created + timedelta(minutes=int(rand() * 60 * 24 * 120) + 1))
    return rows


def generate_plans(ctx: ServiceContext, count: int, *, chunk: int = 50_000, seed: int = 11,
                   progress=None, now: datetime | None = None) -> int:
    """Insert `count` demo plan versions in bulk (one transaction per chunk); returns the
    number of plans now in the database. Registers the demo dunning plans first. `now` is the
    moment of the fill (the audit record; plans are created before it), default now."""
    from core.migrations.fts import PLANS_FOLD_INSERT_TRIGGER, PLANS_WORDS_INSERT_TRIGGER
    from core.models import DunningPlan, Plan

    with ctx.db.transaction() as session:
        require(session, ctx, "plans.write")
        start = session.scalar(select(func.coalesce(func.max(Plan.id), 0)))
        have = set(session.scalars(select(DunningPlan.handle)))
        now = now or utcnow()
        for handle, name, steps in DEMO_DUNNING_PLANS:
            if handle not in have:
                session.add(DunningPlan(handle=handle, name=name, steps=steps, created_at=now,
                                        updated_at=now, updated_by=ctx.operator))
    sqlite = ctx.db.dialect == "sqlite"
    mark = "?" if sqlite else "%s"
    sql = (f"INSERT INTO plans ({', '.join(PLAN_COLUMNS)}) "
           f"VALUES ({', '.join([mark] * len(PLAN_COLUMNS))})")
    ts = {PLAN_COLUMNS.index(c) for c in ("created", "deleted", "updated_at")}
    done = 0
    raw = ctx.db.engine.raw_connection()
    try:
        while done < count:
            n = min(chunk, count - done)
            rows = fake_plan_rows(n, start=start + done, seed=seed, now=now)
            cur = raw.cursor()
            if sqlite:
                rows = [tuple(v.strftime(_SQLITE_TS) if i in ts and v is not None else v
                              for i, v in enumerate(r)) for r in rows]
                cur.execute("BEGIN IMMEDIATE")
                cur.execute("DROP TRIGGER plans_fts_ai")
                cur.execute("DROP TRIGGER plans_name_fts_ai")
                first_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM plans"
                                       ).fetchone()[0]
            try:
                cur.executemany(sql, rows)
            except Exception as exc:
                raw.rollback()
                if "unique" in str(exc).lower():
                    raise DatabaseError(_(
                        "Demo plans would repeat a handle that is already in the database "
                        "({error}); nothing of this chunk was written.").format(
                            error=exc)) from exc
                raise
            if sqlite:
                cur.execute("INSERT INTO plans_fts(rowid, description_words, setup_fee_words) "
                            "SELECT id, description_words, setup_fee_words FROM plans "
                            "WHERE id >= ?", (first_id,))
                cur.execute("INSERT INTO plans_name_fts(rowid, name_fold) "
                            "SELECT id, name_fold FROM plans WHERE id >= ?", (first_id,))
                cur.execute(PLANS_WORDS_INSERT_TRIGGER)
                cur.execute(PLANS_FOLD_INSERT_TRIGGER)
            cur.close()
            raw.commit()
            done += n
            if progress:
                progress(done, count)
        cur = raw.cursor()
        cur.execute("ANALYZE plans")  # planner statistics for the new rows
        cur.close()
        raw.commit()
    finally:
        raw.close()
    with ctx.db.transaction() as session:
        audit.record(session, ctx, "plan", "*", "generate_demo", None, {"count": count},
                     at=now)
        return session.scalar(select(func.count()).select_from(Plan))
