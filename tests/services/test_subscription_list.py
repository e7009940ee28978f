"""core/services/subscription_list: the subscriptions area's windows, filters and count."""

from __future__ import annotations

from core.schemas.common import Window
from core.services import demo
from core.services import subscription_list as sl
from core.services.demo_billing import seed_billing_demo
from core.services.operators import sign_in


def test_windows_walk_every_subscription_newest_first_and_filters_count_in_sql(db):
    ctx = sign_in(db, "alice")
    demo.generate_contacts(ctx, 7)
    seed_billing_demo(ctx, subscribers=7)
    total = sl.count_subscriptions(ctx)
    assert total >= 7
    seen, window = [], Window(limit=3)
    while True:
        rows = sl.list_subscriptions(ctx, None, window)
        seen += rows
        if len(rows) < window.limit:
            break
        window = Window(after=rows[-1].key, limit=3)
    ids = [r.id for r in seen]
    assert len(ids) == total and ids == sorted(ids, reverse=True)
    # from_end and before windows come in display order too
    tail = sl.list_subscriptions(ctx, None, Window(from_end=True, limit=2))
    assert [r.id for r in tail] == ids[-2:]
    before = sl.list_subscriptions(ctx, None, Window(before=(ids[3],), limit=2))
    assert [r.id for r in before] == ids[1:3]
    # by plan, by state, by id
    handle = seen[0].plan_handle
    by_plan = sl.SubscriptionFilter(plan_handle=handle)
    assert sl.count_subscriptions(ctx, by_plan) == sum(r.plan_handle == handle for r in seen)
    state = seen[0].state
    assert sl.count_subscriptions(ctx, sl.SubscriptionFilter(states=(state,))) == sum(
        r.state == state for r in seen)
    one = sl.list_subscriptions(ctx, sl.parse_filter(f"#{ids[2]}"))
    assert [r.id for r in one] == [ids[2]] and one[0].contact_name and one[0].amount >= 0
    # next invoice date: an empty day range matches nothing, a wide one every dated row
    dated = sum(r.next_invoice_at is not None for r in seen)
    assert sl.count_subscriptions(ctx, sl.parse_filter("next:1970-01-01")) == 0
    assert sl.count_subscriptions(ctx, sl.parse_filter("next:1970-01-01..2199-12-31")) == dated
