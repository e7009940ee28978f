"""The catalogue (area 3) at 80x24: an offer's form with its template fields, reached by keys
from the contacts list (`3`, the third product, its first offer)."""

from __future__ import annotations


def test_offer_form(snap, snapshot_db, frozen_clock):
    from core.services.demo_catalogue import seed_catalogue_demo
    from core.services.operators import sign_in

    seed_catalogue_demo(sign_in(snapshot_db, "alice"))
    # Deutsch A1 (third by name), its first offer by name: the monthly subscription.
    assert snap("3", "down", "down", "enter", "enter")
