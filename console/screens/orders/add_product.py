""""+ Product" on the contact card: an offer chosen by typing part of its product's or its own
name (no handle from memory), an optional price, the start, the payment (paid now, pending,
external sale). ctrl+s shows the preview — what is created and, for a subscription, the first
invoices from the billing engine —; ctrl+s again, with the same values, creates order, access
and subscription in one transaction (core/services/orders.py)."""

from __future__ import annotations

from rich.markup import escape
from textual.binding import Binding
from textual.widgets import Static

from console.calls import run_service
from console.forms import FieldSpec, FormScreen
from console.screens.orders.labels import payment_type_label
from console.screens.orders.preview import order_preview_lines
from console.widgets.picker import Picker, PickerItem
from core.errors import ValidationFailed
from core.i18n import _, format_money
from core.schemas.common import Window
from core.services import orders as order_service
from core.services.context import ServiceContext


class OfferSource:
    """Offers that take orders, found by product or offer words (orders.search_offers); it
    remembers each shown offer's currency for reading the price."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self.currency: dict[str, str] = {}

    def search(self, text: str, window: int) -> list[PickerItem]:
        try:
            rows = order_service.search_offers(self.ctx, text.strip()[:200],
                                               Window(limit=window))
        except ValidationFailed:
            return []
        items = []
        for r in rows:
            self.currency[r.handle] = r.currency
            price = format_money(r.price, r.currency) if r.price is not None else (
                r.plan_handle or "")
            items.append(PickerItem(r.handle, f"{r.product_name} · {r.name} · "
                                    f"{payment_type_label(r.payment)} · {price}"))
        return items


class AddProductForm(FormScreen):
    DEFAULT_CSS = """
    AddProductForm #order-preview { height: auto; }
    AddProductForm #order-preview.-empty { display: none; }
    """
    BINDINGS = [Binding("ctrl+s", "save", _("Preview / save"), priority=True)]

    def __init__(self, ctx: ServiceContext, contact_id: int):
        super().__init__(ctx)
        self.contact_id = contact_id
        self.source = OfferSource(ctx)
        self.previewed: dict | None = None

    def title_text(self) -> str:
        return escape(_("Add a product"))

    def save_label(self) -> str:
        return _("Preview / save")

    def fields(self) -> list[FieldSpec]:
        return [
            FieldSpec("offer", _("Offer"), "picker",
                      placeholder=_("type part of the product or offer name"),
                      source=self.source),
            FieldSpec("price", _("Price"), "money", allow_blank=True,
                      placeholder=_("the offer's price"),
                      parse=lambda raw: str(raw or "").strip()),
            FieldSpec("start", _("Start"),
                      placeholder=_("now, or 2026-12-01 / 2026-12-01T09:00")),
            FieldSpec("payment", _("Payment"), "select", radio=True,
                      choices=[(_("paid now"), "paid"), (_("pending"), "pending"),
                               (_("external"), "external")]),
        ]

    def values(self) -> dict:
        return {"payment": "paid"}

    def extra(self):
        yield Static("", id="order-preview", classes="-empty")

    def _data(self) -> tuple[dict, dict[str, str]]:
        """The order for the service, and the messages of fields that do not parse (the
        price is read in the picked offer's currency, by core.money)."""
        from core.money import parse_major

        fields, errors = self.data()
        data: dict = {"contact_id": self.contact_id, "offer": fields.get("offer") or None,
                      "payment": fields.get("payment") or "paid"}
        if fields.get("start"):
            data["start"] = fields["start"]
        price = fields.get("price") or ""
        if price:
            currency = self.source.currency.get(data["offer"] or "", "EUR")
            try:
                data["price"] = parse_major(price, currency)
            except ValueError as exc:
                errors["price"] = str(exc)
        return data, errors

    def _show(self, text: str) -> None:
        preview = self.query_one("#order-preview", Static)
        preview.update(escape(text))
        preview.set_class(not text, "-empty")

    def changed(self) -> None:
        self.previewed = None  # a preview of other values must not stay on screen
        self._show("")

    def on_picker_picked(self, event: Picker.Picked) -> None:
        self.changed()

    def action_save(self) -> None:
        if self.saving:
            return
        data, errors = self._data()
        if errors:
            self.show_errors(errors)
            return
        if self.previewed is not None and self.previewed == data:
            self.saving = True
            run_service(self, order_service.create_order, self.ctx, data,
                        changed=("order", None), on_done=self._saved, on_error=self._failed)
            return
        run_service(self, order_service.preview_order, self.ctx, data,
                    on_done=lambda p: self._previewed(data, p), on_error=self._failed,
                    group="order-preview")

    def _previewed(self, data: dict, preview) -> None:
        if data != self._data()[0]:
            return  # the values changed meanwhile: this preview is not for them
        self.show_errors({})
        self.previewed = data
        self._show("\n".join(order_preview_lines(preview)
                             + [_("Press ctrl+s again to create it, esc to cancel.")]))

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, ValidationFailed):
            self.previewed = None
            self._show("")
        super()._failed(exc)
