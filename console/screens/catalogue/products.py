"""The catalogue area (key 3): every product, windowed, searched as you type; `enter` opens a
product with its offers, `n` adds one. Agents and viewers read (the service says so)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Input, Static

from console.calls import run_service, show_error
from console.messages import EntityChanged
from console.widgets.catalogue_picker import kind_label
from console.widgets.column_header import ColumnHeader
from console.widgets.footer import KontorFooter
from console.widgets.windowed_table import Column, WindowedTable
from core.i18n import _, format_number, ngettext
from core.schemas.common import Window
from core.services import catalogue
from core.services.context import ServiceContext

SEARCH_DELAY = 0.15


class ProductListSource:
    def __init__(self, ctx: ServiceContext, query: str):
        self.ctx, self.query = ctx, query

    def count(self) -> int:
        return catalogue.count_products(self.ctx, self.query)

    def fetch(self, window: Window):
        return catalogue.list_products(self.ctx, self.query, window)


class ShownProduct:
    def __init__(self, row):
        self.row = row
        self.kind_text = kind_label(row.kind, row.is_bundle)

    def __getattr__(self, name: str):
        return getattr(self.row, name)


class ShownSource(ProductListSource):
    def fetch(self, window: Window):
        return [ShownProduct(r) for r in super().fetch(window)]


def product_columns() -> list[Column]:
    return [
        Column("name", _("Product"), None, min_width=16, weight=3, want=30),
        Column("handle", _("Handle"), None, min_width=10, weight=2, priority=2),
        Column("kind_text", _("Kind"), 18, priority=3),
        Column("lesson_count", _("Lessons"), 7, justify="right", priority=2,
               render=lambda v: format_number(v)),
    ]


class CatalogueScreen(Screen):
    BINDINGS = [
        Binding("slash", "search", _("Search"), tooltip=_("Search products by name or handle")),
        Binding("n", "new", _("New product")),
        Binding("e", "edit", _("Edit"), tooltip=_("Edit the product under the cursor")),
        Binding("ctrl+r,f5", "reload", _("Refresh"), show=False,
                tooltip=_("Refresh the product list")),
        Binding("escape", "clear_search", _("Clear search"), show=False),
    ]

    def __init__(self, ctx: ServiceContext):
        super().__init__()
        self.ctx = ctx
        self.query_text = ""
        self.actions: dict[str, str | None] = {}
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=_("Search products by name or handle  (/)"), id="search",
                    compact=True)
        yield Static("", id="status")
        table = WindowedTable(product_columns(), id="products")
        yield ColumnHeader(table, id="products-header")
        yield table
        yield KontorFooter()

    def on_mount(self) -> None:
        self.title = _("Catalogue")
        self._show(self.query_text)
        self.query_one(WindowedTable).focus()
        run_service(self, catalogue.catalogue_actions, self.ctx, on_done=self._actions)

    def _actions(self, actions: dict[str, str | None]) -> None:
        self.actions = actions
        self.refresh_bindings()

    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("new", "edit"):
            return True if self.actions.get("new", "?") is None else None
        return True

    def _show(self, text: str) -> None:
        self.query_text = text
        self.query_one("#status", Static).update(_("Counting…"))
        self.query_one(WindowedTable).set_source(ShownSource(self.ctx, text))

    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        text = event.value.strip()
        self._timer = self.set_timer(SEARCH_DELAY, lambda: self._show(text))

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._timer is not None:
            self._timer.stop()
        if event.value.strip() != self.query_text:
            self._show(event.value.strip())
        self.query_one(WindowedTable).focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            self.query_one(WindowedTable).focus()
        elif search.value:
            search.value = ""
            self._show("")

    def action_reload(self) -> None:
        self.query_one(WindowedTable).refresh_data()

    def on_entity_changed(self, event: EntityChanged) -> None:
        if event.kind in ("product", "offer"):
            self.action_reload()

    @on(WindowedTable.Loaded)
    @on(WindowedTable.CursorMoved)
    def _status(self, event) -> None:
        self.call_after_refresh(self.query_one(ColumnHeader).refresh)
        table = self.query_one(WindowedTable)
        if not table.counted:
            return
        total = table.total or 0
        text = ngettext("{n} product", "{n} products", total).format(n=format_number(total))
        if self.query_text:
            text += " · " + _("search: {text}").format(text=self.query_text)
        self.query_one("#status", Static).update(text)

    @on(WindowedTable.Failed)
    def _failed(self, event: WindowedTable.Failed) -> None:
        show_error(self, event.error)

    @on(WindowedTable.Activated)
    def _open(self, event: WindowedTable.Activated) -> None:
        from console.screens.catalogue.product import ProductScreen

        self.app.push_screen(ProductScreen(self.ctx, event.row.handle))

    def action_new(self) -> None:
        from console.screens.catalogue.product_form import ProductForm

        self.app.push_screen(ProductForm(self.ctx, None), callback=self._created)

    def _created(self, product) -> None:
        if product is not None:
            from console.screens.catalogue.product import ProductScreen

            self.app.push_screen(ProductScreen(self.ctx, product.handle))

    def action_edit(self) -> None:
        row = self.query_one(WindowedTable).current_row
        if row is None:
            return
        from console.screens.catalogue.product_form import ProductForm

        run_service(self, catalogue.get_product, self.ctx, row.handle,
                    on_done=lambda p: self.app.push_screen(ProductForm(self.ctx, p)))
