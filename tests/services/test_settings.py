"""Account settings: typed values, validation per key, admin-only writes, audit; both DBs."""

from decimal import Decimal

import pytest

from core.errors import PermissionDenied, ValidationFailed
from core.services import audit, plans
from core.services import settings as st


def test_unset_keys_read_as_their_defaults(viewer):
    values = {s.key: (s.value, s.is_default) for s in st.list_settings(viewer)}
    assert values == {"account_timezone": ("Europe/Berlin", True),
                      "default_currency": ("EUR", True),
                      "default_vat": (Decimal(0), True),
                      "group_limit_active": (False, True),
                      "overdue_keeps_access": (False, True)}


def test_admin_sets_typed_values_with_an_audit_record(admin):
    assert st.set_setting(admin, "default_vat", "0.19").value == Decimal("0.19")
    assert st.set_setting(admin, "default_currency", "dkk").value == "DKK"
    assert st.set_setting(admin, "account_timezone", "Europe/Copenhagen").text == \
        "Europe/Copenhagen"
    got = st.get_setting(admin, "default_vat")
    assert (got.value, got.text, got.is_default) == (Decimal("0.19"), "0.19", False)
    entry = audit.history(admin, "setting", "default_vat")[0]
    assert (entry.action, entry.before, entry.after) == (
        "update", {"value": None}, {"value": "0.19"})
    st.set_setting(admin, "default_vat", Decimal("0.25"))
    assert audit.history(admin, "setting", "default_vat")[0].before == {"value": "0.19"}


@pytest.mark.parametrize("key, value", [
    ("default_vat", "1"), ("default_vat", "-0.1"), ("default_vat", "19 %"),
    ("default_vat", "NaN"), ("default_vat", True), ("default_vat", "0.000000000000001"),
    ("default_currency", "EURO"), ("default_currency", "XXX"), ("default_currency", 978),
    ("account_timezone", "Mars/Olympus"), ("account_timezone", "../etc/passwd"),
    ("account_timezone", "Europe/Berlin\x00"), ("account_timezone", "\x1b[31mUTC"),
])
def test_bad_values_are_refused_naming_the_key(admin, key, value):
    with pytest.raises(ValidationFailed) as exc:
        st.set_setting(admin, key, value)
    assert list(exc.value.fields) == [key]
    assert st.get_setting(admin, key).is_default  # nothing written


def test_unknown_keys_are_refused(admin):
    with pytest.raises(ValidationFailed) as exc:
        st.get_setting(admin, "group_limit")
    assert "group_limit" in exc.value.fields["key"]
    with pytest.raises(ValidationFailed):
        st.set_setting(admin, "nope", "1")


def test_only_admins_set(agent, viewer):
    for ctx in (agent, viewer):
        with pytest.raises(PermissionDenied):
            st.set_setting(ctx, "default_vat", "0.19")
        assert st.get_setting(ctx, "default_vat").is_default


def test_a_new_plan_without_vat_or_currency_takes_the_account_defaults(admin):
    st.set_setting(admin, "default_vat", "0.25")
    st.set_setting(admin, "default_currency", "DKK")
    p = plans.create_plan(admin, {"handle": "dk", "name": "DK", "amount": 9900,
                                  "schedule_type": "month_startdate"})
    assert (p.vat, p.currency) == (Decimal("0.25"), "DKK")
    given = plans.create_plan(admin, {"handle": "eu", "name": "EU", "amount": 9900,
                                      "schedule_type": "month_startdate", "vat": "0.19",
                                      "currency": "EUR"})
    assert (given.vat, given.currency) == (Decimal("0.19"), "EUR")


def test_an_imported_plan_without_vat_or_currency_takes_the_account_defaults(admin):
    st.set_setting(admin, "default_vat", "0.25")
    st.set_setting(admin, "default_currency", "DKK")
    plans.import_plans(admin, [{"handle": "dk", "name": "DK", "amount": 9900,
                                "schedule_type": "month_startdate"}])
    p = plans.get_plan(admin, "dk")
    assert (p.vat, p.currency) == (Decimal("0.25"), "DKK")


def test_keys_are_one_table():
    assert set(st.KEYS) == {"account_timezone", "default_currency", "default_vat",
                            "group_limit_active", "overdue_keeps_access"}
    for spec in st.KEYS.values():  # every default is a value its own parser accepts
        assert spec.parse(spec.text(spec.default)) == spec.default


@pytest.mark.parametrize("key", ["group_limit_active", "overdue_keeps_access"])
def test_switches_default_to_false_and_take_yes_or_no(admin, viewer, key):
    from core.services.settings import account_settings

    assert st.get_setting(viewer, key).value is False
    assert st.set_setting(admin, key, "yes").value is True
    with admin.db.reading() as session:
        assert account_settings(session)[key] is True
    entry = audit.history(admin, "setting", key)[0]
    assert (entry.before, entry.after) == ({"value": None}, {"value": True})
    assert st.set_setting(admin, key, "off").text == "false"
    with pytest.raises(ValidationFailed) as exc:
        st.set_setting(admin, key, "maybe")
    assert list(exc.value.fields) == [key]


def test_the_subscription_services_timezone_is_the_setting(admin):
    from core.services import subscriptions as subs

    assert subs.get_account_timezone(admin) == "Europe/Berlin"
    subs.set_account_timezone(admin, "Europe/Rome")
    assert st.get_setting(admin, "account_timezone").value == "Europe/Rome"
    st.set_setting(admin, "account_timezone", "Europe/Copenhagen")
    assert subs.get_account_timezone(admin) == "Europe/Copenhagen"
    with pytest.raises(ValidationFailed) as exc:
        subs.set_account_timezone(admin, "Mars/Olympus")
    assert list(exc.value.fields) == ["account_timezone"]


def test_set_setting_at_a_given_moment_is_audited_then(admin):
    from datetime import UTC, datetime

    moment = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
    st.set_setting(admin, "default_currency", "chf", now=moment)
    (entry,) = audit.history(admin, "setting", "default_currency")
    assert (entry.at, entry.after) == (moment, {"value": "CHF"})
