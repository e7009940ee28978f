"""Screens show `KontorFooter`, which rebuilds its keys only when what it shows changes
(Textual's `Footer` rebuilds them on every focus change; console/widgets/footer.py)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets._footer import FooterKey

from console.app import KontorApp
from console.screens.plan.form import PlanForm
from console.widgets.footer import KontorFooter
from core.services.operators import sign_in
from tests.console.conftest import SIZE, settle

CONSOLE = Path(__file__).resolve().parents[2] / "console"


def test_no_screen_yields_textuals_footer():
    offenders = [str(p.relative_to(CONSOLE)) for p in CONSOLE.rglob("*.py")
                 if "yield Footer(" in p.read_text(encoding="utf-8")]
    assert offenders == []


def keys(screen) -> list[tuple[FooterKey, str, str]]:
    return [(k, k.key, k.description) for k in screen.query_one(KontorFooter).query(FooterKey)]


async def test_tab_between_fields_keeps_the_footer_a_new_screen_has_its_own(seeded):
    ctx = sign_in(seeded, "alice")
    async with KontorApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        list_keys = keys(pilot.app.screen)
        form = PlanForm(ctx, None)
        await pilot.app.push_screen(form)
        await settle(pilot)
        before = keys(form)
        assert "ctrl+s" in [key for _w, key, _d in before]
        assert [d for _w, _k, d in before] != [d for _w, _k, d in list_keys]
        assert pilot.app.focused.id == "input-name"
        await pilot.press("tab")
        await settle(pilot)
        assert pilot.app.focused.id == "input-handle"
        assert keys(form) == before  # the same widgets: not rebuilt
