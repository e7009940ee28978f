"""One product: what it is, its lessons in short, and its offers (windowed); `e` edits the
product, `n` adds an offer, `enter` opens one, `d` deletes (or archives) the offer, `x` the
product. Which keys work is the product's `allowed_actions` (the service's answer)."""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Static

from console.calls import run_service, show_error
from console.messages import EntityChanged
from console.widgets.catalogue_picker import kind_label, offer_price_text, payment_label
from console.widgets.column_header import ColumnHeader
from console.widgets.confirm import ConfirmDialog
from console.widgets.footer import KontorFooter
from console.widgets.windowed_table import Column, WindowedTable
from core.i18n import _, format_number, ngettext
from core.schemas.catalogue import Product
from core.schemas.common import Window
from core.services import catalogue
from core.services.context import ServiceContext


class OfferListSource:
    def __init__(self, ctx: ServiceContext, product: str):
        self.ctx, self.product = ctx, product

    def count(self) -> int:
        return catalogue.count_offers(self.ctx, product=self.product)

    def fetch(self, window: Window):
        return [ShownOffer(r) for r in catalogue.list_offers(self.ctx, "", window,
                                                             product=self.product)]


class ShownOffer:
    def __init__(self, row):
        self.row = row
        self.payment_text = payment_label(row.payment)
        self.price_text = offer_price_text(row.price, row.currency, row.plan)

    def __getattr__(self, name: str):
        return getattr(self.row, name)


def offer_columns() -> list[Column]:
    return [
        Column("name", _("Offer"), None, min_width=14, weight=3, want=26),
        Column("handle", _("Handle"), None, min_width=10, weight=2, priority=3),
        Column("payment_text", _("Payment"), 13, priority=2),
        Column("price_text", _("Price"), 18, justify="right", priority=2),
    ]


def lessons_summary(p: Product) -> str:
    if p.is_bundle:
        return _("Bundle of: {handles}").format(handles=", ".join(p.bundle_of))
    if not p.lessons:
        return _("No lessons yet.")
    modules = len({x.module for x in p.lessons if x.module})
    checkpoints = sum(x.checkpoint for x in p.lessons)
    text = ngettext("{n} lesson", "{n} lessons", len(p.lessons)).format(
        n=format_number(len(p.lessons)))
    if modules:
        text += " · " + ngettext("{n} module", "{n} modules", modules).format(n=modules)
    if checkpoints:
        text += " · " + ngettext("{n} checkpoint", "{n} checkpoints", checkpoints).format(
            n=checkpoints)
    first = ", ".join(x.title for x in p.lessons[:3])
    return text + (f"\n{first}, …" if len(p.lessons) > 3 else f"\n{first}")


class ProductScreen(Screen):
    BINDINGS = [
        Binding("e", "edit", _("Edit product")),
        Binding("n", "new_offer", _("New offer")),
        Binding("d", "delete_offer", _("Delete offer"),
                tooltip=_("Delete the offer under the cursor (archived when orders refer to "
                          "it)")),
        Binding("x", "delete_product", _("Delete product"), show=False,
                tooltip=_("Delete the product (archived when offers, bundles or accesses "
                          "refer to it)")),
        Binding("u", "unarchive", _("Unarchive"), show=False,
                tooltip=_("Unarchive the product")),
        Binding("ctrl+r,f5", "reload", _("Refresh"), show=False,
                tooltip=_("Refresh the product")),
        Binding("escape,q", "back", _("Back")),
    ]

    def __init__(self, ctx: ServiceContext, handle: str):
        super().__init__()
        self.ctx, self.handle = ctx, handle
        self.product: Product | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="product-head")
        yield Static("", id="product-lessons")
        yield Static("", id="offers-status")
        table = WindowedTable(offer_columns(), id="offers")
        yield ColumnHeader(table, id="offers-header")
        yield table
        yield KontorFooter()

    def on_mount(self) -> None:
        self.title = _("Product")
        self.query_one(WindowedTable).focus()
        self.query_one(WindowedTable).set_source(OfferListSource(self.ctx, self.handle))
        self.action_reload()

    def action_reload(self) -> None:
        run_service(self, catalogue.get_product, self.ctx, self.handle, on_done=self._show)
        self.query_one(WindowedTable).refresh_data()

    def _show(self, p: Product) -> None:
        self.product = p
        self.sub_title = p.name
        state = _("archived") if p.archived else _("active")
        self.query_one("#product-head", Static).update(
            f"[b]{escape(p.name)}[/b]  {escape(p.handle)} · {kind_label(p.kind, p.is_bundle)}"
            f" · {state}")
        self.query_one("#product-lessons", Static).update(escape(lessons_summary(p)))
        self.refresh_bindings()

    def _allowed(self, action: str) -> bool:
        return self.product is not None and self.product.allowed_actions.get(action) is None

    def check_action(self, action: str, parameters) -> bool | None:
        table = {"edit": "edit", "new_offer": "edit", "delete_offer": "edit",
                 "delete_product": "delete", "unarchive": "unarchive"}
        if action in table:
            return True if self._allowed(table[action]) else None
        return True

    def on_entity_changed(self, event: EntityChanged) -> None:
        if event.kind in ("product", "offer"):
            self.action_reload()

    @on(WindowedTable.Loaded)
    @on(WindowedTable.CursorMoved)
    def _status(self, event) -> None:
        self.call_after_refresh(self.query_one(ColumnHeader).refresh)
        table = self.query_one(WindowedTable)
        if table.counted:
            total = table.total or 0
            self.query_one("#offers-status", Static).update(
                ngettext("{n} offer", "{n} offers", total).format(n=format_number(total)))

    @on(WindowedTable.Failed)
    def _failed(self, event: WindowedTable.Failed) -> None:
        show_error(self, event.error)

    def action_back(self) -> None:
        self.dismiss()

    def action_edit(self) -> None:
        from console.screens.catalogue.product_form import ProductForm

        if self.product is not None:
            self.app.push_screen(ProductForm(self.ctx, self.product))

    def action_new_offer(self) -> None:
        from console.screens.catalogue.offer_form import OfferForm

        if self.product is not None:
            self.app.push_screen(OfferForm(self.ctx, self.product, None))

    @on(WindowedTable.Activated)
    def _open(self, event: WindowedTable.Activated) -> None:
        from console.screens.catalogue.offer_form import OfferForm

        if self.product is None:
            return
        product = self.product
        run_service(self, catalogue.get_offer, self.ctx, event.row.handle,
                    on_done=lambda o: self.app.push_screen(OfferForm(self.ctx, product, o)))

    def action_delete_offer(self) -> None:
        row = self.query_one(WindowedTable).current_row
        if row is None:
            return
        self.app.push_screen(
            ConfirmDialog(_("Delete the offer {name}?").format(name=row.name),
                          _("An offer that orders or accesses refer to is archived instead: "
                            "no new sales, nothing lost.")),
            callback=lambda yes: yes and run_service(
                self, catalogue.delete_offer, self.ctx, row.handle, on_done=self._removed))

    def action_delete_product(self) -> None:
        p = self.product
        if p is None:
            return
        self.app.push_screen(
            ConfirmDialog(_("Delete the product {name}?").format(name=p.name),
                          _("A product that offers, bundles or accesses refer to is archived "
                            "instead.")),
            callback=lambda yes: yes and run_service(
                self, catalogue.delete_product, self.ctx, p.handle,
                expected_version=p.version, on_done=self._product_removed))

    def _removed(self, removed) -> None:
        if removed.outcome == "archived":
            self.notify(_("Archived {handle}: {reason}.").format(handle=removed.handle,
                                                                 reason=removed.reason))
        else:
            self.notify(_("Deleted {handle}.").format(handle=removed.handle))

    def _product_removed(self, removed) -> None:
        self._removed(removed)
        if removed.outcome == "deleted":
            self.dismiss()

    def action_unarchive(self) -> None:
        if self.product is not None:
            run_service(self, catalogue.unarchive_product, self.ctx, self.handle,
                        expected_version=self.product.version)
