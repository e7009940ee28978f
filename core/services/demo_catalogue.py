"""Demo catalogue: courses with German, Italian and English names (one of 300 lessons), a
membership, a bundle, and offers of every payment type on the demo plans
(core/services/demo_billing.py `DEMO_PLANS`: gold-monthly, gold-yearly, starter, coaching-6
with six instalments, team-weekly)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from core.schemas.catalogue import ImportReport
from core.services.context import ServiceContext

BIG_COURSE_LESSONS = 300
_TOPICS_DE = ["Begrüßung", "Zahlen", "Uhrzeit", "Einkaufen", "Wegbeschreibung", "Familie",
              "Wohnung", "Arbeit", "Freizeit", "Reisen"]


def _deutsch_lessons(n: int) -> list[dict[str, Any]]:
    lessons = []
    for i in range(n):
        module = i // 10
        lessons.append({
            "key": f"de-{i + 1}", "title": f"Lektion {i + 1}: {_TOPICS_DE[i % 10]}",
            "module": f"Modul {module + 1}", "delay_days": module * 7,
            "open_on": None, "checkpoint": i % 10 == 9, "practice": i % 5 == 4})
    return lessons


def catalogue_demo_document(year: int = 2026) -> dict[str, Any]:
    """The demo catalogue as an import document (docs/catalogue.md)."""
    cucina = ["Gli strumenti", "La farina giusta", "Impastare a mano", "Tagliatelle",
              "Ravioli ripieni", "Gnocchi di patate", "Sughi veloci", "Il ragù",
              "Pasta al forno", "Pasta fresca senza uova", "Conservare la pasta", "Menu finale"]
    photo = ["Your camera", "Exposure", "Light", "Composition", "Portraits", "Landscapes",
             "Editing", "Your portfolio"]
    club = ["Welcome call", "Live Q&A (recording)", "Member library", "Annual meet-up"]
    first = date(year, 1, 5)
    return {
        "products": [
            {"handle": "deutsch-a1", "name": "Deutsch A1 – Grundkurs", "kind": "course",
             "description": "Deutsch für Anfänger in 30 Modulen", "bundle_of": [],
             "lessons": _deutsch_lessons(BIG_COURSE_LESSONS)},
            {"handle": "cucina-pasta", "name": "Cucina italiana: la pasta fatta in casa",
             "kind": "course", "bundle_of": [],
             "lessons": [{"key": f"c{i + 1}", "title": t, "module": "Base" if i < 6 else
                          "Avanzato", "delay_days": i * 2, "open_on": None,
                          "checkpoint": i == 5, "practice": i in (2, 5, 9)}
                         for i, t in enumerate(cucina)]},
            {"handle": "photography-basics", "name": "Photography Basics", "kind": "course",
             "bundle_of": [],
             "lessons": [{"key": f"p{i + 1}", "title": t, "module": "",
                          "delay_days": 0,
                          "open_on": date.fromordinal(first.toordinal() + 7 * i).isoformat(),
                          "checkpoint": False, "practice": True}
                         for i, t in enumerate(photo)]},
            {"handle": "gold-club", "name": "Gold Club Mitgliedschaft", "kind": "membership",
             "bundle_of": [],
             "lessons": [{"key": f"g{i + 1}", "title": t, "module": "", "delay_days": 0,
                          "open_on": None, "checkpoint": False, "practice": False}
                         for i, t in enumerate(club)]},
            {"handle": "all-inclusive", "name": "Alles inklusive – tutti i corsi",
             "kind": "course",
             "bundle_of": ["deutsch-a1", "cucina-pasta", "photography-basics"],
             "lessons": []},
        ],
        "offers": [
            _offer("deutsch-a1-komplett", "deutsch-a1", "Komplettkurs (12 Monate)",
                   "one_time", price=29900, vat="0.19",
                   template={"release": "delays", "checkpoints": True, "review": "curator",
                             "duration": {"length": 12, "unit": "months"}}),
            _offer("deutsch-a1-schnupper", "deutsch-a1", "Schnupperkurs: erste 10 Lektionen",
                   "one_time", price=0,
                   template={"open_lessons": {"first": 10},
                             "duration": {"length": 30, "unit": "days"}}),
            _offer("deutsch-a1-abo", "deutsch-a1", "Deutsch im Abo (monatlich)",
                   "subscription", plan="gold-monthly",
                   template={"release": "delays", "review": "automatic"}),
            _offer("deutsch-a1-raten", "deutsch-a1", "Komplettkurs in 6 Raten", "instalments",
                   plan="coaching-6",
                   template={"release": "delays", "checkpoints": True, "review": "curator",
                             "duration": {"length": 12, "unit": "months"}}),
            _offer("deutsch-a1-team", "deutsch-a1", "Deutsch im Team (monatlich, 2–20 Plätze)",
                   "subscription", plan="gold-monthly",
                   template={"release": "delays", "review": "automatic"},
                   group={"min_seats": 2, "max_seats": 20}),
            _offer("cucina-gruppo", "cucina-pasta", "Corso di gruppo (2–30 posti)",
                   "one_time", price=4900, template={"release": "delays"},
                   group={"min_seats": 2, "max_seats": 30}),
            _offer("cucina-base", "cucina-pasta", "Solo le basi", "one_time", price=4900,
                   template={"open_lessons": {"only": [1, 2, 3, 4, 5, 6]},
                             "release": "delays", "checkpoints": True, "review": "curator"}),
            _offer("cucina-completo", "cucina-pasta", "Corso completo", "one_time",
                   price=9900, vat="0.22", template={"release": "delays",
                                                     "review": "automatic"}),
            _offer("cucina-abbonamento", "cucina-pasta", "Abbonamento (14 giorni gratis)",
                   "subscription", plan="starter", template={"release": "delays"}),
            _offer("photo-once", "photography-basics", "Photography Basics (lifetime)",
                   "one_time", price=7900, template={"release": "dates"}),
            _offer("photo-team", "photography-basics", "Team licence (5–50 seats)",
                   "subscription", plan="team-weekly", template={"release": "dates"},
                   group={"min_seats": 5, "max_seats": 50}),
            _offer("gold-club-monatlich", "gold-club", "Gold Club monatlich", "subscription",
                   plan="gold-monthly"),
            _offer("gold-club-jaehrlich", "gold-club", "Gold Club jährlich", "subscription",
                   plan="gold-yearly"),
            _offer("all-inclusive-once", "all-inclusive", "Alles inklusive (einmalig)",
                   "one_time", price=39900, template={"release": "delays",
                                                      "review": "curator"}),
            _offer("all-inclusive-raten", "all-inclusive", "Tutto incluso in 6 rate",
                   "instalments", plan="coaching-6", template={"open_lessons": {"first": 20}}),
        ],
    }


def _offer(handle: str, product: str, name: str, payment: str, *, price: int | None = None,
           plan: str | None = None, vat: str | None = None,
           template: dict[str, Any] | None = None,
           group: dict[str, int] | None = None) -> dict[str, Any]:
    base = {"open_lessons": "all", "release": "none", "checkpoints": False, "review": "none",
            "duration": None}
    return {"handle": handle, "product": product, "name": name, "payment": payment,
            "price": price, "currency": "EUR", "plan": plan, "vat": vat,
            "template": {**base, **(template or {})}, "group": group}


def seed_catalogue_demo(target: ServiceContext | Session, *, operator: str = "demo",
                        now: datetime | None = None) -> ImportReport:
    """Import the demo catalogue: through the service (a ServiceContext, admins only) or
    inside the caller's transaction (a Session, as `operator`). Needs the demo plans."""
    from core.services import catalogue

    doc = catalogue_demo_document()
    if isinstance(target, ServiceContext):
        return catalogue.import_catalogue(target, doc, now=now)
    return catalogue.import_catalogue_in(target, operator, doc, now=now)
