"""Overview: the contact's fields and notes."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from console.calls import run_service
from console.screens.card_tabs.base import CardTab, shown_value
from core.i18n import N_, _, format_datetime
from core.services import contacts as contact_service


class OverviewTab(CardTab):
    # Not named `Tab`: Textual's own `Tab` selector (height 1) would squeeze the pane.
    tab_id, label, key, order = "overview", N_("Overview"), "o", 10
    kinds = frozenset({"contact"})

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("", id="overview-body")

    def load(self) -> None:
        run_service(self, contact_service.get_contact, self.ctx, self.contact_id,
                    on_done=self.show, on_error=lambda _e: None, group="card-overview",
                    exclusive=True)

    def show(self, contact) -> None:
        rows = [
            (_("Name"), contact.name), (_("Email"), contact.email), (_("Phone"), contact.phone),
            (_("Language"), contact.language), (_("Tags"), contact.tags),
            (_("Created"), format_datetime(contact.created_at)),
            (_("Last change"), _("{at} by {who}").format(
                at=format_datetime(contact.updated_at), who=contact.updated_by)),
            (_("Version"), contact.version),
        ]
        width = max(len(k) for k, _v in rows) + 2
        body = "\n".join(f"{escape(k).ljust(width)}{escape(shown_value(v))}" for k, v in rows)
        body += "\n\n" + _("Notes") + "\n" + escape(contact.notes or "—")
        self.query_one("#overview-body", Static).update(body)


Tab = OverviewTab  # the name console/screens/card_tabs/__init__.py looks for
