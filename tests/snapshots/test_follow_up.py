"""Area 7 (Follow-up) at 80x24 under the frozen clock: the pending list with marked rows, the
bulk undo's one preview, and the end-date dialog with a typed date (issue 11).

Regenerate after a deliberate change: python3 dev.py test tests/snapshots --snapshot-update
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.snapshots.conftest import FROZEN, build_app
from tests.snapshots.keys import Type


@pytest.fixture
def follow_app(plain_env, snapshot_db, frozen_clock):
    from core.services import access_status as st
    from core.services import accesses
    from core.services.operators import sign_in
    from tests.services.commerce_rows import product_with_offer

    ctx = sign_in(snapshot_db, "alice")
    with snapshot_db.transaction() as s:
        offer = product_with_offer(s, handle="pilates", template={})
        ids = [accesses.grant(s, ctx, contact_id=cid, offer=offer,
                              starts_at=FROZEN - timedelta(days=30)).id
               for cid in (1, 2, 3, 4, 5)]
    for n, aid in enumerate(ids):
        st.cancel(ctx, aid)
        st.set_end(ctx, aid, FROZEN + timedelta(days=4 * (n + 1)))
    return build_app("ansi-dark", ctx=ctx)


@pytest.fixture
def snap(snap_both, follow_app):
    def compare(*keys: str) -> bool:
        return snap_both(follow_app, *keys)
    return compare


def test_follow_up_pending_with_marks(snap):
    assert snap("7", "space", "space")


def test_follow_up_bulk_undo_preview(snap):
    assert snap("7", "space", "space", "space", "u")


def test_follow_up_end_date_typed(snap):
    assert snap("7", "e", Type("tomorrow"))
