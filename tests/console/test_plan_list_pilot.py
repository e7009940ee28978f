"""The plan list at 80x24: query line, filter panel, chips, columns, views, export, sort."""

from __future__ import annotations

from datetime import date

import pytest
from textual.command import CommandPalette
from textual.widgets import Input, Static

from console.app import KontorApp
from console.screens.plan_dialogs import ColumnsPicker, ExportDialog, FilterPanel
from console.screens.plans import PlanListScreen
from console.widgets.chips import ChipBar
from console.widgets.windowed_table import WindowedTable
from core import plan_query
from core.plan_query import KEYS
from core.services import plan_catalogue as catalogue
from core.services import views as view_service
from core.services.demo import generate_plans
from core.services.operators import sign_in
from core.services.plan_catalogue import COLUMNS as COLUMNS_ALL
from tests.console.conftest import SIZE, copy_database, seeded_copy, settle, type_text


@pytest.fixture(scope="session")
def catalogue_template(tmp_path_factory, sqlite_template):
    return seeded_copy(tmp_path_factory, sqlite_template, "catalogue",
                       lambda db: generate_plans(sign_in(db, "alice"), 400))


@pytest.fixture
def catalogue_db(tmp_path, catalogue_template):
    """alice (admin) and 400 generated plans: a copy of a file seeded once per session."""
    db = copy_database(catalogue_template, tmp_path)
    yield db
    db.dispose()


@pytest.fixture
def ctx(catalogue_db):
    return sign_in(catalogue_db, "alice")


async def open_plans(pilot) -> PlanListScreen:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PlanListScreen)
    return screen


def expected_total(ctx, query: str) -> int:
    return catalogue.count_plans(ctx, plan_query.parse(query, today=date.today()))


async def query(pilot, text: str) -> None:
    """Put `text` in the query line and press enter. (Typed key by key on a loaded machine,
    a pause mid-word lets search-as-you-type apply a partial query, as it should.)"""
    await pilot.press("slash")
    pilot.app.screen.query_one("#plan-query", Input).value = text
    await pilot.press("enter")
    await settle(pilot)


async def test_status_and_amount_range_via_the_query_line(ctx):
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        table = screen.query_one(WindowedTable)
        assert table.total == 400
        await query(pilot, "state:active amount:10-50")
        assert table.total == expected_total(ctx, "state:active amount:10-50") < 400
        labels = [label for _k, label in screen.query_one(ChipBar).chips]
        assert "Status: active" in labels and any(label.startswith("Amount") for label in labels)
        assert all(row.state == "active" and 1000 <= row.row.amount <= 5000
                   for row in (table.row_at(i) for i in range(min(table.total, 50))))


async def test_status_and_amount_range_via_the_filter_panel(ctx):
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FilterPanel)
        for _ in range(KEYS.index("state")):
            await pilot.press("down")
        await pilot.press("enter")  # the choices of Status
        await settle(pilot)
        await pilot.press("space", "ctrl+s")  # "active" is the first choice
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        for _ in range(KEYS.index("amount")):
            await pilot.press("down")
        await pilot.press("enter")
        await type_text(pilot, "10-50")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.filter.state == ("active",)
        assert screen.query_one("#plan-query", Input).value == plan_query.format(screen.filter)
        assert screen.query_one(WindowedTable).total == expected_total(
            ctx, "state:active amount:10-50")


async def test_a_malformed_query_says_where_and_keeps_the_last_result(ctx):
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        await query(pilot, "state:active")
        table = screen.query_one(WindowedTable)
        before = table.total
        await query(pilot, "state:active amount:abc")
        status = str(screen.query_one("#plan-status", Static).render())
        assert "✗" in status and "At character 21" in status and "last valid result" in status
        assert table.total == before
        assert screen.filter == plan_query.parse("state:active", today=date.today())


async def test_removing_a_chip_by_keyboard(ctx):
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        await query(pilot, "state:active tiu:days")
        await pilot.press("c", "x")  # first chip: Status
        await settle(pilot)
        assert screen.filter.state == () and screen.filter.trial_interval_unit == ("days",)
        assert screen.query_one(WindowedTable).total == expected_total(ctx, "tiu:days")


async def test_hidden_columns_are_remembered_per_operator(ctx):
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ColumnsPicker)
        await pilot.press("down", "space", "down", "down", "down", "space", "ctrl+s")
        await settle(pilot)
        assert screen.shown_columns == ["state", "handle", "version", "trial", "amount",
                                        "billing_frequency"]
    assert view_service.get_preference(ctx, "plans.columns") == screen.shown_columns
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        assert "name" not in screen.shown_columns


async def test_save_a_view_and_recall_it_from_the_palette(ctx):
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        await query(pilot, "state:active type:month_fixedday")
        await pilot.press("v")
        await settle(pilot)
        await type_text(pilot, "fixed day")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await query(pilot, "")
        assert screen.filter == plan_query.PlanFilter()
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(pilot.app.screen, CommandPalette)
        await type_text(pilot, "View: fixed day")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.filter.schedule_type == ("month_fixedday",)
        assert screen.view_name == "fixed day"
        # Saving it again under its name replaces it at the version the list showed.
        await query(pilot, "state:active")
        await pilot.press("v")
        await settle(pilot)
        await type_text(pilot, "fixed day")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.view_name == "fixed day"
    assert [(v.name, v.query, v.version) for v in view_service.list_views(ctx)] == [
        ("fixed day", "state:active", 2)]


async def test_export_writes_exactly_what_the_list_shows(ctx, tmp_path, monkeypatch):
    monkeypatch.setenv("KONTOR_EXPORT_DIR", str(tmp_path))
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        await query(pilot, "state:active amount:10-50")
        total = screen.query_one(WindowedTable).total
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ExportDialog)
        await pilot.press("ctrl+s")
        await settle(pilot)
    [path] = list(tmp_path.glob("kontor-plans-*.csv"))
    lines = path.read_text().splitlines()
    assert len(lines) == total + 1 and lines[0].startswith("state,name,handle")


async def test_sort_by_amount_from_the_keyboard(ctx):
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        await pilot.press("s")
        await settle(pilot)
        index = catalogue.COLUMNS.index("amount") * 2  # "Amount ↑"
        await pilot.press("home")  # the picker opens on the current sort
        for _ in range(index):
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        table = screen.query_one(WindowedTable)
        amounts = [table.row_at(i).row.amount for i in range(20)]
        assert amounts == sorted(amounts)
        await pilot.press("S")
        await settle(pilot)
        amounts = [table.row_at(i).row.amount for i in range(20)]
        assert amounts == sorted(amounts, reverse=True)


async def test_query_line_completes_keys(ctx):
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        await pilot.press("slash")
        await type_text(pilot, "sched")
        await pilot.pause(0.2)
        await pilot.press("right")
        assert screen.query_one("#plan-query", Input).value.startswith("schedule_")


async def test_viewer_can_filter_but_not_create(catalogue_db):
    from core.services.operators import add_operator

    add_operator(sign_in(catalogue_db, "alice"), {"login": "vera", "role": "viewer"})
    async with KontorApp(sign_in(catalogue_db, "vera")).run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert pilot.app.screen is screen
        await query(pilot, "state:deleted")
        assert screen.query_one(WindowedTable).total == expected_total(
            sign_in(catalogue_db, "vera"), "state:deleted")



async def test_a_hidden_column_reads_as_unticked_without_colour(ctx):
    """NO_COLOR / 16 colours: the columns picker must show the choice as text, not hue."""
    from textual.widgets import SelectionList

    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await open_plans(pilot)
        await pilot.press("o")
        await settle(pilot)
        picker = pilot.app.screen.query_one(SelectionList)
        await pilot.press("down", "space")  # hide the second column (Name)
        await settle(pilot)
        boxes = []
        for y in range(2):
            text = picker.render_line(y).text
            boxes.append(text[text.index("▐") + 1])
        assert boxes == ["X", " "]


async def test_deleting_a_saved_view_asks_first(ctx):
    from console.widgets.confirm import ConfirmDialog

    view_service.save_view(ctx, "mine", "state:active", list(COLUMNS_ALL), "created:desc",
                           expected_version=None)
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await open_plans(pilot)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await pilot.press("n")  # No keeps it
        await settle(pilot)
        assert [v.name for v in view_service.list_views(ctx)] == ["mine"]
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("d", "y")
        await settle(pilot)
    assert view_service.list_views(ctx) == []


async def test_filter_panel_keeps_every_field_set_in_one_visit(ctx):
    """Defect 8: `f`, tick Status active, esc, Amount 10-50, ctrl+s kept only the amount."""
    from textual.widgets import OptionList

    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        await pilot.press("f")
        await settle(pilot)
        panel = pilot.app.screen
        assert isinstance(panel, FilterPanel)
        for _ in range(KEYS.index("state")):
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("space", "escape")  # tick "active", back to the field list
        await settle(pilot)
        fields = panel.query_one("#filter-fields", OptionList)
        state_row = str(fields.get_option_at_index(KEYS.index("state")).prompt)
        assert state_row.startswith("●") and "active" in state_row
        assert not str(fields.get_option_at_index(KEYS.index("amount")).prompt).startswith("●")
        for _ in range(KEYS.index("amount") - KEYS.index("state")):
            await pilot.press("down")
        await pilot.press("enter")
        await type_text(pilot, "10-50")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert screen.filter.state == ("active",)
        assert screen.filter.amount == plan_query.NumRange(lo=1000, hi=5000)
        assert screen.query_one(WindowedTable).total == expected_total(
            ctx, "state:active amount:10-50")


async def test_filter_panel_shows_human_labels_for_choices(ctx):
    from textual.widgets import SelectionList

    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await open_plans(pilot)
        await pilot.press("f")
        await settle(pilot)
        for _ in range(KEYS.index("schedule_type")):
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        choices = pilot.app.screen.query_one("#input-schedule_type", SelectionList)
        prompts = [str(choices.get_option_at_index(i).prompt) for i in range(choices.option_count)]
        assert "monthly — on a fixed day" in prompts and "month_fixedday" not in prompts
        await pilot.press("escape", "escape")  # back to the list; the draft is unchanged
        await settle(pilot)
        assert isinstance(pilot.app.screen, PlanListScreen)


async def test_filter_panel_is_a_form_bad_value_inline_and_esc_asks(ctx):
    """The panel is a FormScreen: a value that does not parse is marked on its row (nothing
    applied), and esc on a changed panel asks before it drops the changes."""
    from console.widgets.confirm import ConfirmDialog

    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        await pilot.press("f")
        await settle(pilot)
        panel = pilot.app.screen
        for _ in range(KEYS.index("amount")):
            await pilot.press("down")
        await pilot.press("enter")
        await type_text(pilot, "abc")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is panel
        assert "is not an amount" in str(panel.query_one("#error-amount", Static).render())
        assert pilot.app.focused is panel.query_one("#input-amount", Input)
        await pilot.press("ctrl+d")  # remove this filter: the row is empty again
        await type_text(pilot, "10")
        await pilot.press("escape")  # back to the field list, the value kept
        await settle(pilot)
        assert panel.query_one("#error-amount", Static).has_class("-empty")
        await pilot.press("escape")  # the panel changed: it asks, No focused
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmDialog)
        assert pilot.app.focused.id == "no"
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is panel
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert screen.filter.amount == plan_query.NumRange(lo=1000, hi=1000)
