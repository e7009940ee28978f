"""Groups: the groups the contact leads and those they take part in; enter opens the group
quota view."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable

from console.calls import run_service
from console.screens.card_tabs.base import CardTab
from console.widgets.lists import KeyTable
from core.i18n import N_, _
from core.services import groups as group_service

ROLES = {"leader": N_("leader"), "participant": N_("participant")}
STATUSES = {"leader": N_("leads"), "active": N_("active"), "leaving": N_("leaving"),
            "removed": N_("removed")}


class Tab(CardTab):
    tab_id, label, key, order = "groups", N_("Groups"), "m", 50
    kinds = frozenset({"group", "setting"})

    def compose(self) -> ComposeResult:
        yield KeyTable(id="groups-table", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one("#groups-table", DataTable)
        table.add_column("#", key="id", width=6)
        table.add_column(_("Group"), key="name", width=20)
        table.add_column(_("Product"), key="product", width=16)
        table.add_column(_("Role"), key="role", width=11)
        table.add_column(_("Status"), key="status", width=8)
        table.add_column(_("Seats"), key="seats", width=7)
        super().on_mount()

    def load(self) -> None:
        run_service(self, group_service.groups_of_contact, self.ctx, self.contact_id,
                    on_done=self.show, group="card-groups", exclusive=True)

    def show(self, rows) -> None:
        table = self.query_one("#groups-table", DataTable)
        table.clear()
        for i, g in enumerate(rows):
            table.add_row(str(g.id), g.name, g.product_name, _(ROLES[g.role]),
                          _(STATUSES.get(g.status, g.status)),
                          f"{g.seats_used}/{g.seats_total}", key=f"{g.id}:{i}")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            event.stop()
            from console.screens.group import GroupScreen

            group_id = int(str(event.row_key.value).split(":")[0])
            self.app.push_screen(GroupScreen(self.ctx, group_id))
