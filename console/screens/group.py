"""The group quota view (SPEC §8): the quota bar ("5 of 8 seats used"), every purchase with
its subscription's next invoice (the engine's), the monthly total, and the participants
(windowed). `e` enrols while a seat is free, `b` buys more seats, `x` removes the selected
participant (preview first), `d` opens the downgrade / cancel assistant, `a` reactivates an
offline group, `l` flips the group limit setting (admins). The name cannot be changed: `n`
says so."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from console.calls import run_service, show_error
from console.forms import FieldSpec, FormScreen
from console.widgets.column_header import ColumnHeader
from console.widgets.confirm import ConfirmDialog
from console.widgets.footer import KontorFooter
from console.widgets.lists import KeyTable
from console.widgets.windowed_table import Column, WindowedTable
from core.i18n import N_, _, format_money, format_short_date
from core.schemas.common import Window
from core.services import groups as service
from core.services import settings as settings_service
from core.services.context import ServiceContext

BAR_WIDTH = 20
PARTICIPANT_STATES = {"active": N_("active"), "leaving": N_("leaving"),
                      "removed": N_("removed")}
ORDER_STATES = {"paid": N_("paid"), "pending": N_("pending"), "cancelled": N_("cancelled"),
                "refunded": N_("refunded")}


def quota_bar(used: int, total: int, width: int = BAR_WIDTH) -> str:
    """`[██████░░░░]` — full blocks for used seats, light shade for free ones; over quota
    the bar is full and marked `!`."""
    if total <= 0:
        filled = width if used > 0 else 0
    else:
        filled = min(width, round(width * used / total))
    bar = "█" * filled + "░" * (width - filled)
    return f"[{bar}]" + ("!" if used > total else "")


class ParticipantSource:
    def __init__(self, ctx: ServiceContext, group_id: int):
        self.ctx, self.group_id = ctx, group_id

    def count(self) -> int:
        return service.count_participants(self.ctx, self.group_id)

    def fetch(self, window: Window):
        return service.list_participants(self.ctx, self.group_id, window)


def participant_columns() -> list[Column]:
    return [
        Column("name", _("Participant"), None, min_width=12),
        Column("email", _("Email"), None, min_width=12),
        Column("status", _("Status"), 9,
               render=lambda v: _(PARTICIPANT_STATES.get(v, v))),
        Column("enrolled_at", _("Enrolled"), 10, render=format_short_date),
    ]


class EnrolForm(FormScreen):
    """Enrol a participant by email (a new contact gets the name, or the email's local
    part)."""

    FIRST = "email"

    def __init__(self, ctx: ServiceContext, group):
        super().__init__(ctx)
        self.group = group

    def title_text(self) -> str:
        return _("Enrol a participant in “{name}” ({used})").format(
            name=self.group.name, used=self.group.used_text)

    def fields(self) -> list[FieldSpec]:
        return [FieldSpec("email", _("Email"), placeholder="name@example.com",
                          max_length=254),
                FieldSpec("name", _("Name"), placeholder=_("only for a new contact"),
                          max_length=200, allow_blank=True)]

    def save_label(self) -> str:
        return _("Enrol")

    def error_field(self, key: str) -> str:
        return {"seats": "_"}.get(key, key)

    def submit(self, data: dict[str, Any]):
        return (service.enrol, (self.ctx, self.group.id, data.get("email", "")),
                {"name": data.get("name") or None})


class BuyMoreForm(FormScreen):
    """Buy more seats: the same offer again (a new order, or a new, separate subscription
    billed on its own day)."""

    FIRST = "seats"

    def __init__(self, ctx: ServiceContext, group, *, full: bool = False):
        super().__init__(ctx)
        self.group, self.full = group, full

    def title_text(self) -> str:
        return _("Buy more seats for “{name}”").format(name=self.group.name)

    def intro(self) -> ComposeResult:
        lines = []
        if self.full:
            lines.append(_("All seats are used: buy more seats to enrol someone."))
        lines.append(_("A one-time offer becomes a new order; a subscription a new, "
                       "separate subscription starting today."))
        yield Static("\n".join(lines), id="buy-intro")

    def fields(self) -> list[FieldSpec]:
        return [FieldSpec("seats", _("Seats"), placeholder="3", parse=_seats)]

    def save_label(self) -> str:
        return _("Buy")

    def submit(self, data: dict[str, Any]):
        return service.upgrade_group, (self.ctx, self.group.id, data["seats"]), {}


def _seats(raw: Any) -> int:
    text = str(raw or "").strip()
    if not text.isdigit():
        raise ValueError(_("Enter a whole number of seats."))
    return int(text)


def _target(raw: Any) -> int:
    text = str(raw or "").strip()
    if not text.isdigit():
        raise ValueError(_("Enter the number of seats to keep."))
    return int(text)


class DowngradeForm(FormScreen):
    """The downgrade / cancel assistant: the target seats, the proposal (which
    subscriptions end when, what is still invoiced, who would lose access), the agent's
    own choice of subscriptions, then a confirmation."""

    FIRST = "to"

    def __init__(self, ctx: ServiceContext, group):
        super().__init__(ctx)
        self.group = group
        self.preview = None
        self._asked: tuple | None = None

    def title_text(self) -> str:
        return _("Downgrade or cancel “{name}” ({used})").format(
            name=self.group.name, used=self.group.used_text)

    def fields(self) -> list[FieldSpec]:
        live = [s for s in self.group.subscriptions if s.state in ("trial", "active")]
        choices = [(_("#{id}: {seats} seats, since {start}").format(
            id=s.id, seats=s.seats, start=format_short_date(s.start)), s.id) for s in live]
        specs = [FieldSpec("to", _("Seats to keep"), placeholder=str(self.group.seats_used),
                           parse=_target)]
        if choices:
            specs.append(FieldSpec("cancel", _("End instead (optional)"), kind="multi",
                                   choices=choices,
                                   help=_("Leave empty to take the proposal.")))
        return specs

    def extra(self) -> ComposeResult:
        yield Static(_("Type the seats to keep to see the proposal."), id="downgrade-preview")

    def save_label(self) -> str:
        return _("Confirm")

    def error_field(self, key: str) -> str:
        return key

    def _request(self) -> tuple | None:
        data, errors = self.data()
        if errors or "to" not in data:
            return None
        cancel = data.get("cancel") or None
        return data["to"], tuple(cancel) if cancel else None

    def changed(self) -> None:
        req = self._request()
        if req is None or req == self._asked:
            return
        self._asked = req
        to, cancel = req
        run_service(self, service.preview_downgrade, self.ctx, self.group.id, to,
                    cancel=list(cancel) if cancel else None, on_done=self._previewed,
                    on_error=self._preview_failed, group="downgrade-preview",
                    exclusive=True)

    def _preview_failed(self, exc: Exception) -> None:
        from core.errors import ValidationFailed

        text = "\n".join(exc.fields.values()) if isinstance(exc, ValidationFailed) else str(exc)
        self.query_one("#downgrade-preview", Static).update(escape(text))

    def _previewed(self, p) -> None:
        self.preview = p
        self.query_one("#downgrade-preview", Static).update(downgrade_text(p))

    def check(self, data: dict[str, Any]) -> None:
        from core.errors import ValidationFailed

        if self.preview is None or self.preview.refusal:
            raise ValidationFailed({"to": self.preview.refusal if self.preview else _(
                "Wait for the proposal.")})

    def action_save(self) -> None:
        if self.saving:
            return
        data, errors = self.data()
        if errors:
            self.show_errors(errors)
            return
        try:
            self.check(data)
        except Exception as exc:  # ValidationFailed: shown under the field
            self.show_errors(getattr(exc, "fields", {"_": str(exc)}))
            return

        def answered(yes: bool | None) -> None:
            if yes:
                FormScreen.action_save(self)

        self.app.push_screen(ConfirmDialog(
            _("End these subscriptions?"), downgrade_text(self.preview),
            yes=_("Confirm")), answered)

    def submit(self, data: dict[str, Any]):
        cancel = data.get("cancel") or None
        return (service.downgrade, (self.ctx, self.group.id, data["to"]),
                {"cancel": list(cancel) if cancel else None})


def downgrade_text(p) -> str:
    """The assistant's proposal as text: seats, each subscription kept or ended (when, what
    is still invoiced), who loses access when, the offline date."""
    lines = [_("Seats {total} → {after} ({used} in use; group limit {limit}).").format(
        total=p.seats_total, after=p.seats_after, used=p.seats_used,
        limit=_("active") if p.limited else _("not active"))]
    if p.refusal:
        lines.append(_("Refused: {why}").format(why=p.refusal))
    for line in p.lines:
        if line.cancel:
            text = _("  #{id} ({seats} seats) ends {date}; still invoiced {amount}") \
                if line.remaining_amount else _("  #{id} ({seats} seats) ends {date}; "
                                                "nothing more invoiced")
            lines.append(text.format(
                id=line.subscription_id, seats=line.seats,
                date=format_short_date(line.expires) if line.expires else "—",
                amount=format_money(line.remaining_amount, line.currency)))
        else:
            lines.append(_("  #{id} ({seats} seats) continues").format(
                id=line.subscription_id, seats=line.seats))
    for loser in p.losing:
        lines.append(_("  {name} loses access {date}").format(
            name=loser.name, date=format_short_date(loser.loses_access_at)
            if loser.loses_access_at else "—"))
    if p.offline_at:
        lines.append(_("  The group goes offline on {date}.").format(
            date=format_short_date(p.offline_at)))
    return escape("\n".join(lines))


class GroupScreen(Screen):
    BINDINGS = [
        Binding("escape,q", "back", _("Back")),
        Binding("e", "enrol", _("Enrol participant"),
                tooltip=_("Enrol a participant by email (a seat is free)")),
        Binding("b", "buy", _("Buy more seats"),
                tooltip=_("Buy the group offer again: more seats")),
        Binding("x", "remove", _("Remove"),
                tooltip=_("Remove the selected participant (preview first)")),
        Binding("d", "downgrade", _("Downgrade…"),
                tooltip=_("Downgrade or cancel: choose the subscriptions that end")),
        Binding("a", "reactivate", _("Reactivate"), tooltip=_("Bring an offline group back")),
        Binding("l", "toggle_limit", _("Group limit"), show=False,
                tooltip=_("Switch the group limit setting for every group (admins)")),
        Binding("n", "rename", _("Rename"), show=False,
                tooltip=_("A group's name cannot be changed")),
        Binding("ctrl+r,f5", "reload", _("Refresh"), show=False),
    ]

    def __init__(self, ctx: ServiceContext, group_id: int):
        super().__init__()
        self.ctx, self.group_id = ctx, group_id
        self.group = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="group-summary")
        yield Static("", id="group-quota")
        yield KeyTable(id="group-purchases", cursor_type="row")
        yield Static("", id="group-monthly")
        table = WindowedTable(participant_columns(), id="group-participants")
        yield ColumnHeader(table, id="group-participants-header")
        yield table
        yield KontorFooter()

    def on_mount(self) -> None:
        self.title = _("Group #{id}").format(id=self.group_id)
        table = self.query_one("#group-purchases", DataTable)
        table.add_column(_("Order"), key="order", width=6)
        table.add_column(_("Seats"), key="seats", width=5)
        table.add_column(_("Amount"), key="amount", width=10)
        table.add_column(_("Subscr."), key="sub", width=7)
        table.add_column(_("State"), key="state", width=11)
        table.add_column(_("Next invoice"), key="next", width=12)
        table.add_column(_("Next amount"), key="next_amount", width=11)
        self.query_one(WindowedTable).set_source(ParticipantSource(self.ctx, self.group_id))
        self.action_reload()
        self.query_one(WindowedTable).focus()

    # -- loading ----------------------------------------------------------------------------

    def action_reload(self) -> None:
        run_service(self, service.get_group, self.ctx, self.group_id, on_done=self._show,
                    on_error=self._gone, group="group", exclusive=True)

    def reload_all(self) -> None:
        self.action_reload()
        self.query_one(WindowedTable).refresh_data()

    def _gone(self, exc: Exception) -> None:
        show_error(self, exc)

    def on_entity_changed(self, event) -> None:
        if event.kind in ("group", "setting", "subscription"):
            self.reload_all()

    def _show(self, g) -> None:
        from console.screens.subscription import state_label

        self.group = g
        state = _("offline since {date}").format(date=format_short_date(g.offline_at)) \
            if g.state == "offline" else (
                _("goes offline {date}").format(date=format_short_date(g.offline_at))
                if g.offline_at else _("online"))
        self.query_one("#group-summary", Static).update(
            f"[b]{escape(g.name)}[/b] " + escape(_("(name cannot be changed)")) + " · "
            + escape(g.product_name) + " · " + escape(g.leader_name))
        free = _("{n} free").format(n=g.seats_free) if g.seats_free >= 0 else _(
            "{n} over quota").format(n=-g.seats_free)
        hint = _("e enrols a participant") if g.allowed_actions.get("enrol") is None else _(
            "No seat free: b buys more seats")
        limit = _("group limit active") if g.limited else _("group limit not active")
        self.query_one("#group-quota", Static).update(
            escape(f"{quota_bar(g.seats_used, g.seats_total)} {g.used_text} · {free} · "
                   f"{state}\n{limit} · {hint}"))
        table = self.query_one("#group-purchases", DataTable)
        table.clear()
        subs = {s.id: s for s in g.subscriptions}
        for o in g.orders:
            sub = subs.get(o.subscription_id) if o.subscription_id else None
            table.add_row(
                str(o.number or "—"), str(o.seats), format_money(o.amount, o.currency),
                f"#{o.subscription_id}" if o.subscription_id else "—",
                (_("ending") if sub.state == "pending_cancellation" else state_label(sub.state))
                if sub else (_(ORDER_STATES.get(o.status, o.status))
                                                    if o.live else _("ended")),
                format_short_date(sub.next_invoice_at) if sub and sub.next_invoice_at
                else "—",
                format_money(sub.amount, sub.currency) if sub and sub.amount is not None
                else "—", key=str(o.purchase_id))
        table.styles.height = min(len(g.orders), 5) + 1
        live = [s for s in g.subscriptions if s.state in ("trial", "active",
                                                          "pending_cancellation")]
        text = _("{n} active subscriptions · total per month {amount}").format(
            n=len(live), amount=format_money(g.monthly_total, g.currency)) if live else _(
            "No active subscription.")
        for sub in g.subscriptions:
            if sub.state == "pending_cancellation" and sub.expires:
                text += " · " + _("#{id} ends {date}").format(
                    id=sub.id, date=format_short_date(sub.expires))
        self.query_one("#group-monthly", Static).update(text)
        self.refresh_bindings()

    # -- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters) -> bool | None:
        writes = {"enrol", "buy", "remove", "downgrade", "reactivate"}
        if action == "toggle_limit":
            return True if self.ctx.can("settings.write") else None
        if action not in writes:
            return True
        if not self.ctx.can("groups.write") or self.group is None:
            return None
        table_action = {"enrol": "enrol", "buy": "upgrade", "downgrade": "downgrade",
                        "reactivate": "reactivate"}.get(action)
        if table_action is not None:
            return self.group.allowed_actions.get(table_action, "") is None
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def _written(self, message: str):
        def done(_result) -> None:
            self.notify(message)
            self.reload_all()
        return done

    def action_enrol(self) -> None:
        if self.group is None:
            return
        why = self.group.allowed_actions.get("enrol")
        if why is not None:
            self.notify(why, severity="warning")
            return

        def done(p) -> None:
            if p is not None:
                self.notify(_("{name} enrolled.").format(name=p.name))
                self.reload_all()

        self.app.push_screen(EnrolForm(self.ctx, self.group), done)

    def action_buy(self) -> None:
        if self.group is None:
            return

        def done(g) -> None:
            if g is not None:
                self.notify(_("Seats bought: {used}").format(used=g.used_text))
                self.reload_all()

        self.app.push_screen(BuyMoreForm(self.ctx, self.group,
                                         full=self.group.seats_free <= 0), done)

    def action_remove(self) -> None:
        row = self.query_one(WindowedTable).current_row
        if self.group is None or row is None:
            return
        email = row.email

        def previewed(r) -> None:
            seat = _("The seat is freed.") if r.seat_freed else _(
                "The seat stays used (group limit active).")
            detail = _("Access ends {date}. {seat} Afterwards {used} of {total} seats "
                       "used.").format(date=format_short_date(r.access_ends_at), seat=seat,
                                       used=r.seats_used_after, total=r.seats_total)

            def answered(yes: bool | None) -> None:
                if yes:
                    run_service(self, service.remove, self.ctx, self.group_id, email,
                                on_done=self._written(_("{name} removed.").format(
                                    name=r.name)), changed=("group", self.group_id))

            self.app.push_screen(ConfirmDialog(
                _("Remove {name} from the group?").format(name=r.name), detail,
                yes=_("Remove")), answered)

        run_service(self, service.remove, self.ctx, self.group_id, email, preview=True,
                    on_done=previewed)

    def action_downgrade(self) -> None:
        if self.group is None:
            return

        def done(p) -> None:
            if p is not None:
                self.notify(_("Downgrade confirmed: {after} seats after the cancellations.")
                            .format(after=p.seats_after))
                self.reload_all()

        self.app.push_screen(DowngradeForm(self.ctx, self.group), done)

    def action_reactivate(self) -> None:
        run_service(self, service.reactivate, self.ctx, self.group_id,
                    on_done=self._written(_("The group is online again.")),
                    changed=("group", self.group_id))

    def action_toggle_limit(self) -> None:
        if self.group is None:
            return
        value = "false" if self.group.limited else "true"
        run_service(self, settings_service.set_setting, self.ctx, "group_limit_active", value,
                    on_done=self._written(
                        _("Group limit now active: every group follows.") if value == "true"
                        else _("Group limit now off: every group follows.")))

    def action_rename(self) -> None:
        why = (self.group.allowed_actions.get("rename") if self.group is not None else None) \
            or _("The group name cannot be changed after the purchase.")
        self.notify(why, severity="warning")

    @on(WindowedTable.Loaded)
    def _loaded(self, event) -> None:
        self.call_after_refresh(self.query_one(ColumnHeader).refresh)

    @on(WindowedTable.Failed)
    def _failed(self, event: WindowedTable.Failed) -> None:
        show_error(self, event.error)
