"""Test rows for the catalogue, straight through the ORM: a product with lessons and an offer.

For service tests of orders, accesses and groups that need an offer without going through the
catalogue service (which has its own tests)."""

from __future__ import annotations

from typing import Any

from core.models import Lesson, Offer, Product


def product_with_offer(session, *, handle: str = "yoga", lessons: int = 4,
                       template: dict[str, Any] | None = None, payment: str = "one_time",
                       price: int | None = 4900, plan_handle: str | None = None,
                       currency: str = "EUR") -> Offer:
    product = Product(handle=handle, name=handle.title(), sort_key=handle, kind="course",
                      lesson_count=lessons)
    session.add(product)
    session.flush()
    for i in range(1, lessons + 1):
        session.add(Lesson(product_id=product.id, key=f"l{i}", position=i, title=f"Lesson {i}",
                           delay_days=(i - 1) * 7))
    offer = Offer(handle=f"{handle}-{payment}", product_id=product.id, name=f"{handle} offer",
                  sort_key=f"{handle} offer", payment=payment, price=price, currency=currency,
                  plan_handle=plan_handle, template=template or {"release": "delays"})
    session.add(offer)
    session.flush()
    return offer
