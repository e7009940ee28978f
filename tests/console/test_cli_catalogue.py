"""`kontor catalogue import|export|list`: the CLI contract (exit 0/2/4, --json, --at), the
document round trip (hypothesis) and a fuzz of the import parser."""

from __future__ import annotations

import io
import json
import shutil
import string
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.console.conftest import run_cli as run

pytestmark = pytest.mark.usefixtures("cli_env")

AT = "2026-03-14T10:00+01:00"


@pytest.fixture(scope="module")
def template_db(tmp_path_factory):
    """A database with the demo plans (the offers' plans), built once for the module."""
    from core.db import open_database
    from core.services.demo_billing import seed_demo_plans
    from core.services.operators import sign_in

    path = tmp_path_factory.mktemp("cat") / "k.db"
    db = open_database(f"sqlite:///{path}")
    seed_demo_plans(sign_in(db, "boss"))
    db.dispose()
    return path


@pytest.fixture
def dbfile(tmp_path, template_db):
    path = tmp_path / "k.db"
    shutil.copy(template_db, path)
    return str(path)


def kontor(capsys, dbfile, *argv, operator="boss"):
    return run(capsys, "--db", dbfile, "--operator", operator, *argv)


DOC = {
    "products": [
        {"handle": "italiano", "name": "Italiano A1", "kind": "course", "bundle_of": [],
         "lessons": [{"title": "Ciao", "delay_days": 0},
                     {"key": "numeri", "title": "Numeri", "delay_days": 2, "checkpoint": True,
                      "practice": True, "module": "Base", "open_on": None}]},
        {"handle": "tutto", "name": "Tutto", "kind": "course", "bundle_of": ["italiano"]},
    ],
    "offers": [
        {"handle": "it-once", "product": "italiano", "name": "Einmal", "payment": "one_time",
         "price": 4900, "currency": "EUR",
         "template": {"open_lessons": {"only": [2]}, "release": "delays", "review": "curator"},
         "group": {"min_seats": 1, "max_seats": 5}},
        {"handle": "it-abo", "product": "italiano", "name": "Abo", "payment": "subscription",
         "plan": "gold-monthly"},
        {"handle": "tutto-rate", "product": "tutto", "name": "Rate", "payment": "instalments",
         "plan": "coaching-6", "vat": "0.19"},
    ],
}


def write(tmp_path, doc, name="doc.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def test_import_export_import_is_a_no_op(capsys, tmp_path, dbfile):
    code, out, err = kontor(capsys, dbfile, "catalogue", "import", write(tmp_path, DOC),
                            "--json", "--at", AT)
    assert (code, err) == (0, "")
    assert len(json.loads(out)["created"]) == 5
    code, exported, err = kontor(capsys, dbfile, "catalogue", "export")
    assert (code, err) == (0, "")
    doc = json.loads(exported)
    assert doc["products"][0]["lessons"][0]["key"] == "1"
    once = next(o for o in doc["offers"] if o["handle"] == "it-once")
    assert once["template"]["open_lessons"] == {"only": [2]}
    assert once["group"] == {"min_seats": 1, "max_seats": 5}
    code, out, err = kontor(capsys, dbfile, "catalogue", "import",
                            write(tmp_path, doc, "again.json"), "--json")
    report = json.loads(out)
    assert (code, report["created"], report["updated"]) == (0, [], [])
    assert kontor(capsys, dbfile, "catalogue", "export", "--json")[1] == exported


def test_the_import_is_audited_at_the_moment_of_at(capsys, tmp_path, dbfile):
    from core.db import open_database
    from core.services import audit
    from core.services.operators import sign_in

    assert kontor(capsys, dbfile, "catalogue", "import", write(tmp_path, DOC),
                  "--at", AT)[0] == 0
    ctx = sign_in(open_database(dbfile), "boss")
    (entry,) = audit.history(ctx, "catalogue", "*")
    assert entry.at.isoformat() == "2026-03-14T09:00:00+00:00"


def test_bad_input_exits_2_naming_each_rejected_object_and_writes_nothing(capsys, tmp_path,
                                                                          dbfile):
    bad = json.loads(json.dumps(DOC))
    bad["products"][0]["lessons"][1]["delay_days"] = -3
    bad["offers"][1]["plan"] = "nope"
    code, out, err = kontor(capsys, dbfile, "catalogue", "import", write(tmp_path, bad))
    assert code == 2 and out == ""
    assert "products[0].lessons[1].delay_days" in err and "offers[1].plan" in err
    assert "Traceback" not in err
    code, out, err = kontor(capsys, dbfile, "catalogue", "list", "--json")
    assert json.loads(out) == []


@pytest.mark.parametrize("text", ["{", "[]", '"x"', '{"products": 3}', "\x00"])
def test_unreadable_or_misshapen_documents_exit_2(capsys, tmp_path, dbfile, text):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    code, out, err = kontor(capsys, dbfile, "catalogue", "import", str(path))
    assert code == 2 and out == "" and err.startswith("kontor: ")


def test_import_reads_stdin(capsys, dbfile, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(DOC)))
    assert kontor(capsys, dbfile, "catalogue", "import", "-")[0] == 0


def test_a_missing_file_exits_2(capsys, tmp_path, dbfile):
    code, out, err = kontor(capsys, dbfile, "catalogue", "import", str(tmp_path / "no.json"))
    assert code == 2 and "cannot read" in err


def test_an_agent_may_not_import_but_may_list(capsys, tmp_path, dbfile):
    assert kontor(capsys, dbfile, "operators", "add", "ann", "--role", "agent")[0] == 0
    assert kontor(capsys, dbfile, "catalogue", "import", write(tmp_path, DOC))[0] == 0
    code, out, err = kontor(capsys, dbfile, "catalogue", "import", write(tmp_path, DOC),
                            operator="ann")
    assert code == 4
    code, out, err = kontor(capsys, dbfile, "catalogue", "list", "--offers", "--product",
                            "italiano", "--json", operator="ann")
    assert code == 0 and [r["handle"] for r in json.loads(out)] == ["it-abo", "it-once"]


def test_list_filters_and_table(capsys, tmp_path, dbfile):
    assert kontor(capsys, dbfile, "catalogue", "import", write(tmp_path, DOC))[0] == 0
    code, out, err = kontor(capsys, dbfile, "catalogue", "list", "--search", "ital")
    assert code == 0 and "Italiano A1" in out and "Tutto" not in out
    code, out, err = kontor(capsys, dbfile, "catalogue", "list", "--offers", "--payment",
                            "one_time")
    assert code == 0 and "€49.00" in out and "Abo" not in out
    code, out, err = kontor(capsys, dbfile, "catalogue", "list", "--payment", "one_time")
    assert code == 2
    code, out, err = kontor(capsys, dbfile, "catalogue", "list", "--offers", "--product",
                            "nope")
    assert code == 2 and "nope" in err
    code, out, err = kontor(capsys, dbfile, "catalogue", "list", "--limit", "1", "--json")
    assert len(json.loads(out)) == 1


# -- hypothesis: any valid document survives import → export unchanged -----------------------

handles = st.text(string.ascii_lowercase + string.digits + "-_.", min_size=1, max_size=12)
titles = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=30)
lesson = st.fixed_dictionaries({
    "title": titles, "module": titles,
    "delay_days": st.integers(0, 2**31 - 1),
    "open_on": st.one_of(st.none(), st.dates(date(1970, 1, 1), date(2199, 12, 31)).map(
        lambda d: d.isoformat())),
    "checkpoint": st.booleans(), "practice": st.booleans()})
names = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Zs", "Cf")),
                min_size=1, max_size=40)


@st.composite
def documents(draw):
    product_handles = draw(st.lists(handles, min_size=1, max_size=4, unique=True))
    products = []
    lesson_counts = {}
    for h in product_handles:
        lessons = draw(st.lists(lesson, max_size=6))
        lesson_counts[h] = len(lessons)
        products.append({"handle": h, "name": draw(names),
                         "kind": draw(st.sampled_from(["course", "membership"])),
                         "bundle_of": [],
                         "lessons": [{"key": f"k{i}", **x} for i, x in enumerate(lessons)]})
    offers = []
    for i, h in enumerate(draw(st.lists(handles, max_size=4, unique=True))):
        product = draw(st.sampled_from(product_handles))
        n = lesson_counts[product]
        open_lessons = draw(st.one_of(
            st.just("all"), st.integers(0, 20).map(lambda k: {"first": k}),
            st.lists(st.integers(1, max(n, 1)), max_size=n, unique=True).map(
                lambda xs: {"only": sorted(xs)}) if n else st.just("all")))
        template = {"open_lessons": open_lessons,
                    "release": draw(st.sampled_from(["none", "delays", "dates"])),
                    "checkpoints": draw(st.booleans()),
                    "review": draw(st.sampled_from(["none", "automatic", "curator"])),
                    "duration": draw(st.one_of(st.none(), st.fixed_dictionaries({
                        "length": st.integers(1, 3000),
                        "unit": st.sampled_from(["days", "months"])})))}
        payment = draw(st.sampled_from(["one_time", "subscription", "instalments"]))
        offer = {"handle": f"o{i}-{h}", "product": product, "name": draw(names),
                 "payment": payment, "template": template,
                 "vat": draw(st.sampled_from([None, "0", "0.07", "0.19", "0.2", "1"])),
                 "group": draw(st.one_of(st.none(), st.integers(1, 50).map(
                     lambda k: {"min_seats": k, "max_seats": k + 3})))}
        if payment == "one_time":
            offer.update(price=draw(st.integers(0, 2**31 - 1)), currency="EUR", plan=None)
        else:
            offer.update(price=None, currency="EUR",
                         plan="coaching-6" if payment == "instalments" else "gold-monthly")
        offers.append(offer)
    return {"products": products, "offers": offers}


def _normal(doc):
    """What export says of an imported document (names stripped, products by name)."""
    out = json.loads(json.dumps(doc))
    for p in out["products"]:
        p["name"] = p["name"].strip()
    for o in out["offers"]:
        o["name"] = o["name"].strip()
    return out


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(doc=documents())
def test_any_valid_document_round_trips(tmp_path_factory, template_db, doc):
    from core.db import open_database
    from core.services import catalogue
    from core.services.operators import sign_in

    path = tmp_path_factory.mktemp("rt") / "k.db"
    shutil.copy(template_db, path)
    db = open_database(f"sqlite:///{path}")
    try:
        ctx = sign_in(db, "boss")
        catalogue.import_catalogue(ctx, doc)
        exported = catalogue.export_catalogue(ctx)
        want = _normal(doc)
        by_handle = {p["handle"]: p for p in exported["products"]}
        for p in want["products"]:
            assert by_handle[p["handle"]] == p
        offers = {o["handle"]: o for o in exported["offers"]}
        for o in want["offers"]:
            assert offers[o["handle"]] == o
        again = catalogue.import_catalogue(ctx, exported)
        assert again.created == [] and again.updated == []
    finally:
        db.dispose()


# -- fuzz: whatever the document holds, the parser answers with a field or imports ------------

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), st.floats(allow_nan=False),
              st.text(max_size=8)),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["handle", "name", "kind", "lessons", "bundle_of", "key", "title",
                         "delay_days", "open_on", "checkpoint", "practice", "product",
                         "payment", "price", "currency", "plan", "vat", "template",
                         "open_lessons", "only", "first", "release", "review", "group",
                         "min_seats", "max_seats", "x"]), children, max_size=5),
    max_leaves=20)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(products=st.lists(json_values, max_size=3), offers=st.lists(json_values, max_size=3))
def test_the_import_parser_never_crashes(products, offers):
    from core.errors import ValidationFailed
    from core.services import catalogue

    for i, item in enumerate(products):
        try:
            catalogue.parse_product(item, f"products[{i}].")
        except ValidationFailed as exc:
            assert exc.fields and all(isinstance(v, str) and v for v in exc.fields.values())
    for j, item in enumerate(offers):
        try:
            catalogue.parse_offer(item, f"offers[{j}].")
        except ValidationFailed as exc:
            assert exc.fields and all(k.startswith(f"offers[{j}]") for k in exc.fields)
