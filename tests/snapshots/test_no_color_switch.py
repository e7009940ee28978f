"""The snapshots take their NO_COLOR picture by switching a running `ansi-dark` app to
NO_COLOR (conftest.py `to_no_color`), so every screen is driven once for both pictures. This
proves the switch honest: on a list, a form and a dialog over the subscription, the switched
picture is the picture of an app started with NO_COLOR=1, byte for byte."""

from __future__ import annotations

import pytest

from tests.snapshots.conftest import SIZE, build_app, shoot_both
from tests.snapshots.keys import drive, settle_for_picture
from tests.snapshots.test_screens import OLIVERS_SUBSCRIPTION

JOURNEYS = {
    "contacts": (),
    "plan_form": ("2", "e", "f3"),
    "cancel_dialog": (*OLIVERS_SUBSCRIPTION, "c"),
}


def started_with_no_color(monkeypatch, db, keys) -> str:
    from core.services.operators import sign_in

    monkeypatch.setenv("NO_COLOR", "1")  # read (and removed) by App.__init__
    app = build_app("no-color", ctx=sign_in(db, "alice"))
    assert app.no_color
    press = drive(keys)
    title = app.title

    async def picture(pilot) -> None:
        await press(pilot)
        await settle_for_picture(pilot)
        app.exit(app.export_screenshot(title=title, simplify=True))

    return app.run(headless=True, auto_pilot=picture, size=SIZE)


@pytest.mark.parametrize("journey", JOURNEYS)
def test_switched_no_color_is_started_no_color(journey, plain_env, snapshot_db, frozen_clock,
                                               monkeypatch):
    from core.services.operators import sign_in

    keys = JOURNEYS[journey]
    dark, switched = shoot_both(build_app("ansi-dark", ctx=sign_in(snapshot_db, "alice")), keys)
    started = started_with_no_color(monkeypatch, snapshot_db, keys)
    assert switched == started
    assert dark != switched  # the switch did change the picture
