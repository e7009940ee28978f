"""The plan form, new versions, version history and delete at 80x24, driven by keyboard."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from textual.widgets import Button, Checkbox, DataTable, Input, Select, Static

import styles
from console.app import KontorApp
from console.screens.plan.delete import confirm_undelete_plan
from console.screens.plan.fields import parse_values, raw_values
from console.screens.plan.form import PlanForm
from console.screens.plan.new_version import NewVersionDialog
from console.screens.plan_versions import PlanVersionsScreen
from console.widgets.confirm import ConfirmDialog
from core.billing.contract_preview import contract_preview
from core.errors import NotFound
from core.i18n import format_short_date
from core.schemas.plans import validate_plan
from core.services import plans as plan_service
from core.services import subscriptions as subscription_service
from core.services.operators import add_operator, get_operator, sign_in, update_operator
from tests.console.conftest import SIZE, settle, type_text

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 3, 14, tzinfo=BERLIN)  # the timeline's sample subscriber
GOLD = {"handle": "gold", "name": "Gold", "amount": 10000, "schedule_type": "month_fixedday",
        "schedule_fixed_day": 1, "vat": "0.19"}


@pytest.fixture
def admin(seeded):
    return sign_in(seeded, "alice")


def subscribe(ctx, handle: str = "gold"):
    start = datetime(2026, 3, 14, 10, tzinfo=BERLIN)
    return subscription_service.create_subscription(
        ctx, {"contact_id": 1, "plan": handle, "start": start}, now=start)


async def open_form(pilot, ctx, plan=None, **kwargs) -> PlanForm:
    form = PlanForm(ctx, plan, start=START, **kwargs)
    await pilot.app.push_screen(form)
    await settle(pilot)
    return form


async def type_into(pilot, form: PlanForm, name: str, text: str) -> None:
    """Focus the input of a field, clear it with the keyboard, type."""
    control = form.query_one(f"#input-{name}", Input)
    control.focus()
    await pilot.press("end", "ctrl+u")
    await type_text(pilot, text)


async def choose(pilot, form: PlanForm, name: str, value: str) -> None:
    """Pick an option of a select with the keyboard: open it, walk to the option, enter."""
    select = form.query_one(f"#input-{name}", Select)
    select.focus()
    options = [v for _label, v in select._options]
    here = options.index(select.value)
    await pilot.press("enter")
    await pilot.pause()
    there = options.index(value)
    key = "down" if there > here else "up"
    for _ in range(abs(there - here)):
        await pilot.press(key)
    await pilot.press("enter")
    await settle(pilot)
    assert select.value == value


def error_of(form: PlanForm, name: str) -> str:
    shown = form.query(f"#error-{name}")  # mounted with the row's first error
    return str(shown.first(Static).render()) if shown else ""


def hidden(form: PlanForm, name: str) -> bool:
    return form.query_one(f"#field-{name}").has_class("-hidden")


async def test_invalid_fixed_day_shows_the_error_beside_it_and_saves_nothing(admin):
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, admin)
        assert pilot.app.focused.id == "input-name"
        await type_text(pilot, "Gold monthly")
        await pilot.press("tab")
        await type_text(pilot, "gold-m")
        await type_into(pilot, form, "amount", "29.00")
        await type_into(pilot, form, "vat", "19")
        await choose(pilot, form, "schedule_type", "month_fixedday")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form
        assert "Choose the day of the month (1–28)" in error_of(form, "schedule_fixed_day")
        assert pilot.app.focused.id == "input-schedule_fixed_day"
        await type_text(pilot, "31")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "at most 28" in error_of(form, "schedule_fixed_day")
        assert pilot.app.screen is form
        with pytest.raises(NotFound):
            plan_service.get_plan(admin, "gold-m")
        # Fixed: the error goes and the plan is saved in minor units with VAT as a fraction.
        await type_into(pilot, form, "schedule_fixed_day", "1")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is not form
    plan = plan_service.get_plan(admin, "gold-m")
    assert (plan.name, plan.amount, str(plan.vat), plan.schedule_type, plan.schedule_fixed_day,
            plan.version, plan.state) == ("Gold monthly", 2900, "0.19", "month_fixedday", 1, 1,
                                          "active")


async def test_several_bad_fields_are_marked_at_once_and_the_first_is_focused(admin):
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, admin)
        await type_into(pilot, form, "handle", "has space")
        await type_into(pilot, form, "amount", "29.999")
        await type_into(pilot, form, "vat", "abc")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Enter a name" in error_of(form, "name")
        assert "handle" in error_of(form, "handle").lower()
        assert "At most 2 decimals" in error_of(form, "amount")
        assert "percentage" in error_of(form, "vat")
        assert pilot.app.focused.id == "input-name"
    assert plan_service.list_plans(admin) == []


async def test_inputs_appear_only_where_they_apply(admin):
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, admin)
        fixed_day_only = ("schedule_fixed_day", "base_month", "partial_period_handling",
                          "partial_proration_days", "minimum_prorated_amount")
        assert all(hidden(form, name) for name in fixed_day_only)  # month_startdate
        await choose(pilot, form, "schedule_type", "month_fixedday")
        assert not any(hidden(form, name) for name in fixed_day_only)
        await choose(pilot, form, "partial_period_handling", "bill_full")
        assert hidden(form, "partial_proration_days") and hidden(form, "minimum_prorated_amount")
        assert not hidden(form, "schedule_fixed_day")
        await choose(pilot, form, "schedule_type", "weekly_fixedday")
        assert hidden(form, "base_month") and not hidden(form, "schedule_fixed_day")
        assert "Monday" in form.query_one("#input-schedule_fixed_day", Input).placeholder
        assert "weeks" in str(form.query_one("#label-interval_length").render())
        await type_into(pilot, form, "schedule_fixed_day", "3")
        await choose(pilot, form, "schedule_type", "daily")
        assert hidden(form, "schedule_fixed_day") and hidden(form, "partial_period_handling")
        # A hidden input sends nothing, so it cannot make the plan invalid.
        assert parse_values(form.raw(), None)[0]["schedule_fixed_day"] is None
        await choose(pilot, form, "schedule_type", "manual")
        assert hidden(form, "interval_length") and hidden(form, "trial_interval_length")
        await choose(pilot, form, "schedule_type", "month_startdate")
        # Duration: the fixed count only for a fixed number of cycles; the contract period
        # not there; the renewal period only when renewing.
        assert hidden(form, "fixed_count") and not hidden(form, "renewal_contract_period_length")
        await choose(pilot, form, "subscription_duration", "fixed_count")
        assert not hidden(form, "fixed_count") and hidden(form, "contract_period_length")
        await choose(pilot, form, "subscription_duration", "contract_end")
        assert hidden(form, "fixed_count") and hidden(form, "renewal_contract_period_length")
        assert not hidden(form, "contract_period_length")
        # Trial reminder with a trial, setup fee text and handling with a setup fee.
        assert hidden(form, "trial_reminder_email_days") and hidden(form, "setup_fee_text")
        await type_into(pilot, form, "trial_interval_length", "14")
        await type_into(pilot, form, "setup_fee", "49")
        await settle(pilot)
        assert not hidden(form, "trial_reminder_email_days")
        assert not hidden(form, "setup_fee_text") and not hidden(form, "setup_fee_handling")


async def test_section_keys_jump_and_the_nav_line_shows_where_you_are(admin):
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, admin)
        await pilot.press("f6")
        await settle(pilot)
        assert pilot.app.focused.id == "input-contract_period_length"
        assert "▸F6" in str(form.query_one("#plan-nav", Static).render())
        assert form.query_one("#input-contract_period_length").region.y < SIZE[1]
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert pilot.app.focused.id == "input-trial_interval_length"
        await pilot.press("f2")
        assert pilot.app.focused.id == "input-name"
        await pilot.press("f1")  # help lists the section keys
        await settle(pilot)
        help_text = str(pilot.app.screen.query_one("#help Static").render())
        assert "f6" in help_text.lower() and "Go to: Contract terms" in help_text


async def test_the_timeline_follows_the_contract_terms_as_they_are_typed(admin):
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, admin)
        await choose(pilot, form, "schedule_type", "month_fixedday")
        await type_into(pilot, form, "schedule_fixed_day", "1")
        await type_into(pilot, form, "contract_period_length", "12")
        await type_into(pilot, form, "notice_period_length", "1")
        await pilot.pause(0.3)
        await settle(pilot)
        timeline = str(form.query_one("#contract-timeline", Static).render())
        _inp, terms = validate_plan({"handle": "x", "name": "x", "amount": 0,
                                     "schedule_type": "month_fixedday", "schedule_fixed_day": 1,
                                     "contract_period_length": 12,
                                     "contract_period_unit": "months",
                                     "notice_period_length": 1, "notice_period_unit": "months"})
        expected = contract_preview(terms, START)
        assert "contract period ends " + format_short_date(expected.contract_ends[0]) in timeline
        deadline, end = expected.notice_deadlines[0]
        assert f"cancel by {format_short_date(deadline)} to end on {format_short_date(end)}" \
            in timeline
        assert "contract  ===" in timeline  # the bar on the ruler
        # A bad value in the way: the timeline says what blocks it.
        await type_into(pilot, form, "notice_period_length", "x")
        await pilot.pause(0.3)
        await settle(pilot)
        assert "waits for" in str(form.query_one("#contract-timeline", Static).render())


async def test_edit_name_in_place_keeps_the_version(admin):
    plan = plan_service.create_plan(admin, GOLD)
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, admin, plan)
        assert not form.query("#input-handle")  # the handle is fixed after create
        assert form.query_one("#input-currency", Input).disabled
        assert form.query_one("#input-amount", Input).value == "100.00"
        assert form.query_one("#input-vat", Input).value == "19"
        await type_into(pilot, form, "name", "Gold Plus")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is not form
    versions = plan_service.list_plan_versions(admin, "gold")
    assert [(v.version, v.name, v.state) for v in versions] == [(1, "Gold Plus", "active")]


async def test_unchanged_save_writes_nothing(admin):
    plan = plan_service.create_plan(admin, GOLD)
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, admin, plan)
        assert not form.dirty
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form
    assert plan_service.get_plan(admin, "gold").row_version == plan.row_version


async def change_price(pilot, admin, plan, amount: str) -> NewVersionDialog:
    form = await open_form(pilot, admin, plan)
    await type_into(pilot, form, "amount", amount)
    await pilot.press("ctrl+s")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, NewVersionDialog)
    return dialog


async def test_price_change_for_new_subscribers_only(admin):
    plan = plan_service.create_plan(admin, GOLD)
    sub = subscribe(admin)
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        dialog = await change_price(pilot, admin, plan, "120.00")
        changes = str(dialog.query_one("#version-changes Static", Static).render())
        assert "Amount per period" in changes and "€100.00 → €120.00" in changes
        count = str(dialog.query_one("#version-count", Static).render())
        assert "1 live subscriber stays" in count
        await pilot.press("ctrl+s")  # "only new subscribers" is preselected
        await settle(pilot)
        assert not isinstance(pilot.app.screen, (NewVersionDialog, PlanForm))
    v1, v2 = plan_service.list_plan_versions(admin, "gold")
    assert (v1.state, v1.amount) == ("superseded", 10000)
    assert (v2.version, v2.state, v2.amount) == (2, "active", 12000)
    assert subscription_service.get_subscription(admin, sub.id).pending_plan_id is None


async def test_price_change_for_new_and_existing_subscribers_moves_them(admin):
    plan = plan_service.create_plan(admin, GOLD)
    sub = subscribe(admin)
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        dialog = await change_price(pilot, admin, plan, "120")
        await pilot.press("2")
        await settle(pilot)
        assert dialog.scope == "new_and_existing"
        count = str(dialog.query_one("#version-count", Static).render())
        assert "1 live subscriber moves to version 2" in count
        await pilot.press("ctrl+s")
        await settle(pilot)
    v1, v2 = plan_service.list_plan_versions(admin, "gold")
    assert (v1.state, v2.state, v2.amount) == ("superseded", "active", 12000)
    moved = subscription_service.get_subscription(admin, sub.id)
    assert moved.pending_plan_id == v2.id and moved.pending_change_at is not None


async def test_cancelling_the_new_version_dialog_keeps_the_form(admin):
    plan = plan_service.create_plan(admin, GOLD)
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await change_price(pilot, admin, plan, "120")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PlanForm)
    assert len(plan_service.list_plan_versions(admin, "gold")) == 1


async def test_a_colleagues_change_shows_a_banner_and_reload_loads_it(admin):
    plan = plan_service.create_plan(admin, GOLD)
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, admin, plan)
        plan_service.edit_plan(admin, "gold", {"name": "Gold (by Bob)"},
            expected_row_version=plan_service.get_plan(admin, "gold").row_version)
        await type_into(pilot, form, "name", "Gold mine")
        await pilot.press("ctrl+s")
        await settle(pilot)
        banner = str(form.query_one("#form-banner", Static).render())
        assert "changed by alice" in banner and "ctrl+r" in banner
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert form.query_one("#input-name", Input).value == "Gold (by Bob)"
        assert form.query_one("#form-banner").has_class("-empty")
    assert plan_service.get_plan(admin, "gold").name == "Gold (by Bob)"


async def test_escape_with_changes_asks_with_no_focused(admin):
    plan = plan_service.create_plan(admin, GOLD)
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, admin, plan)
        await type_into(pilot, form, "name", "Changed")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmDialog)
        assert isinstance(pilot.app.focused, Button) and pilot.app.focused.id == "no"
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is form
        await pilot.press("escape")
        await pilot.press("y")
        await settle(pilot)
        assert pilot.app.screen is not form
    assert plan_service.get_plan(admin, "gold").name == "Gold"


async def test_version_history_lists_changes_and_opens_a_version_read_only(admin):
    plan_service.create_plan(admin, GOLD)
    plan_service.create_plan_version(admin, "gold", {"amount": 12000, "interval_length": 3},
                                     scope="new_only",
                                         expected_row_version=plan_service.get_plan(admin, "gold").row_version)
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.app.push_screen(PlanVersionsScreen(admin, "gold"))
        await settle(pilot)
        screen = pilot.app.screen
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        newest = table.get_row_at(0)
        assert newest[0] == "2" and newest[1] == "active" and "3 months" in newest[4]
        assert "Amount per period" in newest[5]
        detail = str(screen.query_one("#versions-detail", Static).render())
        assert "€100.00 → €120.00" in detail
        await pilot.press("down")  # version 1
        await pilot.press("enter")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, PlanForm) and form.read_only
        assert form.plan.version == 1
        assert form.query_one("#input-amount", Input).disabled
        assert "read only" in str(form.query_one("#form-banner", Static).render())
        await pilot.press("ctrl+s")
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is screen
    assert len(plan_service.list_plan_versions(admin, "gold")) == 2


async def test_delete_asks_with_no_focused_and_undelete_brings_it_back(admin):
    plan_service.create_plan(admin, GOLD)
    subscribe(admin)
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.app.push_screen(PlanVersionsScreen(admin, "gold"))
        await settle(pilot)
        screen = pilot.app.screen
        await pilot.press("d")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert "1 live subscriber keeps being billed" in dialog.detail
        assert pilot.app.focused.id == "no"
        await pilot.press("enter")
        await settle(pilot)
        assert plan_service.get_plan(admin, "gold").state == "active"
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert plan_service.get_plan(admin, "gold").state == "deleted"
        assert screen.query_one(DataTable).get_row_at(0)[1] == "deleted"
        # Deleting again is not offered; undelete is.
        assert screen.check_action("delete", ()) is False
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmDialog)
        assert pilot.app.focused.id == "no"
        await pilot.press("y")
        await settle(pilot)
    assert plan_service.get_plan(admin, "gold").state == "active"


async def test_the_refusal_of_the_plan_table_is_shown_and_nothing_is_asked(admin):
    plan = plan_service.create_plan(admin, GOLD)
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        messages = []
        pilot.app.notify = lambda message, **kw: messages.append(message)
        done = []
        confirm_undelete_plan(pilot.app.screen, admin, plan, done.append)  # not deleted
        await settle(pilot)
        assert not isinstance(pilot.app.screen, ConfirmDialog)
        assert done == [] and messages == ["The plan is not deleted."]


async def test_what_a_deleted_plan_allows_is_the_plan_tables_answer(admin):
    """The form's read-only reason and the history's keys are lookups in allowed_actions."""
    plan_service.create_plan(admin, GOLD)
    deleted = plan_service.delete_plan(admin, "gold")
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, admin, deleted)
        assert form.read_only
        banner = str(form.query_one("#form-banner", Static).render())
        assert deleted.allowed_actions["edit"] == "The plan is deleted: undelete it to change it."
        assert deleted.allowed_actions["edit"] in banner
        await pilot.press("escape")
        await settle(pilot)
        await pilot.app.push_screen(PlanVersionsScreen(admin, "gold"))
        await settle(pilot)
        screen = pilot.app.screen
        assert [screen.check_action(a, ()) for a in ("edit", "delete", "undelete")] == [
            False, False, True]
        await pilot.press("e")  # not offered: nothing opens
        await settle(pilot)
        assert pilot.app.screen is screen


@pytest.mark.parametrize("role", ["viewer", "agent"])
async def test_viewers_and_agents_see_plans_read_only(admin, role):
    add_operator(admin, {"login": "vera", "role": role})
    vera = sign_in(admin.db, "vera")
    plan = plan_service.create_plan(admin, GOLD)
    async with KontorApp(vera).run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, vera, plan)
        assert form.read_only
        assert "admins" in str(form.query_one("#form-banner", Static).render())
        assert form.query_one("#input-name", Input).disabled
        assert form.check_action("save", ()) is None
        form.query_one("#input-name", Input).value = "Hacked"
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = await open_form(pilot, vera)  # a new plan: read only as well
        assert form.read_only
    assert plan_service.get_plan(admin, "gold").name == "Gold"


async def test_a_demoted_admin_is_refused_by_the_core(admin):
    add_operator(admin, {"login": "bob", "role": "admin"})
    bob = sign_in(admin.db, "bob")
    async with KontorApp(bob).run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, bob)
        update_operator(admin, "bob", {"role": "agent"},
                        expected_version=get_operator(admin, "bob").version)
        await type_into(pilot, form, "name", "Sneaky")
        await type_into(pilot, form, "handle", "sneaky")
        await type_into(pilot, form, "amount", "1")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form
        assert "may not" in str(form.query_one("#form-banner", Static).render())
    assert plan_service.list_plans(admin) == []


async def test_the_plans_stylesheet_loads_and_a_checkbox_says_yes_or_no(admin):
    class StyledApp(KontorApp):
        CSS_PATH = [*KontorApp.CSS_PATH, Path(styles.__file__).parent / "plans.tcss"]

    async with StyledApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, admin)
        box = form.query_one("#input-amount_incl_vat", Checkbox)
        assert str(box.label) == "yes"
        box.focus()
        await pilot.press("space")
        assert str(box.label) == "no"
        assert parse_values(form.raw(), None)[0]["amount_incl_vat"] is False


def test_a_value_hidden_from_the_start_is_kept_and_one_hidden_by_the_admin_is_cleared(admin):
    plan = plan_service.create_plan(admin, {
        **GOLD, "schedule_type": "month_startdate", "schedule_fixed_day": None,
        "subscription_duration": "contract_end", "contract_period_length": 12,
        "contract_period_unit": "months", "renewal_contract_period_length": 6,
        "renewal_contract_period_unit": "months"})
    raw = raw_values(plan)
    data, errors = parse_values(raw, plan)
    assert errors == {}
    assert (data["renewal_contract_period_length"], data["renewal_contract_period_unit"]) == (
        6, "months")  # hidden under contract_end from the start: kept
    raw["subscription_duration"] = "fixed_count"
    raw["fixed_count"] = "6"
    data, errors = parse_values(raw, plan)
    assert data["contract_period_length"] is None  # the admin hid it: cleared
    assert data["fixed_count"] == 6


async def test_reminder_days_need_a_new_version_setup_fee_changes_in_place(admin):
    """Seed 004: only name, description, VAT, dunning plan and setup fee change in place;
    reminder days (and partial period handling, proration) go through a new version."""
    plan = plan_service.create_plan(admin, {**GOLD, "renewal_reminder_email_days": 3})
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, admin, plan)
        await type_into(pilot, form, "renewal_reminder_email_days", "5")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, NewVersionDialog)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        if isinstance(pilot.app.screen, ConfirmDialog):  # "discard changes?"
            await pilot.press("y")
            await settle(pilot)
        form = await open_form(pilot, admin, plan)
        await type_into(pilot, form, "setup_fee", "49.00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, NewVersionDialog)
    versions = plan_service.list_plan_versions(admin, "gold")
    assert [(v.version, v.setup_fee, v.renewal_reminder_email_days) for v in versions] == [
        (1, 4900, 3)]


async def test_partial_period_handling_needs_a_new_version(admin):
    plan = plan_service.create_plan(admin, GOLD)
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, admin, plan)
        await choose(pilot, form, "partial_period_handling", "bill_full")
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, NewVersionDialog)
        assert "Partial period" in str(dialog.query_one("#version-changes Static",
                                                        Static).render())


async def test_a_new_plan_starts_with_the_account_currency_and_vat(admin):
    from core.services import settings as settings_service

    settings_service.set_setting(admin, "default_currency", "DKK")
    settings_service.set_setting(admin, "default_vat", "0.25")
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, admin)
        await settle(pilot)
        assert form.query_one("#input-currency", Input).value == "DKK"
        assert form.query_one("#input-vat", Input).value == "25"
        assert not form.dirty


@pytest.mark.parametrize("stored", [None, False, True])
def test_imported_reepay_flags_survive_an_unchanged_form(admin, stored):
    from console.screens.plan.fields import changed_fields

    plan_service.import_plans(admin, {
        **GOLD, "vat": 0.19, "trial_interval_length": 7, "trial_interval_unit": "days",
        "fixed_trial_days": stored, "prepaid": True, "tax_policy": "de-standard",
        "account_funding": False, "schedule_fixed_hour": 6})
    plan = plan_service.get_plan(admin, "gold")
    data, errors = parse_values(raw_values(plan), plan)
    assert errors == {}
    inp, _terms = validate_plan(data)
    assert changed_fields(plan, inp) == {}


async def test_fixed_hour_and_trial_days_are_inputs_of_fixed_day_plans(admin):
    plan = plan_service.create_plan(admin, {**GOLD, "trial_interval_length": 7,
                                            "trial_interval_unit": "days"})
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, admin, plan)
        await type_into(pilot, form, "schedule_fixed_hour", "6")
        form.query_one("#input-fixed_trial_days", Checkbox).value = True
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, NewVersionDialog)
        assert set(dialog.changes) == {"schedule_fixed_hour", "fixed_trial_days"}


async def test_create_version_radio_buttons_read_without_colour(admin):
    """Defect 17: both scope buttons drew "●"; the unselected one draws "○"."""
    plan = plan_service.create_plan(admin, GOLD)
    async with KontorApp(admin).run_test(size=SIZE) as pilot:
        await settle(pilot)
        dialog = await change_price(pilot, admin, plan, "120")

        def drawn(button_id: str) -> str:
            return "".join(s.text for s in dialog.query_one(f"#{button_id}").render_line(0))

        assert "●" in drawn("scope-new_only") and "○" not in drawn("scope-new_only")
        assert "○" in drawn("scope-new_and_existing")
        assert "●" not in drawn("scope-new_and_existing")
        await pilot.press("2")
        await settle(pilot)
        assert "○" in drawn("scope-new_only") and "●" in drawn("scope-new_and_existing")
