"""The order editor at 80x24 (and the Products tab under it), on the fixed snapshot database
plus one course access of Anna Müller. Regenerate after a deliberate change:

    python3 dev.py test tests/snapshots/test_access_editor.py --snapshot-update
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.snapshots.keys import Type, Wait
from tests.snapshots.test_screens import ANNAS_CARD


@pytest.fixture
def course_access(snapshot_db, frozen_clock):
    """Anna Müller (contact 1): "Yoga" since 2026-03-10 09:00 Berlin, six lessons (delays
    0/2/7/9/14/21, lesson 3 a checkpoint), curator review."""
    from core.models import Lesson
    from core.services import accesses
    from core.services.operators import sign_in
    from tests.services.commerce_rows import product_with_offer

    ctx = sign_in(snapshot_db, "alice")
    with snapshot_db.transaction() as s:
        offer = product_with_offer(s, handle="pilates", lessons=0, template={
            "release": "delays", "checkpoints": True, "review": "curator",
            "duration": {"length": 3, "unit": "months"}})
        for i, d in enumerate((0, 2, 7, 9, 14, 21), start=1):
            s.add(Lesson(product_id=offer.product_id, key=f"l{i}", position=i,
                         title=f"Lesson {i}", delay_days=d, checkpoint=i == 3,
                         practice=i == 3))
        s.flush()
        accesses.grant(s, ctx, contact_id=1, offer=offer,
                       starts_at=datetime(2026, 3, 10, 9, tzinfo=ZoneInfo("Europe/Berlin")))


def test_products_tab(course_access, snap):
    assert snap(*ANNAS_CARD, "p")


def test_access_editor_first_three(course_access, snap):
    # limit to the first 3 lessons: the preview shows it before saving (after its debounce)
    assert snap(*ANNAS_CARD, "p", "enter", "right", "space", "tab", Type("3"), Wait(0.3))
