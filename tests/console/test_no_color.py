"""NO_COLOR: nothing but the terminal's default colours reaches the terminal."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.color import Color

from console.app import KontorApp
from tests.console.conftest import SIZE, settle


def _colours(app, segments):
    out = segments
    for f in app._filters:
        out = f.apply(out, Color(0, 0, 0))
    return {(s.style.color, s.style.bgcolor) for s in out if s.style}


async def test_no_color_sends_no_colour_not_even_greys(monkeypatch, seeded):
    from core.services.operators import sign_in

    monkeypatch.setenv("NO_COLOR", "1")
    app = KontorApp(sign_in(seeded, "alice"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        styled = [Segment("x", Style(color="#ff8800", bgcolor="#202020", reverse=True))]
        colours = _colours(app, styled)
        assert all(c is None or c.is_default for pair in colours for c in pair), colours
        out = styled
        for f in app._filters:
            out = f.apply(out, Color(0, 0, 0))
        assert out[0].style.reverse  # the cursor row stays visible without colour


async def test_without_no_color_colours_are_kept(monkeypatch, seeded):
    from core.services.operators import sign_in

    monkeypatch.delenv("NO_COLOR", raising=False)
    app = KontorApp(sign_in(seeded, "alice"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        colours = _colours(app, [Segment("x", Style(color="#ff8800"))])
        assert any(c is not None and not c.is_default for pair in colours for c in pair)
