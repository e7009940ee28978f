"""History: the contact's audit trail, one row per changed field."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from console.calls import run_service
from console.screens.card_tabs.base import CardTab, shown_value
from console.widgets.lists import KeyTable
from core.i18n import N_, _, format_short_datetime
from core.services import contacts as contact_service

ACTION_LABELS = {"create": N_("created"), "update": N_("edited"), "delete": N_("deleted")}
# What an order did, recorded on the contact too (core/services/orders.py).
ORDER_LABELS = {"order_create": N_("order {order} created ({offer}, {status})"),
                "order_pay": N_("order {order} paid ({offer})"),
                "order_cancel": N_("order {order} cancelled ({offer})"),
                "order_refund": N_("order {order} refunded ({offer})")}


class HistoryTab(CardTab):
    # Not named `Tab`: Textual's own `Tab` selector (height 1) would squeeze the pane.
    tab_id, label, key, order = "history", N_("History"), "h", 90
    kinds = frozenset({"contact", "order"})

    def compose(self) -> ComposeResult:
        yield KeyTable(id="history-table", cursor_type="row", zebra_stripes=False)
        # The highlighted row whole: at 80 columns a long change is cut in the table.
        yield Static("", id="history-detail")

    def on_mount(self) -> None:
        table = self.query_one("#history-table", DataTable)
        table.add_column(_("When"), key="at", width=17)
        table.add_column(_("Who"), key="who", width=10)
        table.add_column(_("What"), key="what")
        super().on_mount()

    def load(self) -> None:
        run_service(self, contact_service.contact_history, self.ctx, self.contact_id,
                    on_done=self.show, group="card-history", exclusive=True)

    def show(self, entries) -> None:
        # One row per changed field: a whole edit on one line would be cut at 80 columns.
        table = self.query_one("#history-table", DataTable)
        table.clear()
        self.whole: dict[str, str] = {}
        for entry in entries:
            action = _(ACTION_LABELS.get(entry.action, entry.action))
            when, who = format_short_datetime(entry.at), entry.operator
            if entry.action in ORDER_LABELS:
                from console.screens.orders.labels import status_label

                after = entry.after or {}
                action = _(ORDER_LABELS[entry.action]).format(
                    order=after.get("order", "?"), offer=after.get("offer") or "",
                    status=status_label(after.get("status", "")))
            if entry.action != "update":
                table.add_row(when, who, action, key=str(entry.id))
                continue
            for i, (field, before, after) in enumerate(entry.changes()):
                what = f"{action}: {field}: {shown_value(before)} → {shown_value(after)}"
                self.whole[f"{entry.id}-{i}"] = f"{when or ''} {who} · {what}"
                table.add_row(when if i == 0 else "", who if i == 0 else "", what,
                              key=f"{entry.id}-{i}")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        text = getattr(self, "whole", {}).get(event.row_key.value or "", "")
        self.query_one("#history-detail", Static).update(escape(text))


Tab = HistoryTab  # the name console/screens/card_tabs/__init__.py looks for
