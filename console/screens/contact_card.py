"""The contact card: Overview and History tabs; later areas add Products, Orders, …"""

from __future__ import annotations

from functools import partial

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from console.widgets.lists import KeyTable
from console.calls import run_service
from console.screens.contacts import confirm_delete, copy_to_clipboard
from core.i18n import N_, _, format_datetime, format_short_date, format_short_datetime
from console.screens.subscription import state_label
from core.services import contacts as contact_service
from core.services import subscriptions as subscription_service
from core.services.context import ServiceContext

ACTION_LABELS = {"create": N_("created"), "update": N_("edited"), "delete": N_("deleted")}


def _value(v) -> str:
    if v is None or v == "" or v == []:
        return "—"
    if isinstance(v, list):
        return ", ".join(map(str, v))
    return str(v)


class ContactCard(Screen):
    BINDINGS = [
        Binding("escape,q", "back", _("Back")),
        Binding("e", "edit", _("Edit"), tooltip=_("Edit this contact")),
        Binding("d", "delete", _("Delete"), tooltip=_("Delete this contact")),
        Binding("y", "copy_id", _("Copy id"), show=False,
                tooltip=_("Copy the contact's id to the clipboard")),
        Binding("left_square_bracket", "tab(-1)", _("Previous tab"), show=False),
        Binding("right_square_bracket", "tab(1)", _("Next tab"), show=False),
        Binding("o", "show_tab('overview')", _("Overview"), show=False),
        Binding("s", "show_tab('subscriptions')", _("Subscriptions"), show=False),
        Binding("h", "show_tab('history')", _("History"), show=False),
        Binding("a", "add_subscription", _("Add subscription"),
                tooltip=_("Subscribe this contact to a plan")),
        Binding("ctrl+r,f5", "reload", _("Refresh"), show=False),
    ]

    def __init__(self, ctx: ServiceContext, contact_id: int):
        super().__init__()
        self.ctx, self.contact_id = ctx, contact_id
        self.contact = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="card-title")
        with TabbedContent(id="card-tabs", initial="overview"):
            with TabPane(_("Overview") + " \\[o]", id="overview"):
                with VerticalScroll():
                    yield Static("", id="overview-body")
            with TabPane(_("Subscriptions") + " \\[s]", id="subscriptions"):
                yield KeyTable(id="subs-table", cursor_type="row")
            with TabPane(_("History") + " \\[h]", id="history"):
                table = KeyTable(id="history-table", cursor_type="row", zebra_stripes=False)
                yield table
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Contact")
        table = self.query_one("#history-table", DataTable)
        table.add_column(_("When"), key="at", width=17)
        table.add_column(_("Who"), key="who", width=10)
        table.add_column(_("What"), key="what")
        subs = self.query_one("#subs-table", DataTable)
        subs.add_column("#", key="id", width=6)
        subs.add_column(_("Plan"), key="plan", width=22)
        subs.add_column(_("State"), key="state", width=14)
        subs.add_column(_("Next invoice"), key="next", width=12)
        subs.add_column(_("Ends"), key="ends", width=10)
        self.subscriptions = []
        self.action_reload()

    def check_action(self, action: str, parameters) -> bool | None:
        if action in {"edit", "delete"} and not self.ctx.can("contacts.write"):
            return None
        if action == "add_subscription" and not self.ctx.can("subscriptions.write"):
            return None
        return True

    def action_reload(self) -> None:
        run_service(self, contact_service.get_contact, self.ctx, self.contact_id,
                    on_done=self._show, on_error=self._gone, group="card", exclusive=True)
        run_service(self, contact_service.contact_history, self.ctx, self.contact_id,
                    on_done=self._show_history, group="card-history", exclusive=True)
        run_service(self, subscription_service.list_subscriptions, self.ctx,
                    contact_id=self.contact_id, on_done=self._show_subscriptions,
                    group="card-subs", exclusive=True)

    def _show_subscriptions(self, subs) -> None:
        self.subscriptions = subs
        table = self.query_one("#subs-table", DataTable)
        table.clear()
        for sub in subs:
            table.add_row(str(sub.id), sub.plan_name, state_label(sub.state),
                          format_short_date(sub.next_invoice_at) if sub.next_invoice_at
                          else "—",
                          format_short_date(sub.expires) if sub.expires else "—",
                          key=str(sub.id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "subs-table" and event.row_key.value is not None:
            self.open_subscription(int(event.row_key.value))

    def open_subscription(self, subscription_id: int) -> None:
        from console.screens.subscription import SubscriptionScreen

        self.app.push_screen(SubscriptionScreen(self.ctx, subscription_id),
                             callback=lambda _r: self.action_reload())

    def action_add_subscription(self) -> None:
        from console.screens.subscription import NewSubscriptionForm

        def created(sub) -> None:
            if sub is not None:
                self.notify(_("Subscribed to {plan}.").format(plan=sub.plan_name))
                self.action_reload()
                self.open_subscription(sub.id)

        self.app.push_screen(NewSubscriptionForm(self.ctx, self.contact_id), callback=created)

    def _gone(self, exc: Exception) -> None:
        from console.calls import show_error

        show_error(self, exc)
        self.dismiss(None)

    def _show(self, contact) -> None:
        self.contact = contact
        self.query_one("#card-title", Static).update(
            f"[b]{escape(contact.name)}[/b]  #{contact.id}  {escape(contact.email)}")
        rows = [
            (_("Name"), contact.name), (_("Email"), contact.email), (_("Phone"), contact.phone),
            (_("Language"), contact.language), (_("Tags"), contact.tags),
            (_("Created"), format_datetime(contact.created_at)),
            (_("Last change"), _("{at} by {who}").format(
                at=format_datetime(contact.updated_at), who=contact.updated_by)),
            (_("Version"), contact.version),
        ]
        width = max(len(k) for k, _v in rows) + 2
        body = "\n".join(f"{escape(k).ljust(width)}{escape(_value(v))}" for k, v in rows)
        body += "\n\n" + _("Notes") + "\n" + escape(contact.notes or "—")
        self.query_one("#overview-body", Static).update(body)

    def _show_history(self, entries) -> None:
        # One row per changed field: a whole edit on one line would be cut at 80 columns.
        table = self.query_one("#history-table", DataTable)
        table.clear()
        for entry in entries:
            action = _(ACTION_LABELS.get(entry.action, entry.action))
            when, who = format_short_datetime(entry.at), entry.operator
            if entry.action != "update":
                table.add_row(when, who, action, key=str(entry.id))
                continue
            for i, (field, before, after) in enumerate(entry.changes()):
                table.add_row(when if i == 0 else "", who if i == 0 else "",
                              f"{action}: {field}: {_value(before)} → {_value(after)}",
                              key=f"{entry.id}-{i}")

    def action_back(self) -> None:
        self.dismiss(None)

    def action_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        ids = [p.id for p in tabs.query(TabPane)]
        i = ids.index(tabs.active) if tabs.active in ids else 0
        tabs.active = ids[(i + step) % len(ids)]

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        tables = self.query_one(f"#{tab}", TabPane).query(DataTable)
        if tables:
            tables.first().focus()

    def action_edit(self) -> None:
        from console.screens.contact_form import ContactForm

        if self.contact is None:
            return
        self.app.push_screen(ContactForm(self.ctx, self.contact),
                             callback=lambda c: c and self.action_reload())

    def action_delete(self) -> None:
        if self.contact is not None:
            confirm_delete(self, self.contact, on_deleted=partial(self.dismiss, None))

    def action_copy_id(self) -> None:
        copy_to_clipboard(self, str(self.contact_id))
