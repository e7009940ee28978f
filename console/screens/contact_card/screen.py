"""The contact card: one tab per module of console/screens/card_tabs/ (Overview,
Subscriptions, History; later areas add Products, Orders, Groups)."""

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
                with TabPane(_(tab.label) + f" \\[{tab.key}]", id=tab.tab_id):
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
        return True

    def _load_contact(self) -> None:
        run_service(self, contact_service.get_contact, self.ctx, self.contact_id,
                    on_done=self._show, on_error=self._gone, group="card", exclusive=True)

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

    def _gone(self, exc: Exception) -> None:
        show_error(self, exc)
        self.dismiss(None)

    def _show(self, contact) -> None:
        self.contact = contact
        self.query_one("#card-title", Static).update(
            f"[b]{escape(contact.name)}[/b]  #{contact.id}  {escape(contact.email)}")

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
