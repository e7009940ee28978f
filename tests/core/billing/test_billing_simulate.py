"""High-level API: simulate window and JSON shape, state persistence, idempotent billing run."""

import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from core.billing import PlanTerms, SubscriptionState, bill_until, simulate, start_subscription

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN)


TERMS = PlanTerms(
    handle="m",
    name="Monthly",
    amount=10000,
    schedule_type="month_fixedday",
    schedule_fixed_day=1,
    setup_fee=2500,
    setup_fee_handling="separate",
    trial_interval_length=7,
    trial_interval_unit="days",
)


def test_json_has_exactly_the_documented_shape_with_offsets():
    data = simulate(TERMS, berlin(2026, 3, 14, 10), date(2026, 4, 1)).to_json_dict()
    assert json.loads(json.dumps(data)) == data
    assert list(data) == ["subscription", "invoices"]
    assert data["subscription"] == {
        "start": "2026-03-14T10:00:00+01:00",
        "trial_start": "2026-03-14T10:00:00+01:00",
        "trial_end": "2026-03-21T10:00:00+01:00",
        "first_period_start": "2026-03-21T10:00:00+01:00",
        "cancelled_at": None,
        "expires": None,
        "state": "active",
    }
    fee, first, second = data["invoices"]
    assert fee == {
        "issued": "2026-03-14T10:00:00+01:00",
        "period_start": None,
        "period_end": None,
        "lines": [
            {
                "kind": "setup_fee",
                "prorated": False,
                "quantity": 1,
                "amount": 2500,
                "vat_amount": 0,
                "text": "Monthly setup fee",
            }
        ],
        "amount": 2500,
        "vat_amount": 0,
        "currency": "EUR",
    }
    assert (first["period_end"], first["amount"]) == ("2026-04-01T00:00:00+02:00", 3548)
    assert list(first["lines"][0]) == [
        "kind",
        "prorated",
        "quantity",
        "amount",
        "vat_amount",
        "text",
    ]
    assert second["issued"] == "2026-04-01T00:00:00+02:00"


def test_default_window_is_one_year_of_invoices():
    terms = PlanTerms(handle="m", name="M", amount=100, schedule_type="month_startdate")
    sim = simulate(terms, berlin(2026, 3, 14, 10))
    assert len(sim.invoices) == 12
    assert sim.invoices[-1].issued == berlin(2027, 2, 14, 10)


def test_until_date_includes_invoices_issued_that_day():
    terms = PlanTerms(handle="m", name="M", amount=100, schedule_type="month_startdate")
    assert len(simulate(terms, berlin(2026, 3, 14, 10), date(2026, 4, 14)).invoices) == 2
    assert len(simulate(terms, berlin(2026, 3, 14, 10), berlin(2026, 4, 14, 9)).invoices) == 1


def test_naive_start_is_local_wall_time_in_the_account_zone():
    naive = simulate(TERMS, datetime(2026, 3, 14, 10), date(2026, 4, 1))
    aware = simulate(TERMS, berlin(2026, 3, 14, 10), date(2026, 4, 1))
    assert naive.invoices == aware.invoices


def test_json_renders_in_the_account_zone():
    sim = simulate(TERMS, datetime(2026, 3, 14, 10), date(2026, 4, 1), tz="America/New_York")
    assert sim.to_json_dict()["invoices"][-1]["issued"] == "2026-04-01T00:00:00-04:00"


def test_cancelled_subscription_json_shows_cancellation_and_expiry():
    sim = simulate(
        TERMS, berlin(2026, 3, 14, 10), date(2026, 6, 1), cancel_at=berlin(2026, 4, 10, 12, 30)
    )
    sub = sim.to_json_dict()["subscription"]
    assert (sub["cancelled_at"], sub["expires"], sub["state"]) == (
        "2026-04-10T12:30:00+02:00",
        "2026-05-01T00:00:00+02:00",
        "cancelled",
    )


def test_state_survives_a_json_round_trip():
    state = simulate(
        TERMS, berlin(2026, 3, 14, 10), date(2026, 5, 1), cancel_at=berlin(2026, 4, 10)
    ).final_state
    data = json.loads(json.dumps(state.to_json_dict()))
    assert SubscriptionState.from_json_dict(data) == state


def test_billing_run_twice_at_the_same_moment_creates_nothing_new():
    state = start_subscription(TERMS, berlin(2026, 3, 14, 10))
    first, state = bill_until(TERMS, state, berlin(2026, 6, 1))
    again, same = bill_until(TERMS, state, berlin(2026, 6, 1))
    assert again == [] and same == state
    assert len({invoice.key for invoice in first}) == len(first) == 5


def test_billing_package_imports_no_database_ui_or_schema_library():
    code = (
        "import sys, core.billing; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'sqlalchemy', 'pydantic'}))"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert result.stdout.strip() == "[]"


def test_start_in_the_repeated_autumn_hour_keeps_its_exact_instant():
    terms = PlanTerms(handle="d", name="D", amount=100, schedule_type="daily")
    second_0230 = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=1)  # CET, after the repeat
    sim = simulate(terms, second_0230, date(2026, 10, 26))
    assert [i.period_start.isoformat() for i in sim.invoices] == [
        "2026-10-25T01:30:00+00:00",
        "2026-10-26T01:30:00+00:00",
    ]
