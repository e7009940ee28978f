"""The base of a contact-card tab: a pane that loads its own content."""

from __future__ import annotations

from textual.containers import Vertical

from console.messages import EntityChanged
from core.services.context import ServiceContext


def shown_value(v) -> str:
    """A stored field value as a tab shows it: "—" for empty, a list joined by commas."""
    if v is None or v == "" or v == []:
        return "—"
    if isinstance(v, list):
        return ", ".join(map(str, v))
    return str(v)


class CardTab(Vertical):
    """One tab's content. The card mounts it in a TabPane and calls `load()` on mount, on
    ctrl+r and when `refreshes_on(event)` says an EntityChanged concerns it."""

    tab_id: str = ""
    label: str = ""  # a msgid; translated when the card is composed
    key: str = ""
    order: int = 0
    kinds: frozenset[str] = frozenset()  # EntityChanged kinds that make it reload

    DEFAULT_CSS = "CardTab { height: 1fr; }"

    def __init__(self, ctx: ServiceContext, contact_id: int) -> None:
        super().__init__(id=f"tab-{self.tab_id}")
        self.ctx, self.contact_id = ctx, contact_id

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        raise NotImplementedError

    def refreshes_on(self, event: EntityChanged) -> bool:
        if event.kind == "contact":
            return event.id == self.contact_id and "contact" in self.kinds
        return event.kind in self.kinds

    def focus_first(self) -> None:
        """Focus the tab's table, if any."""
        from textual.widgets import DataTable

        tables = self.query(DataTable)
        if tables:
            tables.first().focus()
