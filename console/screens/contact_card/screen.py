"""The contact card: one tab per module of console/screens/card_tabs/ (Overview,
Subscriptions, Orders, History; later areas add Products, Groups). `+` adds a product."""

from __future__ import annotations

from functools import partial

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Static, TabbedContent, TabPane

from console.calls import run_service, show_error
from console.messages import EntityChanged
from console.screens.card_tabs import CardTab, tab_classes
from console.screens.contact_actions import confirm_delete
from console.widgets.clipboard import copy_to_clipboard
from console.widgets.footer import KontorFooter
from core.i18n import _
from core.services import contacts as contact_service
from core.services.context import ServiceContext


def _tab_bindings() -> list[Binding]:
    return [Binding(t.key, f"show_tab('{t.tab_id}')", _(t.label), show=False)
            for t in tab_classes()]


class ContactCard(Screen):
    BINDINGS = [
        Binding("escape,q", "back", _("Back")),
        Binding("slash", "search", _("Search"), show=False,
                tooltip=_("Search contacts")),
        Binding("e", "edit", _("Edit"), tooltip=_("Edit this contact")),
        Binding("d", "delete", _("Delete"), tooltip=_("Delete this contact")),
        Binding("y", "copy_id", _("Copy id"), show=False,
                tooltip=_("Copy the contact's id to the clipboard")),
        Binding("left_square_bracket", "tab(-1)", _("Previous tab"), show=False),
        Binding("right_square_bracket", "tab(1)", _("Next tab"), show=False),
        *_tab_bindings(),
        Binding("a", "add_subscription", _("Add subscription"),
                tooltip=_("Subscribe this contact to a plan")),
        Binding("plus", "add_product", _("Product"),
                tooltip=_("Give this contact a product with an offer (creates an order)")),
        Binding("L", "toggle_lock", _("Lock/unlock"),
                tooltip=_("Lock this contact (no content from any access) or lift the lock")),
        Binding("ctrl+r,f5", "reload", _("Refresh"), show=False),
    ]
    HELP_TITLE = "Contact"

    def __init__(self, ctx: ServiceContext, contact_id: int):
        super().__init__()
        self.ctx, self.contact_id = ctx, contact_id
        self.contact = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="card-title")
        tabs = tab_classes()
        with TabbedContent(id="card-tabs", initial=tabs[0].tab_id):
            for tab in tabs:
                with TabPane(f"[b]{tab.key}[/b] " + _(tab.label), id=tab.tab_id):
                    yield tab(self.ctx, self.contact_id)
        yield KontorFooter()

    def on_mount(self) -> None:
        self.title = _("Contact")
        self._load_contact()

    @property
    def subscriptions(self) -> list:
        return self.query_one("#tab-subscriptions").subscriptions

    def check_action(self, action: str, parameters) -> bool | None:
        if action in {"edit", "delete"} and not self.ctx.can("contacts.write"):
            return None
        if action == "add_subscription" and not self.ctx.can("subscriptions.write"):
            return None
        if action == "add_product" and not self.ctx.can("orders.write"):
            return None
        if action == "toggle_lock" and not self.ctx.can("contacts.lock"):
            return None
        return True

    def _load_contact(self) -> None:
        run_service(self, contact_service.get_contact, self.ctx, self.contact_id,
                    on_done=self._show, on_error=self._gone, group="card", exclusive=True)
        from core.services import access_status

        run_service(self, access_status.contact_lock, self.ctx, self.contact_id,
                    on_done=self._show_lock, on_error=lambda _e: None, group="card-lock",
                    exclusive=True)

    lock_state: dict | None = None

    def _show_lock(self, lock: dict) -> None:
        self.lock_state = lock
        if self.contact is not None:
            self._show(self.contact)

    def action_toggle_lock(self) -> None:
        """Lock or unlock (admins): the screen asks the service which is allowed."""
        from console.widgets.confirm import ConfirmDialog
        from core.services import access_status

        lock = self.lock_state
        if lock is None:
            return
        action = "unlock" if lock["locked"] else "lock"
        reason = lock["allowed_actions"][action]
        if reason:
            self.notify(reason, severity="error")
            return
        service = access_status.unlock_contact if lock["locked"] else access_status.lock_contact

        def answered(yes: bool | None) -> None:
            if yes:
                run_service(self, service, self.ctx, self.contact_id,
                            expected_version=lock["version"],
                            changed=("contact", self.contact_id),
                            on_done=lambda _r: self.notify(
                                _("The contact is locked.") if action == "lock"
                                else _("The contact is unlocked.")))

        if action == "lock":
            question = _("Lock this contact?")
            detail = _("No access shows content while locked; billing goes on.")
        else:
            question = _("Lift the lock of this contact?")
            detail = _("Their accesses show content again.")
        self.app.push_screen(ConfirmDialog(question, detail,
                                           yes=_("Lock") if action == "lock"
                                           else _("Unlock")), callback=answered)

    def action_reload(self) -> None:
        self._load_contact()
        for tab in self.query(CardTab):
            tab.load()

    def on_entity_changed(self, event: EntityChanged) -> None:
        if event.kind == "contact" and event.id == self.contact_id:
            self._load_contact()
        for tab in self.query(CardTab):
            if tab.refreshes_on(event):
                tab.load()

    def open_subscription(self, subscription_id: int) -> None:
        from console.screens.subscription import SubscriptionScreen

        self.app.push_screen(SubscriptionScreen(self.ctx, subscription_id))

    def action_add_subscription(self) -> None:
        from console.screens.subscription import NewSubscriptionForm

        def created(sub) -> None:
            if sub is not None:
                self.notify(_("Subscribed to {plan}.").format(plan=sub.plan_name))
                self.open_subscription(sub.id)

        self.app.push_screen(NewSubscriptionForm(self.ctx, self.contact_id), callback=created)

    def action_add_product(self) -> None:
        from console.screens.orders.add_product import AddProductForm

        def created(made) -> None:
            if made is not None:
                self.notify(_("Order {number} created.").format(number=made.order.number))
                self.action_show_tab("orders")

        self.app.push_screen(AddProductForm(self.ctx, self.contact_id), callback=created)

    def _gone(self, exc: Exception) -> None:
        show_error(self, exc)
        self.dismiss(None)

    def _show(self, contact) -> None:
        self.contact = contact
        locked = ""
        if self.lock_state is not None and self.lock_state["locked"]:
            locked = "  [reverse] " + escape(_("locked")) + " [/]"
        self.query_one("#card-title", Static).update(
            f"[b]{escape(contact.name)}[/b]  #{contact.id}  {escape(contact.email)}{locked}")

    def action_back(self) -> None:
        self.dismiss(None)

    async def action_search(self) -> None:
        """`/` searches from here too: back to the list, its search field focused, so the
        typed text lands there (an "e" in it must not edit this contact)."""
        await self.app.pop_screen()
        search = getattr(self.app.screen, "action_search", None)
        if search is not None:
            search()

    def action_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        ids = [p.id for p in tabs.query(TabPane)]
        i = ids.index(tabs.active) if tabs.active in ids else 0
        tabs.active = ids[(i + step) % len(ids)]

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self.query_one(f"#tab-{tab}", CardTab).focus_first()

    def action_edit(self) -> None:
        from console.screens.contact_form import ContactForm

        if self.contact is not None:  # the card and the list refresh through EntityChanged
            self.app.push_screen(ContactForm(self.ctx, self.contact))

    def action_delete(self) -> None:
        if self.contact is not None:
            confirm_delete(self, self.contact, on_deleted=partial(self.dismiss, None))

    def action_copy_id(self) -> None:
        copy_to_clipboard(self, str(self.contact_id))
