"""The plan list on SQLite and PostgreSQL: every filter, ranges, presets, windows, export."""

import csv
import io
import json
from datetime import date

import pytest

from core.errors import ValidationFailed
from core.plan_query import parse
from core.schemas.common import Window
from core.services import demo, plans
from core.services import plan_catalogue as pc

TODAY = date(2025, 7, 15)  # account time zone Europe/Berlin (UTC+2 in July)


def _plan(handle, created, **kw):
    base = {"handle": handle, "name": handle.title(), "amount": 1000, "currency": "EUR",
            "schedule_type": "month_startdate", "created": created, "version": 1,
            "state": "active"}
    return {**base, **kw}


GOLD = dict(name="Gold Member Monthly", description="Gold member access to every course",
            schedule_type="month_fixedday", schedule_fixed_day=1, trial_interval_length=14,
            trial_interval_unit="days", trial_reminder_email_days=3, setup_fee=2500,
            setup_fee_text="Onboarding session", setup_fee_handling="first",
            dunning_plan="dun-a", renewal_reminder_email_days=7)
CATALOGUE = [
    _plan("gold", "2025-01-10T09:00:00Z", **GOLD, amount=900, state="superseded"),
    _plan("gold", "2025-07-14T10:00:00Z", **GOLD, version=2),
    _plan("silver", "2025-07-10T12:00:00Z", name="Silver Daily",
          description="Daily lessons for busy people", amount=990, schedule_type="daily",
          partial_period_handling="bill_full", setup_fee_handling="separate", quantity=2,
          trial_interval_length=1, trial_interval_unit="months"),
    _plan("yoga", "2025-06-20T08:00:00Z", name="Yoga Weekly",
          description="Yoga for the GOLD member", amount=5000,
          schedule_type="weekly_fixedday", schedule_fixed_day=3, interval_length=2,
          fixed_count=12, subscription_duration="fixed_count"),
    _plan("quarterly", "2025-04-20T08:00:00Z", name="Quarterly Coaching",
          description="Coaching calls", amount=5001, interval_length=3,
          fixed_life_time_length=6, fixed_life_time_unit="months",
          setup_fee_handling="separate_conditional", quantity=5, setup_fee=1000,
          setup_fee_text="Welcome pack and onboarding"),
    _plan("lastday", "2024-08-01T08:00:00Z", name="Members Last Day", description="member only",
          amount=0, schedule_type="month_lastday", partial_period_handling="no_bill",
          quantity=10, dunning_plan="dun-b", fixed_life_time_length=30,
          fixed_life_time_unit="days", renewal_reminder_email_days=14),
    _plan("manual", "2023-01-01T08:00:00Z", name="Manual invoicing 100%", amount=12345,
          schedule_type="manual", state="deleted"),
    # 15 July 00:30 in Berlin: today, not yesterday
    _plan("today", "2025-07-14T22:30:00Z", name="Today Plan", description="fresh",
          amount=1500, schedule_type="month_fixedday", schedule_fixed_day=28,
          trial_interval_length=7, trial_interval_unit="days"),
    # 13 July 23:59 in Berlin: the day before yesterday
    _plan("late", "2025-07-13T21:59:00Z", name="Late Plan", amount=1000,
          schedule_type="daily", interval_length=7),
]
ALL = {"gold1", "gold2", "silver", "yoga", "quarterly", "lastday", "manual", "today", "late"}


@pytest.fixture
def catalogue(admin):
    plans.import_plans(admin, CATALOGUE)
    return admin


def handles(ctx, query):
    f = parse(query, today=TODAY)
    rows = pc.list_plans_window(ctx, f, window=Window(limit=500), today=TODAY)
    got = {r.handle + (str(r.version) if r.handle == "gold" else "") for r in rows}
    assert pc.count_plans(ctx, f, today=TODAY) == len(rows), query
    return got


GOLD_BOTH = {"gold1", "gold2"}


@pytest.mark.parametrize("query, expected", [
    ("", ALL),
    ("created:all", ALL),
    ("created:yesterday", {"gold2"}),
    ("created:last_week", {"gold2", "silver", "today", "late"}),
    ("created:last_month", {"gold2", "silver", "today", "late", "yoga"}),
    ("created:last_3_months", {"gold2", "silver", "today", "late", "yoga", "quarterly"}),
    ("created:last_year", ALL - {"manual"}),
    ("created:2025-07-13", {"late"}),
    ("created:2025-07-14..2025-07-14", {"gold2"}),
    ("created:..2024-12-31", {"lastday", "manual"}),
    ("created:2025-07-01..", {"gold2", "silver", "today", "late"}),
    ("handle:gold", GOLD_BOTH),
    ("handle:gol", set()),
    ("state:active", ALL - {"gold1", "manual"}),
    ("state:superseded,deleted", {"gold1", "manual"}),
    ("schedule_type:month_fixedday", GOLD_BOTH | {"today"}),
    ("schedule_type:daily,weekly_fixedday", {"silver", "late", "yoga"}),
    ("partial_period_handling:no_bill", {"lastday"}),
    ("partial_period_handling:bill_full,no_bill", {"silver", "lastday"}),
    ("setup_fee_handling:separate", {"silver"}),
    ("setup_fee_handling:separate_conditional,separate", {"silver", "quarterly"}),
    ("fixed_life_time_unit:months", {"quarterly"}),
    ("fixed_life_time_unit:days", {"lastday"}),
    ("trial_interval_unit:days", GOLD_BOTH | {"today"}),
    ("trial_interval_unit:months", {"silver"}),
    ("dunning_plan:dun-b", {"lastday"}),
    ("name:GOLD", GOLD_BOTH),
    ("name:member", GOLD_BOTH | {"lastday"}),
    ('name:"100%"', {"manual"}),
    ("name:st", {"lastday"}),
    ("name:_", set()),
    ("gold member", GOLD_BOTH),
    ("gold monthly", set()),
    ("description:gold", GOLD_BOTH | {"yoga"}),
    ('description:"member gold"', GOLD_BOTH | {"yoga"}),
    ('description:"member course"', GOLD_BOTH),
    ("description:members", set()),
    ("description:Daily,", {"silver"}),
    ("setup_fee_text:onboarding", GOLD_BOTH | {"quarterly"}),
    ('setup_fee_text:"welcome onboarding"', {"quarterly"}),
    ("description:gold setup_fee_text:onboarding", GOLD_BOTH),
    ("amount:10", {"gold2", "late"}),
    ("amount:9.9", {"silver"}),
    ("amount:10-50", {"gold2", "late", "today", "yoga"}),
    ("amount:50.01", {"quarterly"}),
    ("amount:-9.9", {"gold1", "silver", "lastday"}),
    ("amount:100-", {"manual"}),
    ("quantity:2-10", {"silver", "quarterly", "lastday"}),
    ("quantity:5", {"quarterly"}),
    ("fixed_count:12", {"yoga"}),
    ("fixed_count:1-11", set()),
    ("trial_interval_length:14", GOLD_BOTH),
    ("trial_interval_length:1-7", {"silver", "today"}),
    ("interval_length:3", {"quarterly"}),
    ("interval_length:2-7", {"yoga", "quarterly", "late"}),
    ("schedule_fixed_day:3", {"yoga"}),
    ("schedule_fixed_day:1-27", GOLD_BOTH | {"yoga"}),
    ("renewal_reminder_email_days:7", GOLD_BOTH),
    ("renewal_reminder_email_days:7-14", GOLD_BOTH | {"lastday"}),
    ("trial_reminder_email_days:3", GOLD_BOTH),
    ("trial_reminder_email_days:4-", set()),
    ("state:active schedule_type:month_fixedday amount:10-50 trial_interval_unit:days",
     {"gold2", "today"}),
    ("state:active,superseded description:gold amount:-9", {"gold1"}),
    ("created:last_year name:gold state:superseded", {"gold1"}),
    ("created:last_week schedule_type:daily interval_length:7 amount:10", {"late"}),
])
def test_each_filter_and_combinations(catalogue, query, expected):
    assert handles(catalogue, query) == expected


def test_created_dates_follow_the_account_time_zone(catalogue):
    from core.services.subscriptions import set_account_timezone

    set_account_timezone(catalogue, "UTC")
    assert handles(catalogue, "created:2025-07-14") == {"gold2", "today"}
    assert handles(catalogue, "created:yesterday") == {"gold2", "today"}


def test_rows_carry_the_list_columns(catalogue):
    f = parse("handle:gold", today=TODAY)
    rows = pc.list_plans_window(catalogue, f, pc.PlanSort.parse("version:desc"), today=TODAY)
    r = rows[0]
    assert (r.version, r.state, r.name, r.amount, r.currency) == (
        2, "active", "Gold Member Monthly", 1000, "EUR")
    assert (r.trial, r.billing_frequency) == ("14 days", "monthly on day 1")
    texts = {r.handle: (r.trial, r.billing_frequency)
             for r in pc.list_plans_window(catalogue, None, window=Window(limit=500))}
    assert texts["silver"] == ("1 month", "daily")
    assert texts["yoga"] == (None, "every 2 weeks on Wednesday")
    assert texts["quarterly"] == (None, "every 3 months")
    assert texts["lastday"] == (None, "monthly on the last day")
    assert texts["manual"] == (None, "manual")
    assert texts["late"] == (None, "every 7 days")


def test_a_key_of_another_sort_is_refused(catalogue):
    first = pc.list_plans_window(catalogue, None, pc.PlanSort.parse("name"),
                                 Window(limit=2))
    with pytest.raises(ValidationFailed):
        pc.list_plans_window(catalogue, None, pc.PlanSort.parse("amount"),
                             Window(after=first[-1].key))


def test_bad_sort_is_a_validation_error():
    with pytest.raises(ValidationFailed):
        pc.PlanSort.parse("price:up")
    assert pc.PlanSort.parse("amount").text() == "amount:asc"
    assert pc.PlanSort.parse("").text() == "created:desc"


# -- windows -----------------------------------------------------------------------------------

SORTS = [s + d for s in pc.COLUMNS for d in (":asc", ":desc")]
WINDOW_FILTERS = ["", "state:active", "amount:10-50 schedule_type:month_fixedday,daily",
                  "description:gold", "name:yoga", "name:o"]


@pytest.fixture
def many(admin):
    demo.generate_plans(admin, 90)
    return admin


def _python_key(r, sort):
    return r.key[2:]


def _walk(ctx, f, sort, limit):
    rows, window = [], Window(limit=limit)
    while True:
        got = pc.list_plans_window(ctx, f, sort, window)
        rows += got
        if len(got) < limit:
            return rows
        window = Window(after=got[-1].key, limit=limit)


def _walk_back(ctx, f, sort, limit):
    rows, window = [], Window(from_end=True, limit=limit)
    while True:
        got = pc.list_plans_window(ctx, f, sort, window)
        rows = got + rows
        if len(got) < limit:
            return rows
        window = Window(before=got[0].key, limit=limit)


def test_keyset_windows_agree_with_one_big_list(many):
    _windows_agree(many)


def test_keyset_windows_agree_with_sqlites_many_matches_strategies(sqlite_db, monkeypatch):
    # A small limit sends SQLite through its "many matches" strategies (PostgreSQL has one
    # plan for every query: the limit is not read there).
    from core.services.operators import sign_in

    monkeypatch.setattr(pc, "SORT_MATCHES_LIMIT", 5)
    ctx = sign_in(sqlite_db, "admin")
    demo.generate_plans(ctx, 90)
    _windows_agree(ctx)


def _windows_agree(many):
    for query in WINDOW_FILTERS:
        f = parse(query, today=date.today())
        total = pc.count_plans(many, f)
        for spec in SORTS:
            sort = pc.PlanSort.parse(spec)
            big = pc.list_plans_window(many, f, sort, Window(limit=500))
            assert len(big) == total, (query, spec)
            keys = [_python_key(r, sort) for r in big]
            assert keys == sorted(keys, reverse=sort.descending), (query, spec)
            ids = [r.id for r in big]
            assert [r.id for r in _walk(many, f, sort, 7)] == ids, (query, spec)
            assert [r.id for r in _walk_back(many, f, sort, 11)] == ids, (query, spec)
            if len(ids) > 5:
                assert [r.id for r in pc.list_plans_window(
                    many, f, sort, Window(offset=3, limit=2))] == ids[3:5]


def test_demo_plans_are_valid_and_varied(many):
    from core.schemas.plans import KONTOR_KEY, validate_plan

    rows = json.loads(pc.export_plans(many, None, None, "json"))
    assert len(rows) == 90
    for obj in rows:
        validate_plan({**{k: v for k, v in obj.items()
                          if k not in ("version", "state", "created", "deleted", KONTOR_KEY)},
                       **obj.get(KONTOR_KEY, {})})
    assert {o["schedule_type"] for o in rows} >= {"manual", "daily", "weekly_fixedday",
                                                  "month_startdate", "month_fixedday",
                                                  "month_lastday"}
    assert {o["state"] for o in rows} == {"active", "superseded", "deleted"} or {
        o["state"] for o in rows} >= {"active", "superseded"}
    assert any("trial_interval_length" in o for o in rows)
    assert any("setup_fee" in o for o in rows)


# -- export ------------------------------------------------------------------------------------


def test_json_export_is_exactly_the_list_as_reepay_objects(catalogue):
    f = parse("state:active,superseded amount:-50", today=TODAY)
    sort = pc.PlanSort.parse("amount:desc")
    rows = pc.list_plans_window(catalogue, f, sort, Window(limit=500), today=TODAY)
    exported = json.loads(pc.export_plans(catalogue, f, sort, "json", today=TODAY))
    assert exported == [plans.get_plan_by_id(catalogue, r.id).to_reepay() for r in rows]
    assert exported[0]["handle"] == "yoga" and exported[0]["amount"] == 5000


def test_csv_export_has_the_list_columns(catalogue):
    f = parse("handle:gold", today=TODAY)
    sort = pc.PlanSort.parse("version")
    text = pc.export_plans(catalogue, f, sort, "csv", today=TODAY)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["state", "name", "handle", "version", "created", "trial", "amount",
                       "currency", "billing_frequency"]
    assert rows[1] == ["superseded", "Gold Member Monthly", "gold", "1",
                       "2025-01-10T09:00:00+00:00", "14 days", "9.00", "EUR",
                       "monthly on day 1"]
    assert len(rows) == 3
    only = pc.export_plans(catalogue, f, sort, "csv", columns=["name", "amount"], today=TODAY)
    assert only.splitlines()[0] == "name,amount,currency"


def test_export_streams_in_windows(many, monkeypatch):
    monkeypatch.setattr(pc, "EXPORT_WINDOW", 7)
    out = io.StringIO()
    n = pc.write_plans(many, None, pc.PlanSort.parse("name"), "json", out)
    objs = json.loads(out.getvalue())
    assert n == len(objs) == 90
    assert len({(o["handle"], o["version"]) for o in objs}) == 90
    assert pc.export_plans(many, parse("handle:none", today=TODAY), None, "json") == "[]\n"


def test_a_viewer_may_list_and_export(catalogue, viewer):
    assert pc.count_plans(viewer) == 9
    assert pc.export_plans(viewer, None, None, "csv").count("\n") == 10


# -- the amount filter compares each plan in its own currency's major units (core.money) -----

OTHER_CURRENCIES = [
    _plan("yen", "2025-07-01T08:00:00Z", name="Yen Plan", amount=1000, currency="JPY"),
    _plan("yen-big", "2025-07-01T08:00:00Z", name="Yen Big", amount=100000, currency="JPY"),
    _plan("dinar", "2025-07-01T08:00:00Z", name="Dinar Plan", amount=1234, currency="KWD"),
    _plan("euro", "2025-07-01T08:00:00Z", name="Euro Plan", amount=1000, currency="EUR"),
]


@pytest.mark.parametrize("query, expected", [
    ("amount:1000", {"yen"}),             # JPY 1000 (1000 minor units), not EUR 1000.00
    ("amount:10", {"euro"}),              # EUR 10.00 (1000 minor units), not JPY 10
    ("amount:100000", {"yen-big"}),
    ("amount:1.23-1.24", {"dinar"}),      # KWD 1.234
    ("amount:1.23", set()),
    ("amount:9.5-10.5", {"euro"}),        # EUR 10.00; JPY 10 would match too, there is none
    ("amount:999.5-1000.5", {"yen"}),
    ("amount:-10", {"euro", "dinar"}),
    ("amount:1000-", {"yen", "yen-big"}),
])
def test_amount_filter_per_currency_exponent(admin, query, expected):
    plans.import_plans(admin, OTHER_CURRENCIES)
    assert handles(admin, query) == expected
