"""The Products tab and the order editor at 80x24, by keyboard: open the tab, enter the editor,
limit to the first 3 lessons, release none, checkpoints off, see the preview change before
saving, save; then switch tariff — and the same in German."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable, Static

from console.app import KontorApp
from console.screens.accesses.dialogs import SwitchDialog
from console.screens.accesses.editor import AccessEditorScreen
from console.widgets.confirm import ConfirmDialog
from core.models import Lesson, Offer, utcnow
from core.services import accesses
from core.services.operators import add_operator, sign_in
from tests.console.conftest import SIZE, settle, type_text
from tests.services.commerce_rows import product_with_offer


@pytest.fixture
def enrolled(seeded):
    """Anna Müller (contact 1) holds access 1 to "Yoga" (5 lessons, delays 0/7/14/21/28,
    lesson 2 a checkpoint), started 10 days ago; the product has a second offer."""
    ctx = sign_in(seeded, "alice")
    with seeded.transaction() as s:
        offer = product_with_offer(s, lessons=5, template={
            "release": "delays", "checkpoints": True, "review": "curator"})
        s.query(Lesson).filter(Lesson.key == "l2").update({"checkpoint": True,
                                                            "practice": True})
        s.add(Offer(handle="yoga-all", product_id=offer.product_id, name="Yoga all-in",
                    sort_key="yoga all-in", payment="one_time", price=9900, currency="EUR",
                    template={"release": "none"}))
        accesses.grant(s, ctx, contact_id=1, offer=offer,
                       starts_at=utcnow() - timedelta(days=10))
    return seeded


async def open_products(pilot):
    await pilot.press("slash")
    await type_text(pilot, "anna.mueller@example")
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("enter")  # the card
    await settle(pilot)
    await pilot.press("p")  # the Products tab, its table focused
    await settle(pilot)


def cell_texts(table: DataTable, column: str) -> list[str]:
    return [str(table.get_cell_at((i, table.get_column_index(column))))
            for i in range(table.row_count)]


async def choose_radio(pilot, screen, name: str, value: str) -> None:
    """Focus the radio set of `name` and press the choice `value` (as a user would with
    the arrow keys and space)."""
    radio = screen.row(name).control
    radio.focus()
    await pilot.pause()
    ids = [b.id for b in radio.query("Choice")]
    current = radio._selected if radio._selected is not None else 0
    target = ids.index(value)
    for _ in range(abs(target - current)):
        await pilot.press("right" if target > current else "left")
    await pilot.press("space")
    await pilot.pause()


async def test_products_tab_editor_journey_then_switch(enrolled):
    ctx = sign_in(enrolled, "alice")
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_products(pilot)
        table = pilot.app.screen.query_one("#products-table", DataTable)
        assert cell_texts(table, "product") == ["Yoga"]
        assert cell_texts(table, "lessons") == ["2 of 5"]  # 3–5 wait for checkpoint 2
        await pilot.press("enter")
        await settle(pilot)
        editor = pilot.app.screen
        assert isinstance(editor, AccessEditorScreen)
        preview = editor.query_one("#lesson-preview", DataTable)
        assert cell_texts(preview, "state") == ["open", "open", "blocked", "blocked",
                                                "blocked"]
        assert not editor.query_one("#editor-individual").display

        await choose_radio(pilot, editor, "open_mode", "first")
        await settle(pilot)
        editor.row("first").control.focus()
        await type_text(pilot, "3")
        await choose_radio(pilot, editor, "release", "none")
        editor.row("checkpoints").control.focus()
        await pilot.press("space")  # checkpoints off
        await settle(pilot)
        # the preview changed before saving — and nothing is saved yet
        assert cell_texts(preview, "state") == ["open", "open", "open", "not in tariff",
                                                "not in tariff"]
        assert "3 of 3" in str(editor.query_one("#editor-summary", Static).render())
        assert "not saved" in str(editor.query_one("#editor-summary", Static).render())
        assert accesses.get_access(ctx, 1).individual is False

        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = accesses.get_access(ctx, 1)
        assert saved.individual and saved.template.open_lessons.first == 3
        assert saved.template.release == "none" and saved.template.checkpoints is False
        assert editor.query_one("#editor-individual").display
        await pilot.press("escape")  # saved: closes at once
        await settle(pilot)
        assert cell_texts(table, "lessons") == ["3 of 3"]

        # switch tariff: t, the only other offer preselected, the preview, ctrl+s, confirm
        await pilot.press("t")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, SwitchDialog)
        text = str(dialog.query_one("#switch-preview", Static).render())
        assert "Yoga all-in" in text and "3 of 3 → 5 of 5" in text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmDialog)
        assert pilot.app.screen.focused.id == "no"
        await pilot.press("y")
        await settle(pilot)
        rows = accesses.list_accesses(ctx, 1)
        assert [(r.id, r.offer) for r in rows] == [(2, "Yoga all-in")]
        assert cell_texts(table, "offer") == ["Yoga all-in"]


async def test_delete_asks_with_no_focused_and_viewers_see_no_keys(enrolled):
    ctx = sign_in(enrolled, "alice")
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_products(pilot)
        await pilot.press("x")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmDialog) and dialog.focused.id == "no"
        await pilot.press("enter")  # No
        await settle(pilot)
        assert len(accesses.list_accesses(ctx, 1)) == 1
        await pilot.press("x", "y")
        await settle(pilot)
        assert accesses.list_accesses(ctx, 1) == []
    add_operator(ctx, {"login": "vera", "role": "viewer"})
    viewer = sign_in(enrolled, "vera")
    async with KontorApp(viewer).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_products(pilot)
        tab = pilot.app.screen.query_one("#tab-products")
        assert tab.check_action("switch", ()) is None


async def test_pause_and_extend_from_the_tab(enrolled):
    ctx = sign_in(enrolled, "alice")
    with enrolled.transaction() as s:  # a 60-day access, so there is an end to extend
        from core.models import Access

        s.get(Access, 1).ends_at = utcnow() + timedelta(days=50)
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_products(pilot)
        end = accesses.get_access(ctx, 1).ends_at
        await pilot.press("greater_than_sign")
        await settle(pilot)
        await type_text(pilot, "14d")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (accesses.get_access(ctx, 1).ends_at - end).days == 14
        await pilot.press("z")  # pause from now, until resumed
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert accesses.get_access(ctx, 1).status == "paused"
        table = pilot.app.screen.query_one("#products-table", DataTable)
        assert cell_texts(table, "status") == ["paused"]
        await pilot.press("z")  # resume
        await settle(pilot)
        assert accesses.get_access(ctx, 1).status == "active"


async def test_the_editor_in_german(enrolled):
    from core.i18n import set_language

    set_language("de")
    try:
        ctx = sign_in(enrolled, "alice")
        async with KontorApp(ctx).run_test(size=SIZE) as pilot:
            await settle(pilot)
            await open_products(pilot)
            await pilot.press("enter")
            await settle(pilot)
            editor = pilot.app.screen
            assert isinstance(editor, AccessEditorScreen)
            preview = editor.query_one("#lesson-preview", DataTable)
            assert "gesperrt" in cell_texts(preview, "state")
            assert "Heute offen" in str(editor.query_one("#editor-summary", Static).render())
            await choose_radio(pilot, editor, "open_mode", "first")
            await settle(pilot)
            editor.row("first").control.focus()
            await type_text(pilot, "3")
            await choose_radio(pilot, editor, "release", "none")
            editor.row("checkpoints").control.focus()
            await pilot.press("space")
            await settle(pilot)
            assert cell_texts(preview, "state")[3:] == ["nicht im Tarif", "nicht im Tarif"]
            assert "nicht gespeichert" in str(
                editor.query_one("#editor-summary", Static).render())
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert accesses.get_access(ctx, 1).individual
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("t")
            await settle(pilot)
            text = str(pilot.app.screen.query_one("#switch-preview", Static).render())
            assert "heute offene Lektionen 3 von 3 → 5 von 5" in text
            await pilot.press("ctrl+s")
            await settle(pilot)
            await pilot.press("y")
            await settle(pilot)
            assert [r.offer for r in accesses.list_accesses(ctx, 1)] == ["Yoga all-in"]
    finally:
        set_language("en")


async def test_the_editor_accepts_a_practice_and_shows_a_conflict(enrolled):
    ctx = sign_in(enrolled, "alice")
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_products(pilot)
        await pilot.press("enter")
        await settle(pilot)
        editor = pilot.app.screen
        preview = editor.query_one("#lesson-preview", DataTable)
        preview.focus()
        await pilot.press("down")  # lesson 2, the checkpoint
        await pilot.press("a")
        await settle(pilot)
        assert accesses.get_access(ctx, 1).accepted == ["l2"]
        assert cell_texts(preview, "state")[2:] == ["scheduled", "scheduled", "scheduled"]
        assert cell_texts(preview, "accepted")[1] == "✓"
        # a colleague saves meanwhile: this editor's save is a conflict, shown in the banner
        other = accesses.get_access(ctx, 1)
        accesses.update_template(ctx, 1, {"release": "none"}, expected_version=other.version)
        await choose_radio(pilot, editor, "release", "dates")
        await pilot.press("ctrl+s")
        await settle(pilot)
        banner = str(editor.query_one("#form-banner", Static).render())
        assert "changed by alice" in banner and "ctrl+r" in banner
        assert accesses.get_access(ctx, 1).template.release == "none"  # not overwritten
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert editor.row("release").raw == "none"
        assert editor.query_one("#editor-individual").display


async def test_products_tab_marks_two_accesses_and_cancels_both_in_one_bulk_action(enrolled):
    """Issue 11 item 5 on the Products tab: space marks, c cancels the marked ones with one
    preview and one confirmation ("No" focused); one-time accesses end at once."""
    ctx = sign_in(enrolled, "alice")
    with enrolled.transaction() as s:
        offer = s.query(Offer).filter(Offer.handle == "yoga-all").one()
        accesses.grant(s, ctx, contact_id=1, offer=offer, starts_at=utcnow() - timedelta(days=1))
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_products(pilot)
        table = pilot.app.screen.query_one("#products-table", DataTable)
        assert table.row_count == 2
        await pilot.press("space", "down", "space")
        await settle(pilot)
        assert cell_texts(table, "mark") == ["•", "•"]
        summary = str(pilot.app.screen.query_one("#products-summary", Static).render())
        assert "2 accesses marked" in summary
        await pilot.press("c")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmDialog)
        await pilot.press("enter")  # "No" is focused: nothing happens
        await settle(pilot)
        assert {r.status for r in accesses.list_accesses(ctx, 1)} == {"active"}
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert {r.status for r in accesses.list_accesses(ctx, 1)} == {"cancelled"}
        assert cell_texts(table, "mark") == [" ", " "]
