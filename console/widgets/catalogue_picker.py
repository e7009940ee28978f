"""Search-as-you-type sources for products and offers (`console.widgets.picker.Picker`).

    Picker(ProductSource(ctx), id="input-product")                 # a product handle
    Picker(OfferSource(ctx, product=lambda: form.product), id=...)  # an offer of it

`search(text, window)` runs in the picker's worker thread and calls the catalogue service
(windowed, a name or handle fragment, archived ones left out); each `PickerItem.value` is the
handle, the label what people read. `OfferSource(product=…)` takes a handle or a callable
returning one (read at each search, so the offer picker follows the product picked first).
"""

from __future__ import annotations

from collections.abc import Callable

from console.widgets.picker import PickerItem
from core.errors import ValidationFailed
from core.i18n import _, format_money, ngettext
from core.schemas.common import Window
from core.services import catalogue
from core.services.context import ServiceContext


def payment_label(payment: str) -> str:
    return {"one_time": _("one-time"), "subscription": _("subscription"),
            "instalments": _("instalments")}.get(payment, payment)


def kind_label(kind: str, is_bundle: bool = False) -> str:
    label = {"course": _("course"), "membership": _("membership")}.get(kind, kind)
    return label + (" · " + _("bundle") if is_bundle else "")


def offer_price_text(price: int | None, currency: str, plan: str | None) -> str:
    """"49,00 €" for a one-time offer, "plan gold-monthly" for a recurring one."""
    if price is not None:
        return format_money(price, currency)
    return _("plan {handle}").format(handle=plan or "?")


class ProductSource:
    """Products whose name or handle contains the text."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx

    def search(self, text: str, window: int) -> list[PickerItem]:
        text = text.strip()[:200]
        if not text:
            return []
        rows = catalogue.list_products(self.ctx, text, Window(limit=window))
        return [PickerItem(r.handle, f"{r.name} · {r.handle} · " + (
            _("bundle") if r.is_bundle else ngettext("{n} lesson", "{n} lessons",
                                                     r.lesson_count).format(n=r.lesson_count)))
                for r in rows]


class OfferSource:
    """Offers whose name or handle contains the text, of one product when given."""

    def __init__(self, ctx: ServiceContext,
                 product: str | Callable[[], str | None] | None = None,
                 payment: str | None = None):
        self.ctx, self.product, self.payment = ctx, product, payment

    def search(self, text: str, window: int) -> list[PickerItem]:
        text = text.strip()[:200]
        if not text:
            return []
        product = self.product() if callable(self.product) else self.product
        try:
            rows = catalogue.list_offers(self.ctx, text, Window(limit=window),
                                         product=product or None, payment=self.payment)
        except ValidationFailed:  # an unknown product typed meanwhile: nothing to offer
            return []
        return [PickerItem(r.handle, f"{r.name} · {r.handle} · {payment_label(r.payment)} · "
                           f"{offer_price_text(r.price, r.currency, r.plan)}") for r in rows]
