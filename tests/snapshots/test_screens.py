"""Every screen and form at 80x24, driven by keys from the contacts list (never by import path,
so a screen may move between modules without touching these tests).

Each test runs with `ansi-dark` and with NO_COLOR=1 (see conftest.py). After a deliberate
change of a screen, regenerate and look at the new SVGs before committing them:

    python3 dev.py test tests/snapshots --snapshot-update
"""

from __future__ import annotations

import pytest

from tests.snapshots.keys import Type, Wait

ANNA = ("slash", Type("anna.mueller@example"), "enter")  # the list narrowed to Anna Müller
ANNAS_CARD = (*ANNA, "enter")
OLIVER = ("slash", Type("oliver.smith@example"), "enter", "enter")
# Oliver Smith's starter subscription: begun 74 days before the frozen today, after a trial
OLIVERS_SUBSCRIPTION = (*OLIVER, "s", "enter")


# Contacts ---------------------------------------------------------------------------------------

def test_contacts_list(snap):
    assert snap()


def test_contacts_search(snap):
    assert snap(*ANNA)


def test_contacts_search_typing(snap):
    # the list follows after a pause in the typing (SEARCH_DELAY), before enter
    assert snap("slash", Type("gre"), Wait(0.3))


def test_contact_card_overview(snap):
    assert snap(*ANNAS_CARD)


def test_contact_card_subscriptions(snap):
    assert snap(*ANNAS_CARD, "s")


def test_contact_card_history(snap):
    assert snap(*ANNAS_CARD, "h")


def test_contact_card_orders(snap):
    assert snap(*ANNAS_CARD, "r")


def test_order_screen(snap):
    assert snap(*ANNAS_CARD, "r", "enter")


def test_add_product_form(snap):
    assert snap(*ANNAS_CARD, "plus", Type("yog"), Wait(0.3))  # the picker follows the typing


def test_new_contact_form(snap):
    assert snap("n")


def test_new_contact_form_with_an_inline_error(snap):
    assert snap("n", Type("Zoe Example"), "tab", Type("not-an-email"), "ctrl+s")


def test_edit_contact_form(snap):
    assert snap(*ANNA, "e")


# Subscriptions ----------------------------------------------------------------------------------

def test_subscription_timeline(snap):
    assert snap(*OLIVERS_SUBSCRIPTION)


def test_subscription_invoices(snap):
    assert snap(*OLIVERS_SUBSCRIPTION, "i")


def test_cancel_dialog(snap):
    assert snap(*OLIVERS_SUBSCRIPTION, "c")


def test_change_plan_dialog(snap):
    assert snap(*OLIVERS_SUBSCRIPTION, "p")


def test_new_subscription_form(snap):
    assert snap(*ANNAS_CARD, "a")


# Plans ------------------------------------------------------------------------------------------

def test_plan_list(snap):
    assert snap("2")


def test_plan_query_line(snap):
    assert snap("2", "slash", Type("amount:10-50"), "enter")


def test_plan_filter_panel(snap):
    assert snap("2", "f")


def test_plan_sort_dialog(snap):
    assert snap("2", "s")


def test_plan_columns_dialog(snap):
    assert snap("2", "o")


def test_plan_save_view_dialog(snap):
    assert snap("2", "v")


def test_plan_views_dialog(snap):
    assert snap("2", "w")


def test_plan_export_dialog(snap):
    assert snap("2", "x")


def test_plan_form_information(snap):
    assert snap("2", "e")


def test_plan_form_pricing(snap):
    assert snap("2", "e", "f3")


def test_plan_form_billing(snap):
    assert snap("2", "e", "f4")


def test_plan_form_contract_terms(snap):
    assert snap("2", "e", "f6")


def test_new_plan_form(snap):
    assert snap("2", "n")


def test_new_version_dialog(snap):
    assert snap("2", "e", "f3", "end", "ctrl+u", Type("35.00"), "ctrl+s")


def test_version_history(snap):
    assert snap("2", "H")


# Operators, settings, help, palette -------------------------------------------------------------

def test_operators(snap):
    assert snap("9")


def test_operator_form(snap):
    assert snap("9", "n")


def test_edit_operator_form(snap):
    assert snap("9", "down", "e")


def test_settings(snap):
    assert snap("9", "s")


def test_setting_form(snap):
    assert snap("9", "s", "e")


def test_setting_form_with_an_inline_error(snap):
    assert snap("9", "s", "e", "end", "ctrl+u", Type("Mars/Olympus"), "ctrl+s")


def test_help(snap):
    assert snap("question_mark")


def test_plan_list_help(snap):
    assert snap("2", "question_mark")


def test_command_palette(snap):
    # With a query: the empty palette lists each provider's commands in the order their
    # searches finish, which differs from run to run.
    assert snap("ctrl+p", Type("go to"))


def test_start_screen(snap_compare, theme, snapshot_db, frozen_clock):
    """What shows while the database opens (held open here until the picture is taken)."""
    import threading

    from core.services.operators import sign_in
    from tests.snapshots.conftest import SIZE, build_app

    shown, release = threading.Event(), threading.Event()

    def connect(progress):
        progress("Migrating the database …")
        shown.set()
        release.wait(30)
        return sign_in(snapshot_db, "alice")

    async def opening(pilot) -> None:
        while not shown.is_set():  # no settle: the worker is still connecting
            await pilot.pause(0.01)
        await pilot.pause()
        await pilot.pause()

    app = build_app(theme, connect=connect)
    export = app.export_screenshot

    def export_then_connect(**kwargs) -> str:  # the app waits for its worker when it exits
        svg = export(**kwargs)
        release.set()
        return svg

    app.export_screenshot = export_then_connect
    app._connected = lambda ctx: None  # the picture is taken: do not switch while closing
    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=opening)
    finally:
        release.set()


# Groups -----------------------------------------------------------------------------------------

@pytest.fixture
def a_group(snapshot_db, frozen_clock):
    """A group of 5 + 3 seats on two monthly subscriptions (bought 20 and 5 days before the
    frozen today), 5 participants: seeded for these tests only."""
    from datetime import timedelta

    from core.services import groups
    from core.services.operators import sign_in
    from core.services.plans import create_plan
    from tests.services.commerce_rows import product_with_offer
    from tests.snapshots.conftest import FROZEN

    ctx = sign_in(snapshot_db, "alice")
    create_plan(ctx, {"handle": "team-monthly", "name": "Team monthly", "amount": 1000,
                      "schedule_type": "month_startdate", "interval_length": 1},
                now=FROZEN - timedelta(days=40))
    with snapshot_db.transaction() as s:
        o = product_with_offer(s, handle="yoga-team", payment="subscription", price=None,
                               plan_handle="team-monthly")
        o.group_min_seats, o.group_max_seats = 1, 50
    g = groups.create_group(ctx, {"offer": o.handle, "leader": "lea.leader@example.org",
                                  "name": "Yoga Team Nord", "seats": 5},
                            now=FROZEN - timedelta(days=20))
    groups.upgrade_group(ctx, g.id, 3, now=FROZEN - timedelta(days=5))
    for name in ("Ada", "Ben", "Cleo", "Dino", "Ela"):
        groups.enrol(ctx, g.id, f"{name.lower()}@example.org", name=f"{name} Beispiel",
                     now=FROZEN - timedelta(days=4))
    return g.id


def test_groups_area(a_group, snap):
    assert snap("6")


def test_group_quota_view(a_group, snap):
    assert snap("6", "enter")


def test_group_downgrade_assistant(a_group, snap):
    assert snap("6", "enter", "d", Type("5"))
