"""Contacts: search-as-you-type over the whole table, one window of rows at a time."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Input, Static

from console.calls import run_service, show_error
from console.messages import EntityChanged
from console.widgets.clipboard import copy_to_clipboard
from console.widgets.column_header import ColumnHeader
from console.widgets.footer import KontorFooter
from console.widgets.windowed_table import Column, WindowedTable
from core.errors import SearchCancelled
from core.i18n import _, format_number, format_short_date, ngettext

if TYPE_CHECKING:
    from core.first_window import FirstWindow
    from core.schemas.common import Window
    from core.services.context import ServiceContext

# The services (and SQLAlchemy under them) are imported when first used, not with this module:
# at start-up the list shows the rows a second process read (core/first_window.py) while the
# console is still importing them.

SEARCH_DELAY = 0.12  # seconds of quiet typing before the list follows
NEWEST_FIRST = "new"  # core.services.contacts.NEWEST_FIRST: the order of a row's key


class ContactSource:
    """The contacts matching one query, as the windowed table asks for them.

    Its queries run under one `SearchCancel`: the next keystroke's source cancels this one's
    (`cancel()`), so a stale search stops instead of queueing ahead of the fresh one.
    """

    def __init__(self, ctx: ServiceContext, query: str):
        from core.services.cancel import SearchCancel

        self.ctx, self.query = ctx, query
        self.token = SearchCancel()

    def count(self) -> int:
        from core.services.contacts import count_contacts

        return count_contacts(self.ctx, self.query, cancel=self.token)

    def fetch(self, window: Window):
        from core.services.contacts import list_contacts

        return list_contacts(self.ctx, self.query, window, cancel=self.token)

    def cancel(self) -> None:
        self.token.cancel()


def contact_columns() -> list[Column]:
    return [
        # Name, email and phone are what the search matches: they never give way.
        Column("name", _("Name"), None, min_width=14, want=18, weight=2),
        Column("email", _("Email"), None, min_width=14, want=28, weight=3),
        Column("phone", _("Phone"), 15),
        Column("language", _("Lang"), 4, priority=3),
        Column("created_at", _("Created"), 10, render=format_short_date, priority=2),
    ]


class ContactsScreen(Screen):
    """The CRM list: `/` search, `enter` open the card, `n` new, `e` edit, `d` delete."""

    BINDINGS = [
        Binding("slash", "search", _("Search"), tooltip=_("Search contacts")),
        Binding("n", "new", _("New"), tooltip=_("New contact")),
        Binding("e", "edit", _("Edit"), tooltip=_("Edit the selected contact")),
        Binding("d", "delete", _("Delete"), tooltip=_("Delete the selected contact")),
        Binding("y", "copy_id", _("Copy id"), show=False,
                tooltip=_("Copy the contact's id to the clipboard")),
        Binding("ctrl+r,f5", "reload", _("Refresh"), show=False,
                tooltip=_("Refresh the contact list")),
        Binding("escape", "clear_search", _("Clear search"), show=False),
    ]

    def __init__(self, ctx: ServiceContext | None, preview: FirstWindow | None = None):
        """`ctx` None: the console is still opening the database; the list shows `preview`'s
        rows meanwhile and `connected(ctx)` follows (console/app.py)."""
        super().__init__()
        self.ctx = ctx
        self._preview = preview
        self._debounce: Timer | None = None
        self._source: ContactSource | None = None
        self.query_text = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=_("Search name, email or phone  (/)"), id="search",
                    compact=True)
        yield Static("", id="status")
        table = WindowedTable(contact_columns(), id="contacts")
        yield ColumnHeader(table, id="contacts-header")
        yield table
        yield KontorFooter()

    def on_mount(self) -> None:
        self.title = _("Contacts")
        table = self.query_one(WindowedTable)
        if self.ctx is None:
            preview = self._preview
            if preview is not None:
                self.sub_title = f"{preview.operator} ({_(preview.role)})"
                table.set_source(None, first=preview.rows)
        else:
            self.sub_title = f"{self.ctx.operator} ({_(self.ctx.role)})"
            self._source = ContactSource(self.ctx, "")
            table.set_source(self._source)
        table.focus()

    def connected(self, ctx: ServiceContext) -> None:
        """The database is open: the services serve the list from now on. The preview's rows
        stay; a search typed meanwhile runs now."""
        self.ctx, self._preview = ctx, None
        self.sub_title = f"{ctx.operator} ({_(ctx.role)})"
        table = self.query_one(WindowedTable)
        typed = self.query_one("#search", Input).value
        if typed:
            self.apply_search(typed)
        else:
            self._source = ContactSource(ctx, "")
            table.adopt_source(self._source)
        self.refresh_bindings()

    # -- search ---------------------------------------------------------------------------

    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(SEARCH_DELAY, partial(self.apply_search, event.value))

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        self.apply_search(event.value)
        self.query_one(WindowedTable).focus()

    def apply_search(self, text: str) -> None:
        if self.ctx is None:  # still opening: `connected` runs the search typed meanwhile
            self.query_one("#status", Static).update(_("Searching…"))
            return
        if text == self.query_text and self.query_one(WindowedTable).total is not None:
            return
        self.query_text = text
        self.query_one("#status", Static).update(_("Searching…"))
        if self._source is not None:
            self._source.cancel()  # the previous keystroke's queries stop now
        self._source = ContactSource(self.ctx, text)
        self.query_one(WindowedTable).set_source(self._source)

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            self.query_one(WindowedTable).focus()
        elif search.value:
            search.value = ""
            self.apply_search("")

    def on_key(self, event) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus and event.key == "down":
            self.query_one(WindowedTable).focus()
            event.stop()

    # -- list -----------------------------------------------------------------------------

    @on(WindowedTable.Loaded)
    def _loaded(self, event: WindowedTable.Loaded) -> None:
        self._update_status()

    @on(WindowedTable.CursorMoved)
    def _moved(self, event: WindowedTable.CursorMoved) -> None:
        self._update_status()

    @on(WindowedTable.Failed)
    def _failed(self, event: WindowedTable.Failed) -> None:
        if isinstance(event.error, SearchCancelled):  # replaced by a newer search
            return
        show_error(self, event.error)

    def _update_status(self) -> None:
        # The scrollbar may have just appeared: realign the titles once layout has run.
        self.call_after_refresh(self.query_one(ColumnHeader).refresh)
        table = self.query_one(WindowedTable)
        total = table.total or 0
        if not table.counted:
            self.query_one("#status", Static).update(_("Counting…"))
            return
        text = ngettext("{n} contact", "{n} contacts", total).format(n=format_number(total))
        if self.query_text:
            text = ngettext("{n} match for “{q}”", "{n} matches for “{q}”", total).format(
                n=format_number(total), q=self.query_text)
            row = table.row_at(0)
            if row is not None and row.key[0] == NEWEST_FIRST:
                text += " · " + _("newest first (type more to sort by name)")
        if total:
            text += " · " + _("row {i}").format(i=format_number(table.cursor + 1))
        self.query_one("#status", Static).update(text)

    @on(WindowedTable.Activated)
    def _open(self, event: WindowedTable.Activated) -> None:
        self.open_card(event.row.id)

    def open_card(self, contact_id: int) -> None:
        from console.screens.contact_card import ContactCard

        if self.ctx is None:  # still opening the database: the card could not load
            return

        self.app.push_screen(ContactCard(self.ctx, contact_id))

    # -- actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters) -> bool | None:
        if action in {"new", "edit", "delete", "reload"} and self.ctx is None:
            return None  # shown disabled until the database is open
        if action in {"new", "edit", "delete"} and not self.ctx.can("contacts.write"):
            return None  # shown disabled: viewers read only (core refuses anyway)
        return True

    def _current_id(self) -> int | None:
        row = self.query_one(WindowedTable).current_row
        return row.id if row else None

    def action_reload(self) -> None:
        self.query_one(WindowedTable).refresh_data()

    def on_entity_changed(self, event: EntityChanged) -> None:
        if event.kind == "contact":  # created, edited or deleted anywhere: the rows follow
            self.action_reload()

    def action_new(self) -> None:
        from console.screens.contact_form import ContactForm

        def created(contact) -> None:
            if contact is not None:
                self.notify(_("Created {name}.").format(name=contact.name))
                self.open_card(contact.id)

        self.app.push_screen(ContactForm(self.ctx, None), callback=created)

    def action_edit(self) -> None:
        from console.screens.contact_form import ContactForm

        contact_id = self._current_id()
        if contact_id is None:
            return

        def loaded(contact) -> None:
            self.app.push_screen(ContactForm(self.ctx, contact))  # EntityChanged refreshes

        from core.services.contacts import get_contact

        run_service(self, get_contact, self.ctx, contact_id, on_done=loaded)

    def action_delete(self) -> None:
        contact_id = self._current_id()
        if contact_id is None:
            return
        from console.screens.contact_actions import confirm_delete
        from core.services.contacts import get_contact

        run_service(self, get_contact, self.ctx, contact_id, on_done=partial(confirm_delete, self))

    def action_copy_id(self) -> None:
        contact_id = self._current_id()
        if contact_id is not None:
            copy_to_clipboard(self, str(contact_id))

