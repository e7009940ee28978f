"""Demo and scale data: realistic German, Italian and English contacts, inserted in bulk."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select

from core.errors import DatabaseError
from core.i18n import _
from core.migrations.fts import FTS_INSERT_TRIGGER
from core.models import Contact, utcnow
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
           "search_doc", "created_at", "updated_at", "updated_by", "version")
_TAG_CHOICES = ['[]'] * 3 + [f'["{t}"]' for t in TAGS] + ['["vip", "newsletter"]',
                                                         '["student", "trial"]']


def fake_contact_rows(count: int, *, start: int = 0, seed: int = 7) -> list[tuple]:
    """`count` contact rows as tuples in COLUMNS order, unique emails; created is naive UTC."""
    rng = random.Random(seed * 1_000_003 + start)
    rand, choice = rng.random, rng.choice
    now = utcnow().replace(tzinfo=None)
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
                      progress=None) -> int:
    """Insert `count` demo contacts in chunks (one transaction each); returns the new total.

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
            rows = fake_contact_rows(n, start=start + done)
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
        audit.record(session, ctx, "contact", "*", "generate_demo", None, {"count": count})
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
