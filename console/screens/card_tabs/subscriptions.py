"""Subscriptions: the contact's subscriptions; enter opens one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable

from console.calls import run_service
from console.screens.card_tabs.base import CardTab
from console.widgets.lists import KeyTable
from core.i18n import N_, _, format_short_date
from core.services import subscriptions as subscription_service


class SubscriptionsTab(CardTab):
    # Not named `Tab`: Textual's own `Tab` selector (height 1) would squeeze the pane.
    tab_id, label, key, order = "subscriptions", N_("Subscriptions"), "s", 40
    kinds = frozenset({"subscription", "invoice", "plan"})

    def compose(self) -> ComposeResult:
        yield KeyTable(id="subs-table", cursor_type="row")

    def on_mount(self) -> None:
        self.subscriptions = []
        subs = self.query_one("#subs-table", DataTable)
        subs.add_column("#", key="id", width=6)
        subs.add_column(_("Plan"), key="plan", width=22)
        subs.add_column(_("State"), key="state", width=14)
        subs.add_column(_("Next invoice"), key="next", width=12)
        subs.add_column(_("Ends"), key="ends", width=10)
        super().on_mount()

    def load(self) -> None:
        run_service(self, subscription_service.list_subscriptions, self.ctx,
                    contact_id=self.contact_id, on_done=self.show, group="card-subs",
                    exclusive=True)

    def show(self, subs) -> None:
        from console.screens.subscription import state_label

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
        if event.row_key.value is not None:
            event.stop()
            self.screen.open_subscription(int(event.row_key.value))


Tab = SubscriptionsTab  # the name console/screens/card_tabs/__init__.py looks for
