"""`kontor groups create|upgrade|enrol|remove|show|downgrade|reactivate|list` (issue 12)."""

from __future__ import annotations

import argparse

from console.cli.contract import UsageError, action_moment, add_at, add_format
from console.cli.output import emit, emit_one
from core.i18n import _

LIST_COLUMNS = ("id", "name", "product_name", "leader_email", "seats_used", "seats_total",
                "seats_free", "offline_at")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("groups", help=_("group access: seat quotas and participants"))
    verbs = p.add_subparsers(dest="verb", required=True)

    c = verbs.add_parser("create", help=_("buy a group offer (paid): creates the group"))
    c.add_argument("--offer", required=True, help=_("the group offer's handle"))
    c.add_argument("--leader", required=True, help=_("the leader's email (created if new)"))
    c.add_argument("--leader-name", help=_("the leader's name when the contact is new"))
    c.add_argument("--name", required=True, help=_("the group's name (cannot be changed)"))
    c.add_argument("--seats", type=int, required=True)
    c.add_argument("--leader-takes-seat", action="store_true",
                   help=_("the leader takes one of the seats"))
    c.add_argument("--json", action="store_true", help=_("print the group as JSON"))
    add_at(c)
    c.set_defaults(run=groups_create)

    u = verbs.add_parser("upgrade", help=_("buy more seats for a group (a new order or a "
                                           "new, separate subscription)"))
    u.add_argument("id", type=int)
    u.add_argument("--seats", type=int, required=True)
    u.add_argument("--json", action="store_true", help=_("print the group as JSON"))
    add_at(u)
    u.set_defaults(run=groups_upgrade)

    e = verbs.add_parser("enrol", help=_("enrol a participant by email"))
    e.add_argument("id", type=int)
    e.add_argument("email")
    e.add_argument("--name", help=_("the name of a new contact (default: the email's local "
                                    "part)"))
    e.add_argument("--json", action="store_true", help=_("print the participant as JSON"))
    add_at(e)
    e.set_defaults(run=groups_enrol)

    r = verbs.add_parser("remove", help=_("remove a participant: their access ends"))
    r.add_argument("id", type=int)
    r.add_argument("email")
    r.add_argument("--preview", action="store_true", help=_("show the effect; save nothing"))
    r.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    add_at(r)
    r.set_defaults(run=groups_remove)

    s = verbs.add_parser("show", help=_("the group quota view"))
    s.add_argument("id", type=int)
    s.add_argument("--at", metavar="ISO", help=_("as of this moment (default now)"))
    add_format(s)
    s.set_defaults(run=groups_show)

    d = verbs.add_parser("downgrade", help=_("the downgrade / cancel assistant"))
    d.add_argument("id", type=int)
    d.add_argument("--to", type=int, required=True, help=_("the target seat count"))
    d.add_argument("--cancel", help=_("the subscriptions to end instead of the proposal: "
                                      "SUB_ID,SUB_ID"))
    d.add_argument("--preview", action="store_true", help=_("show the proposal; save nothing"))
    d.add_argument("--json", action="store_true", help=_("print the proposal as JSON"))
    add_at(d)
    d.set_defaults(run=groups_downgrade)

    a = verbs.add_parser("reactivate", help=_("bring an offline group back"))
    a.add_argument("id", type=int)
    a.add_argument("--json", action="store_true", help=_("print the group as JSON"))
    add_at(a)
    a.set_defaults(run=groups_reactivate)

    ls = verbs.add_parser("list", help=_("groups, newest first"))
    ls.add_argument("--product", help=_("product id or handle"))
    ls.add_argument("--leader", help=_("leader contact id or email"))
    ls.add_argument("--full", action="store_true", help=_("no seat free"))
    ls.add_argument("--over-quota", action="store_true",
                    help=_("more seats used than bought"))
    ls.add_argument("--no-live-subscription", action="store_true",
                    help=_("no subscription lives on"))
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--after", type=int, help=_("the last id of the previous page"))
    add_format(ls)
    ls.set_defaults(run=groups_list)


def _show_dict(ctx, group_id: int, at) -> dict:
    """The `groups show --json` contract: exactly these fields."""
    from core.schemas.common import Window
    from core.services import groups

    g = groups.get_group(ctx, group_id, at=at)
    people = []
    window = Window(limit=500)
    while True:
        page = groups.list_participants(ctx, group_id, window, at=at)
        people += page
        if len(page) < window.limit:
            break
        window = Window(after=page[-1].key, limit=500)
    return {"id": g.id, "name": g.name, "seats_total": g.seats_total,
            "seats_used": g.seats_used, "seats_free": g.seats_free,
            "participants": [{"email": p.email, "status": p.status} for p in people],
            "orders": [{"number": o.number, "seats": o.seats, "amount": o.amount,
                        "status": o.status} for o in g.orders],
            "subscriptions": [{"id": s.id, "seats": s.seats, "state": s.state,
                               "next_invoice_at": s.next_invoice_at, "amount": s.amount}
                              for s in g.subscriptions]}


def _print_group(ctx, group_id: int, at, as_json: bool) -> None:
    if as_json:
        emit_one(_show_dict(ctx, group_id, at), "json")
        return
    from core.i18n import format_money
    from core.services import groups

    g = groups.get_group(ctx, group_id, at=at)
    print(_("Group {id} “{name}”: {used}").format(id=g.id, name=g.name, used=g.used_text))
    for s in g.subscriptions:
        print(_("  subscription {id}: {seats} seats, {state}, next invoice {at}").format(
            id=s.id, seats=s.seats, state=s.state,
            at=s.next_invoice_at.isoformat() if s.next_invoice_at else "-"))
    if g.subscriptions:
        print(_("  per month: {amount}").format(amount=format_money(g.monthly_total,
                                                                    g.currency)))


def groups_create(args, ctx) -> int:
    from core.services import groups

    g = groups.create_group(ctx, {
        "offer": args.offer, "leader": args.leader, "leader_name": args.leader_name,
        "name": args.name, "seats": args.seats, "leader_takes_seat": args.leader_takes_seat},
        now=action_moment(ctx, args.at))
    _print_group(ctx, g.id, None, args.json)
    return 0


def groups_upgrade(args, ctx) -> int:
    from core.services import groups

    g = groups.upgrade_group(ctx, args.id, args.seats, now=action_moment(ctx, args.at))
    _print_group(ctx, g.id, None, args.json)
    return 0


def groups_enrol(args, ctx) -> int:
    from core.services import groups

    p = groups.enrol(ctx, args.id, args.email, name=args.name,
                     now=action_moment(ctx, args.at))
    if args.json:
        emit_one(p.model_dump(exclude={"key"}), "json")
    else:
        print(_("{name} <{email}> enrolled in group {id}.").format(
            name=p.name, email=p.email, id=args.id))
    return 0


def groups_remove(args, ctx) -> int:
    from core.services import groups

    r = groups.remove(ctx, args.id, args.email, preview=args.preview,
                      now=action_moment(ctx, args.at))
    if args.json:
        emit_one(r, "json")
        return 0
    seat = _("the seat is freed") if r.seat_freed else _(
        "the seat stays used (group limit active)")
    text = (_("Would remove {email}: access ends {at}; {seat}; {used} of {total} seats used "
              "after.") if args.preview else
            _("Removed {email}: access ended {at}; {seat}; {used} of {total} seats used."))
    print(text.format(email=r.email, at=r.access_ends_at.isoformat(), seat=seat,
                      used=r.seats_used_after, total=r.seats_total))
    return 0


def groups_show(args, ctx) -> int:
    at = action_moment(ctx, args.at)
    data = _show_dict(ctx, args.id, at)
    emit_one(data, args.format)
    return 0


def _cancel_ids(value: str | None) -> list[int] | None:
    if value is None:
        return None
    try:
        ids = [int(x) for x in value.split(",") if x.strip()]
    except ValueError:
        raise UsageError(_("--cancel: subscription ids separated by commas, e.g. 12,15"))\
            from None
    if not ids:
        raise UsageError(_("--cancel: name at least one subscription id"))
    return ids


def groups_downgrade(args, ctx) -> int:
    from core.services import groups

    at = action_moment(ctx, args.at)
    cancel = _cancel_ids(args.cancel)
    if args.preview:
        p = groups.preview_downgrade(ctx, args.id, args.to, cancel=cancel, now=at)
    else:
        p = groups.downgrade(ctx, args.id, args.to, cancel=cancel, now=at)
    if args.json:
        emit_one(p, "json")
        return 2 if args.preview and p.refusal else 0
    from core.i18n import format_money

    if p.refusal:
        print(_("Refused: {why}").format(why=p.refusal))
    for line in p.lines:
        if line.cancel:
            print(_("  ends subscription {id} ({seats} seats) on {at}; still invoiced: "
                    "{amount}").format(id=line.subscription_id, seats=line.seats,
                                       at=line.expires.isoformat() if line.expires else "-",
                                       amount=format_money(line.remaining_amount,
                                                           line.currency)))
        else:
            print(_("  keeps subscription {id} ({seats} seats)").format(
                id=line.subscription_id, seats=line.seats))
    for loser in p.losing:
        print(_("  {name} <{email}> loses access on {at}").format(
            name=loser.name, email=loser.email,
            at=loser.loses_access_at.isoformat() if loser.loses_access_at else "-"))
    if p.offline_at:
        print(_("  the group goes offline on {at}").format(at=p.offline_at.isoformat()))
    print(_("Seats: {total} → {after} ({used} in use).").format(
        total=p.seats_total, after=p.seats_after, used=p.seats_used))
    return 2 if args.preview and p.refusal else 0


def groups_reactivate(args, ctx) -> int:
    from core.services import groups

    g = groups.reactivate(ctx, args.id, now=action_moment(ctx, args.at))
    _print_group(ctx, g.id, None, args.json)
    return 0


def groups_list(args, ctx) -> int:
    from core.limits import INT32_MAX
    from core.schemas.common import Window
    from core.services import groups

    if not 1 <= args.limit <= 500:
        raise UsageError(_("--limit: between 1 and 500"))
    if args.after is not None and not 0 <= args.after <= INT32_MAX:
        raise UsageError(_("--after: not a group id"))
    filters = {"product": args.product, "leader": args.leader, "full": args.full,
               "over_quota": args.over_quota,
               "no_live_subscription": args.no_live_subscription}
    window = Window(after=(args.after,) if args.after else None, limit=args.limit)
    rows = groups.list_groups(ctx, filters, window)
    emit([r.model_dump(exclude={"key"}) for r in rows], LIST_COLUMNS, args.format)
    return 0


__all__ = ["register"]
