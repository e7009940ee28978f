"""Area 7, Follow-up: the lists agents are asked about daily (issue 11, item 6).

`p` pending cancellations (ending within N days), `x` expiring soon, `o` overdue; windowed
(console/widgets/markable_table.py), `/` filters (`product:ID within:30d from:DATE
to:DATE`), `space` marks rows, `c` cancels, `e` sets the end date, `u` undoes the
cancellation of the marked rows (or of the current row) — one preview, one confirmation,
one transaction (console/screens/access_status/); `enter` opens the contact card.
"""

from __future__ import annotations

from datetime import timedelta

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Input, Static

from console.calls import run_service, show_error
from console.messages import EntityChanged
from console.widgets.column_header import ColumnHeader
from console.widgets.footer import KontorFooter
from console.widgets.markable_table import MarkableTable
from console.widgets.windowed_table import Column, WindowedTable
from core.errors import ValidationFailed
from core.i18n import N_, _, format_number, format_short_date, ngettext
from core.rules.accesses import status_label
from core.schemas.common import Window
from core.services import access_status as service
from core.services.context import ServiceContext

LISTS = {"pending": (N_("Pending cancellations"), "p"), "expiring": (N_("Expiring soon"), "x"),
         "overdue": (N_("Overdue"), "o")}


class FollowUpFilter:
    """What `/` typed: product:ID within:30d from:DATE to:DATE (dates as the date input)."""

    def __init__(self, product_id=None, within_days: int = 30, date_from=None, date_to=None,
                 text: str = ""):
        self.product_id, self.within_days = product_id, within_days
        self.date_from, self.date_to, self.text = date_from, date_to, text


def parse_filter(text: str, today) -> FollowUpFilter:
    """The filter line; ValidationFailed naming the token otherwise."""
    from core.dates import DateInputError, parse_date
    from core.i18n import language

    f = FollowUpFilter(text=text)
    for token in text.split():
        key, sep, value = token.partition(":")
        if not sep or not value:
            raise ValidationFailed({"filter": _("Not a filter: {token} (product:ID, "
                                                "within:30d, from:DATE, to:DATE)").format(
                                                    token=token[:30])})
        key = key.lower()
        if key == "product":
            if not value.isdigit() or not 0 < int(value) <= 2_147_483_647:
                raise ValidationFailed({"product": _("A product id: {value}").format(
                    value=value[:20])})
            f.product_id = int(value)
        elif key == "within":
            f.within_days = service.parse_within(value)
        elif key in ("from", "to"):
            try:
                day = parse_date(value.replace("_", " "), today=today, lang=language())
            except DateInputError as exc:
                raise ValidationFailed({key: str(exc)}) from None
            setattr(f, "date_from" if key == "from" else "date_to", day)
        else:
            raise ValidationFailed({"filter": _("Not a filter: {token} (product:ID, "
                                                "within:30d, from:DATE, to:DATE)").format(
                                                    token=token[:30])})
    return f


class FollowUpSource:
    def __init__(self, ctx: ServiceContext, which: str, f: FollowUpFilter):
        self.ctx, self.which, self.filter = ctx, which, f

    def _kwargs(self) -> dict:
        f = self.filter
        return {"within_days": f.within_days, "product_id": f.product_id,
                "date_from": f.date_from, "date_to": f.date_to}

    def count(self) -> int:
        return service.count_follow_up(self.ctx, self.which, **self._kwargs())

    def fetch(self, window: Window):
        return service.follow_up(self.ctx, self.which, window=window, **self._kwargs())


def _until(value) -> str:
    """An end at local midnight shows the last day with content."""
    if value is None:
        return "—"
    return format_short_date(value - timedelta(microseconds=1))


def follow_up_columns(which: str) -> list[Column]:
    return [
        Column("id", "#", 7, render=lambda v: f"#{v}"),
        Column("contact_name", _("Contact"), None, min_width=12, weight=2),
        Column("product_name", _("Product"), None, min_width=10, priority=2),
        Column("status", _("Status"), 20, render=status_label, priority=3),
        Column("date", _("Changed") if which == "overdue" else _("Until"), 10,
               render=_until if which != "overdue" else
               (lambda v: format_short_date(v) if v else "—")),
    ]


class FollowUpScreen(Screen):
    BINDINGS = [
        Binding("p", "show_list('pending')", _("Pending"), show=False,
                tooltip=_("Pending cancellations ending soon")),
        Binding("x", "show_list('expiring')", _("Expiring"), show=False,
                tooltip=_("Accesses expiring soon")),
        Binding("o", "show_list('overdue')", _("Overdue"), show=False,
                tooltip=_("Accesses with a failed subscription payment")),
        Binding("slash", "search", _("Filter"),
                tooltip=_("Filter: product:ID within:30d from:DATE to:DATE")),
        Binding("c", "cancel_access", _("Cancel"),
                tooltip=_("Cancel the marked accesses (or this one), with a preview")),
        Binding("e", "set_end", _("End date"),
                tooltip=_("Set the end date of the marked accesses (or this one)")),
        Binding("u", "undo", _("Undo"),
                tooltip=_("Withdraw the cancellation of the marked accesses (or this one)")),
        Binding("ctrl+r,f5", "reload", _("Refresh"), show=False,
                tooltip=_("Refresh the follow-up list")),
        Binding("escape", "clear_search", _("Clear filter"), show=False),
    ]
    HELP_TITLE = "Follow-up"

    def __init__(self, ctx: ServiceContext, which: str = "pending"):
        super().__init__()
        self.ctx, self.which = ctx, which
        self.filter = FollowUpFilter()
        self.today = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="follow-lists")
        yield Input(placeholder=_("product:ID  within:30d  from:DATE  to:DATE  (/)"),
                    id="search", compact=True)
        yield Static("", id="status")
        table = MarkableTable(follow_up_columns(self.which), id="follow-up")
        yield ColumnHeader(table, id="follow-up-header")
        yield table
        yield KontorFooter()

    def on_mount(self) -> None:
        self.title = _("Follow-up")
        self.query_one(MarkableTable).focus()
        run_service(self, service.local_today, self.ctx, on_done=self._today)

    def _today(self, today) -> None:
        self.today = today
        self.show_list(self.which)

    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("cancel_access", "set_end", "undo") and not self.ctx.can("access.write"):
            return None
        return True

    # -- lists -----------------------------------------------------------------------------

    def _tabs_text(self):
        from rich.text import Text

        text = Text()
        for key, (label, letter) in LISTS.items():
            text.append(f" {_(label)} [{letter}] ",
                        style="bold reverse" if key == self.which else "")
            text.append(" ")
        return text

    def show_list(self, which: str) -> None:
        self.which = which
        self.query_one("#follow-lists", Static).update(self._tabs_text())
        table = self.query_one(MarkableTable)
        table.marks.clear()
        table.set_columns(follow_up_columns(which))
        self.query_one("#status", Static).update(_("Counting…"))
        table.set_source(FollowUpSource(self.ctx, which, self.filter))

    def action_show_list(self, which: str) -> None:
        if self.today is not None:
            self.show_list(which)
        else:  # still loading: the list shown once it has
            self.which = which

    def apply_filter(self, text: str) -> None:
        if self.today is None:
            return
        try:
            f = parse_filter(text, self.today)
        except ValidationFailed as exc:
            show_error(self, exc)
            return
        self.filter = f
        search = self.query_one("#search", Input)
        if search.value != text:
            search.value = text
        self.show_list(self.which)

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        self.apply_filter(event.value.strip())
        self.query_one(MarkableTable).focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            self.query_one(MarkableTable).focus()
        elif search.value:
            self.apply_filter("")

    def action_reload(self) -> None:
        self.query_one(MarkableTable).refresh_data()

    def _after_write(self) -> None:
        table = self.query_one(MarkableTable)
        table.marks.clear()
        table.refresh_data()

    def on_entity_changed(self, event: EntityChanged) -> None:
        if event.kind in ("access", "subscription", "invoice", "contact"):
            self.action_reload()

    # -- actions on the marked rows ------------------------------------------------------

    def _ids(self) -> list[int]:
        return self.query_one(MarkableTable).marked_ids()

    def action_cancel_access(self) -> None:
        from console.screens.access_status import open_cancel

        open_cancel(self, self.ctx, self._ids(), on_done=self._after_write)

    def action_set_end(self) -> None:
        from console.screens.access_status import open_set_end

        open_set_end(self, self.ctx, self._ids(), on_done=self._after_write)

    def action_undo(self) -> None:
        from console.screens.access_status import open_undo

        open_undo(self, self.ctx, self._ids(), on_done=self._after_write)

    # -- status and opening ----------------------------------------------------------------

    @on(WindowedTable.Loaded)
    @on(WindowedTable.CursorMoved)
    @on(MarkableTable.MarksChanged)
    def _status(self, event) -> None:
        self.call_after_refresh(self.query_one(ColumnHeader).refresh)
        table = self.query_one(MarkableTable)
        if not table.counted:
            return
        total = table.total or 0
        text = ngettext("{n} access", "{n} accesses", total).format(n=format_number(total))
        if table.marks:
            text += " · " + ngettext("{n} marked", "{n} marked", len(table.marks)).format(
                n=format_number(len(table.marks)))
        if self.filter.text:
            text += " · " + self.filter.text
        self.query_one("#status", Static).update(text)

    @on(WindowedTable.Failed)
    def _failed(self, event: WindowedTable.Failed) -> None:
        show_error(self, event.error)

    @on(WindowedTable.Activated)
    def _open(self, event: WindowedTable.Activated) -> None:
        open_contact_on_access(self.app, self.ctx, event.row.contact_id, event.row.id)


def open_contact_on_access(app, ctx: ServiceContext, contact_id: int, access_id: int) -> None:
    """The contact card, on the Products tab at that access when the card has one."""
    from console.screens.contact_card import ContactCard

    card = ContactCard(ctx, contact_id)
    app.push_screen(card)

    def focus() -> None:
        show = getattr(card, "show_access", None)
        if callable(show):
            show(access_id)

    card.call_after_refresh(focus)


__all__ = ["FollowUpScreen", "open_contact_on_access", "parse_filter"]
