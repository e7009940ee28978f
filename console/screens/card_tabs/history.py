"""History: the contact's audit trail, one row per changed field."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from console.calls import run_service
from console.screens.card_tabs.base import CardTab, shown_value
from console.widgets.lists import KeyTable
from core.i18n import N_, _, format_short_datetime

ACTION_LABELS = {"create": N_("created"), "update": N_("edited"), "delete": N_("deleted"),
                 "lock": N_("locked"), "unlock": N_("unlocked"), "cancel": N_("cancelled"),
                 "undo_cancel": N_("cancellation withdrawn"), "set_end": N_("end date set"),
                 "status": N_("status changed"), "end": N_("ended")}
# What an order did, recorded on the contact too (core/services/orders.py).
ORDER_LABELS = {"order_create": N_("order {order} created ({offer}, {status})"),
                "order_pay": N_("order {order} paid ({offer})"),
                "order_cancel": N_("order {order} cancelled ({offer})"),
                "order_refund": N_("order {order} refunded ({offer})")}


class HistoryTab(CardTab):
    # Not named `Tab`: Textual's own `Tab` selector (height 1) would squeeze the pane.
    tab_id, label, key, order = "history", N_("History"), "h", 90
    kinds = frozenset({"contact", "access", "order"})

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
        from core.services import access_status

        # The contact's own trail and that of their accesses (issue 11).
        run_service(self, access_status.contact_history, self.ctx, self.contact_id,
                    on_done=self.show, group="card-history", exclusive=True)

    def show(self, entries) -> None:
        # One row per changed field: a whole edit on one line would be cut at 80 columns.
        table = self.query_one("#history-table", DataTable)
        table.clear()
        self.whole: dict[str, str] = {}
        for entry in entries:
            action = _(ACTION_LABELS.get(entry.action, entry.action))
            when, who = format_short_datetime(entry.at), entry.operator
            if entry.entity == "access":
                what = _("access #{id}: {action}").format(id=entry.entity_id, action=action)
                detail = _access_detail(entry)
                if detail:
                    what += " · " + detail
                self.whole[str(entry.id)] = f"{when or ''} {who} · {what}"
                # cut to the 80-column card: the detail line below shows it whole
                short = what if len(what) <= 46 else what[:45] + "…"
                table.add_row(when, who, short, key=str(entry.id))
                continue
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


def _access_detail(entry) -> str:
    """The dates an access action moved: "status: active → pending_cancellation"."""
    from core.rules.accesses import status_label

    after = entry.after or {}
    before = entry.before or {}
    parts = []
    if "status" in after:
        parts.append(f"{status_label(before.get('status') or '—')} → "
                     f"{status_label(after['status'])}")
    for key in ("pending_cancellation_at", "ends_at"):
        if key in after and after[key]:
            from datetime import datetime

            parts.append(format_short_datetime(datetime.fromisoformat(after[key])))
    return ", ".join(parts)


Tab = HistoryTab  # the name console/screens/card_tabs/__init__.py looks for
