"""Plan terms: Reepay import/export, validation, currency minor units."""

from decimal import Decimal

import pytest

from core.billing import MINOR_UNITS, PlanTerms, PlanTermsError, format_amount, minor_units

REEPAY_PLAN = {
    "name": "Gold membership",
    "description": "All courses",
    "vat": 0.19,
    "amount": 10000,
    "quantity": 1,
    "prepaid": False,
    "handle": "gold",
    "version": 3,
    "state": "active",
    "currency": "EUR",
    "created": "2025-03-01T10:00:00.000+00:00",
    "dunning_plan": "default",
    "renewal_reminder_email_days": 7,
    "trial_reminder_email_days": 3,
    "partial_period_handling": "bill_prorated",
    "include_zero_amount": False,
    "setup_fee": 2500,
    "setup_fee_text": "Onboarding",
    "setup_fee_handling": "separate_conditional",
    "partial_proration_days": True,
    "fixed_trial_days": True,
    "minimum_prorated_amount": 500,
    "amount_incl_vat": True,
    "fixed_count": None,
    "trial_interval_length": 14,
    "trial_interval_unit": "days",
    "notice_periods": 1,
    "notice_periods_after_current": False,
    "fixation_periods": 3,
    "fixation_periods_full": True,
    "schedule_type": "month_fixedday",
    "schedule_fixed_day": 1,
    "interval_length": 1,
    "base_month": None,
    "entitlements": ["courses"],
}


def plan(**overrides):
    values = {"handle": "p", "name": "Plan", "amount": 10000, "schedule_type": "month_startdate"}
    values.update(overrides)
    return PlanTerms(**values)


def test_from_reepay_reads_billing_fields_and_lists_the_rest():
    terms, ignored = PlanTerms.from_reepay(REEPAY_PLAN)
    assert terms.handle == "gold"
    assert terms.vat == Decimal("0.19")
    assert terms.schedule_type == "month_fixedday" and terms.schedule_fixed_day == 1
    assert terms.setup_fee == 2500 and terms.setup_fee_handling == "separate_conditional"
    assert terms.trial_interval_length == 14 and terms.trial_interval_unit == "days"
    assert terms.notice_periods == 1 and terms.notice_periods_after_current is False
    assert terms.fixation_periods == 3 and terms.fixation_periods_full is True
    assert terms.fixed_count is None and terms.duration == "renew"
    assert ignored == (
        "created",
        "description",
        "dunning_plan",
        "entitlements",
        "prepaid",
        "renewal_reminder_email_days",
        "state",
        "trial_reminder_email_days",
        "version",
    )


def test_from_reepay_applies_reepay_defaults():
    terms, ignored = PlanTerms.from_reepay(
        {"handle": "b", "name": "Basic", "amount": 900, "schedule_type": "daily"},
        default_currency="DKK",
    )
    assert ignored == ()
    assert terms.currency == "DKK"
    assert terms.vat == Decimal(0)
    assert terms.amount_incl_vat is True
    assert terms.quantity == 1 and terms.interval_length == 1
    assert terms.partial_period_handling == "bill_prorated"
    assert terms.partial_proration_days is True
    assert terms.setup_fee_handling == "first"
    assert terms.notice_periods_after_current is True and terms.fixation_periods_full is False


def test_from_reepay_requires_the_reepay_mandatory_fields():
    with pytest.raises(PlanTermsError) as error:
        PlanTerms.from_reepay({"handle": "x", "name": "X", "amount": 1})
    assert error.value.field == "schedule_type"


def test_to_reepay_round_trips():
    terms, _ = PlanTerms.from_reepay(REEPAY_PLAN)
    again, ignored = PlanTerms.from_reepay(terms.to_reepay())
    assert again == terms and ignored == ()


def test_fixed_count_implies_fixed_count_duration():
    assert plan(fixed_count=6).duration == "fixed_count"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"schedule_type": "month_fixedday"}, "schedule_fixed_day"),
        ({"schedule_type": "month_fixedday", "schedule_fixed_day": 29}, "schedule_fixed_day"),
        ({"schedule_type": "weekly_fixedday", "schedule_fixed_day": 8}, "schedule_fixed_day"),
        ({"schedule_type": "yearly"}, "schedule_type"),
        ({"partial_period_handling": "bill_half"}, "partial_period_handling"),
        ({"amount": -1}, "amount"),
        ({"amount": True}, "amount"),
        ({"quantity": 0}, "quantity"),
        ({"currency": "XYZ"}, "currency"),
        ({"vat": "abc"}, "vat"),
        ({"handle": "has space"}, "handle"),
        ({"base_month": 13}, "base_month"),
        ({"trial_interval_length": 7}, "trial_interval_unit"),
        ({"notice_period_length": 1, "notice_period_unit": "years"}, "notice_period_unit"),
        ({"subscription_duration": "contract_end"}, "contract_period_length"),
        ({"subscription_duration": "fixed_count"}, "fixed_count"),
        ({"subscription_duration": "renew", "fixed_count": 3}, "fixed_count"),
        (
            {"renewal_contract_period_length": 3, "renewal_contract_period_unit": "months"},
            "renewal_contract_period_length",
        ),
    ],
)
def test_invalid_terms_name_the_field(overrides, field):
    with pytest.raises(PlanTermsError) as error:
        plan(**overrides)
    assert error.value.field == field


def test_vat_given_as_float_is_held_exactly():
    assert plan(vat=0.19).vat == Decimal("0.19")


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [
        ("EUR", 2),
        ("USD", 2),
        ("DKK", 2),
        ("SEK", 2),
        ("NOK", 2),
        ("GBP", 2),
        ("CHF", 2),
        ("JPY", 0),
        ("ISK", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("CLF", 4),
    ],
)
def test_minor_units_follow_iso_4217(currency, exponent):
    assert minor_units(currency) == exponent


def test_minor_unit_table_has_only_three_letter_codes():
    assert all(len(code) == 3 and code.isupper() for code in MINOR_UNITS)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (5806, "EUR", "58.06 EUR"),
        (5, "EUR", "0.05 EUR"),
        (1000, "JPY", "1000 JPY"),
        (1234, "KWD", "1.234 KWD"),
        (-250, "eur", "-2.50 EUR"),
    ],
)
def test_format_amount_uses_the_currency_exponent(amount, currency, text):
    assert format_amount(amount, currency) == text
