"""Products: every access of the contact — product, offer, status, start, end, "7 of 12 open".

enter opens the order editor (console/screens/accesses/editor.py); t switches the tariff,
x deletes the access (No focused), > extends it, z pauses or resumes it; c cancels (with the
preview), u withdraws a pending cancellation, D edits the end date — for the rows marked with
space in one bulk action (console/screens/access_status/), else for the row under the cursor.
Which keys are live is the access's `allowed_actions` (core/rules/accesses.py), never restated
here.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from console.calls import run_service
from console.screens.card_tabs.base import CardTab
from console.widgets.lists import KeyTable
from core.i18n import N_, _, format_short_date, ngettext
from core.schemas.common import Window
from core.services import accesses as access_service

PAGE = 200  # a contact's accesses: a few by nature; the count says when there are more

MARK = "•"
STATUS_LABELS = {
    "active": N_("active"), "pending_cancellation": N_("pending cancellation"),
    "cancelled": N_("cancelled"), "expired": N_("expired"), "paused": N_("paused"),
    "overdue": N_("overdue"),
}


def status_label(status: str) -> str:
    label = STATUS_LABELS.get(status)
    return _(label) if label else status


def open_text(row) -> str:
    """"7 of 12": lessons open today of those in the tariff (the column says "Open")."""
    return _("{open} of {total}").format(open=row.open_lessons, total=row.lessons_in_tariff)


class Tab(CardTab):
    tab_id, label, key, order = "products", N_("Products"), "p", 20
    kinds = frozenset({"access", "subscription", "order"})
    DEFAULT_CSS = """
    Tab#tab-products { height: 1fr; }
    Tab #products-summary { height: 1; color: $text-muted; }
    Tab #products-table { height: 1fr; }
    """

    BINDINGS = [
        Binding("enter", "open_editor", _("Edit access"), show=False,
                tooltip=_("Open the order editor of this access")),
        Binding("t", "switch", _("Switch tariff"),
                tooltip=_("Switch this access to another offer of the same product")),
        Binding("x", "delete", _("Delete access"), tooltip=_("Delete this access")),
        Binding("greater_than_sign", "extend", _("Extend"),
                tooltip=_("Move the end of this access later")),
        Binding("z", "pause", _("Pause/resume"),
                tooltip=_("Pause this access, or resume it")),
        Binding("c", "cancel_access", _("Cancel access"),
                tooltip=_("Cancel the marked accesses or this one (preview first)")),
        Binding("u", "undo_cancel", _("Undo cancellation"),
                tooltip=_("Withdraw the pending cancellation of the marked accesses or this "
                          "one")),
        Binding("D", "set_end", _("End date"),
                tooltip=_("Edit the end date of the marked accesses or this one")),
        Binding("space", "toggle_mark", _("Mark"), show=False,
                tooltip=_("Mark or unmark this access for a bulk action")),
    ]

    def compose(self) -> ComposeResult:
        yield Static("", id="products-summary")
        yield KeyTable(id="products-table", cursor_type="row")

    def on_mount(self) -> None:
        self.rows: list = []
        self.count = 0
        self.marks: dict[int, None] = {}  # access ids marked for a bulk action, in order
        table = self.query_one("#products-table", DataTable)
        # 64 columns + padding: fits 80 with the scrollbar
        table.add_column(" ", key="mark", width=1)
        table.add_column(_("Product"), key="product", width=12)
        table.add_column(_("Offer"), key="offer", width=11)
        table.add_column(_("Status"), key="status", width=11)
        table.add_column(_("Start"), key="start", width=10)
        table.add_column(_("End"), key="end", width=10)
        table.add_column(_("Opened"), key="lessons", width=9)
        super().on_mount()

    def load(self) -> None:
        run_service(self, access_service.list_accesses, self.ctx, self.contact_id,
                    window=Window(limit=PAGE), on_done=self.show, group="card-products",
                    exclusive=True)

    def show(self, rows) -> None:
        self.rows = rows
        table = self.query_one("#products-table", DataTable)
        keep = table.cursor_row
        table.clear()
        self.marks = {i: None for i in self.marks if any(r.id == i for r in rows)}
        for r in rows:
            table.add_row(MARK if r.id in self.marks else " ", r.product, r.offer, status_label(r.status),
                          format_short_date(r.starts_at),
                          format_short_date(r.ends_at) if r.ends_at else "—",
                          open_text(r), key=str(r.id))
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))
        summary = (_("No products yet.") if not rows else
                   ngettext("{n} access — enter edits, t switches the tariff.",
                            "{n} accesses — enter edits, t switches the tariff.",
                            len(rows)).format(n=len(rows)))
        self.query_one("#products-summary", Static).update(summary)
        self.refresh_bindings()

    # -- the access under the cursor -----------------------------------------------------

    @property
    def current(self):
        if not getattr(self, "rows", None):
            return None
        table = self.query_one("#products-table", DataTable)
        i = table.cursor_row
        return self.rows[i] if 0 <= i < len(self.rows) else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters) -> bool | None:
        table_action = {"switch": "switch", "delete": "delete", "extend": "extend",
                        "pause": None, "open_editor": None, "cancel_access": "cancel",
                        "undo_cancel": "undo_cancel", "set_end": "set_end",
                        "toggle_mark": None}
        if action not in table_action:
            return True
        if action != "open_editor" and not self.ctx.can("access.write"):
            return None
        row = self.current
        if row is None:
            return False
        if action in ("cancel_access", "undo_cancel", "set_end") and self.marks:
            return True  # a bulk action: the service lists every refused row with its reason
        rule = table_action[action]
        if action == "pause":
            return (row.allowed_actions.get("pause") is None
                    or row.allowed_actions.get("resume") is None)
        return rule is None or row.allowed_actions.get(rule) is None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_editor()

    # -- actions ---------------------------------------------------------------------------

    def action_open_editor(self) -> None:
        from console.screens.accesses.editor import open_access_editor

        row = self.current
        if row is not None:
            open_access_editor(self, self.ctx, row.id)

    def action_switch(self) -> None:
        from console.screens.accesses.dialogs import open_switch_dialog

        row = self.current
        if row is not None:
            open_switch_dialog(self, self.ctx, row)

    def action_delete(self) -> None:
        from console.screens.accesses.dialogs import confirm_delete_access

        row = self.current
        if row is not None:
            confirm_delete_access(self, self.ctx, row)

    def action_extend(self) -> None:
        from console.screens.accesses.dialogs import ExtendDialog

        row = self.current
        if row is not None:
            self.app.push_screen(ExtendDialog(self.ctx, row))

    def action_pause(self) -> None:
        from console.screens.accesses.dialogs import PauseDialog, resume

        row = self.current
        if row is None:
            return
        if row.allowed_actions.get("resume") is None:
            resume(self, self.ctx, row)
        else:
            self.app.push_screen(PauseDialog(self.ctx, row))

    # -- status actions (issue 11), one access or the marked ones -------------------------

    def action_toggle_mark(self) -> None:
        row = self.current
        if row is None:
            return
        if row.id in self.marks:
            del self.marks[row.id]
        else:
            self.marks[row.id] = None
        table = self.query_one("#products-table", DataTable)
        table.update_cell(str(row.id), "mark", MARK if row.id in self.marks else " ")
        self.query_one("#products-summary", Static).update(
            ngettext("{n} access marked — c cancels, u undoes, D sets the end date.",
                     "{n} accesses marked — c cancels, u undoes, D sets the end date.",
                     len(self.marks)).format(n=len(self.marks)) if self.marks
            else ngettext("{n} access — enter edits, t switches the tariff.",
                          "{n} accesses — enter edits, t switches the tariff.",
                          len(self.rows)).format(n=len(self.rows)))
        self.refresh_bindings()

    def _targets(self) -> tuple[list[int], int | None]:
        """The marked accesses, else the one under the cursor (with its version)."""
        if self.marks:
            return list(self.marks), None
        row = self.current
        return ([row.id], row.version) if row is not None else ([], None)

    def _done(self, *_args) -> None:
        self.marks = {}
        self.load()

    def action_cancel_access(self) -> None:
        from console.screens.access_status import open_cancel

        ids, version = self._targets()
        open_cancel(self, self.ctx, ids, on_done=self._done, version=version)

    def action_undo_cancel(self) -> None:
        from console.screens.access_status import open_undo

        ids, version = self._targets()
        open_undo(self, self.ctx, ids, on_done=self._done, version=version)

    def action_set_end(self) -> None:
        from console.screens.access_status import open_set_end

        ids, version = self._targets()
        open_set_end(self, self.ctx, ids, on_done=self._done, version=version)
