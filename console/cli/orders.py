"""`kontor orders create|show|pay|cancel|refund|list`: the services "+ Product" and the order
screen use (core/services/orders.py), under the CLI contract (console/cli/contract.py)."""

from __future__ import annotations

import argparse
import json

from console.cli.contract import UsageError, action_moment, add_at, add_format, plain
from console.cli.output import emit, emit_one
from core.i18n import _

LIST_COLUMNS = ("number", "ordered_at", "contact_name", "product_name", "total", "currency",
                "status")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("orders", help=_("orders: create, pay, cancel, refund, list"))
    verbs = p.add_subparsers(dest="verb", required=True)

    c = verbs.add_parser("create", help=_("order an offer for a contact"))
    c.add_argument("--contact", required=True, help=_("the contact's e-mail address or id"))
    c.add_argument("--offer", required=True, help=_("the offer's handle"))
    c.add_argument("--start", metavar="ISO",
                   help=_("the access start (default: the moment of the action)"))
    pay = c.add_mutually_exclusive_group()
    pay.add_argument("--paid", dest="payment", action="store_const", const="paid",
                     help=_("paid now (default): the access is created at once"))
    pay.add_argument("--pending", dest="payment", action="store_const", const="pending",
                     help=_("payment pending: nothing is created until `orders pay`"))
    pay.add_argument("--external", dest="payment", action="store_const", const="external",
                     help=_("a sale made elsewhere: counts as paid"))
    c.set_defaults(payment="paid")
    c.add_argument("--price", metavar="MAJOR",
                   help=_("a price overriding the offer's, in major units (49.90)"))
    c.add_argument("--comment", default="", help=_("an internal comment"))
    c.add_argument("--preview", action="store_true",
                   help=_("show what would be created (and the first invoices); save nothing"))
    c.add_argument("--json", action="store_true",
                   help=_('print {"order", "accesses", "subscriptions"} as JSON'))
    add_at(c)
    c.set_defaults(run=orders_create)

    show = verbs.add_parser("show", help=_("one order with its lines and payments"))
    show.add_argument("number")
    add_format(show)
    show.set_defaults(run=orders_show)

    for verb, text in (("pay", _("mark a pending order paid: its access is created")),
                       ("cancel", _("cancel an order: the access it created ends")),
                       ("refund", _("refund a paid order: the access it created ends"))):
        v = verbs.add_parser(verb, help=text)
        v.add_argument("number")
        v.add_argument("--preview", action="store_true",
                       help=_("show what would change; save nothing"))
        v.add_argument("--json", action="store_true", help=_("print JSON"))
        add_at(v)
        v.set_defaults(run=orders_action, action=verb)

    ls = verbs.add_parser("list", help=_("orders, newest first"))
    ls.add_argument("--status", choices=("pending", "paid", "cancelled", "refunded"))
    ls.add_argument("--from", dest="date_from", metavar="DATE",
                    help=_("ordered on or after this day (ISO date)"))
    ls.add_argument("--to", dest="date_to", metavar="DATE",
                    help=_("ordered on or before this day (ISO date)"))
    ls.add_argument("--product", help=_("the product's handle or id"))
    ls.add_argument("--contact", help=_("the contact's e-mail address or id"))
    ls.add_argument("--number", help=_("one order number"))
    ls.add_argument("--limit", type=int, default=50)
    add_format(ls)
    ls.set_defaults(run=orders_list)


def _number(value: str, what: str = "number") -> int:
    from core.limits import INT32_MAX

    try:
        n = int(str(value).strip())
    except ValueError:
        raise UsageError(_("{what}: not an order number: {value}").format(
            what=what, value=value)) from None
    if not 1 <= n <= INT32_MAX:
        raise UsageError(_("{what}: not an order number: {value}").format(
            what=what, value=value))
    return n


def _contact(ctx, ref: str, field: str = "contact") -> int:
    from core.errors import NotFound, ValidationFailed
    from core.services import orders

    try:
        return orders.find_contact_id(ctx, ref)
    except NotFound as exc:
        raise ValidationFailed({field: str(exc)}) from None


def _day(value: str | None, what: str):
    from datetime import date

    from core.limits import date_in_range, date_range_message

    if value is None:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(_("{what}: not an ISO date (2026-05-31): {value}").format(
            what=what, value=value)) from None
    if not date_in_range(day):
        raise UsageError(f"{what}: {date_range_message()}")
    return day


def _print_json(value) -> None:
    print(json.dumps(plain(value), indent=2, ensure_ascii=False))


def orders_create(args, ctx) -> int:
    from core.errors import ValidationFailed
    from core.money import parse_major
    from core.services import orders

    at = action_moment(ctx, args.at)
    start = action_moment(ctx, args.start, "--start")
    data = {"contact_id": _contact(ctx, args.contact), "offer": args.offer,
            "payment": args.payment, "start": start, "comment": args.comment}
    if args.price is not None:
        currency = orders.offer_currency(ctx, args.offer)
        try:
            data["price"] = parse_major(args.price, currency)
        except ValueError as exc:
            raise ValidationFailed({"price": str(exc)}) from None
    if args.preview:
        pv = orders.preview_order(ctx, data, now=at)
        if args.json:
            _print_json(pv)
        else:
            _print_preview(pv)
        return 0
    made = orders.create_order(ctx, data, now=at)
    if args.json:
        print(json.dumps({"order": made.order.number, "accesses": made.accesses,
                          "subscriptions": made.subscriptions}))
    else:
        print(_("Order {number} {status}: {accesses} access(es), {subs} subscription(s)")
              .format(number=made.order.number, status=made.order.status,
                      accesses=len(made.accesses), subs=len(made.subscriptions)))
    return 0


def _print_preview(pv) -> None:
    from core.i18n import format_money, format_short_datetime

    print(_("Total: {total}").format(total=format_money(pv.total, pv.currency)))
    for a in pv.accesses:
        end = format_short_datetime(a.ends_at) if a.ends_at else _("no end")
        print(_("Access: {product} ({offer}) from {start} to {end}").format(
            product=a.product_name, offer=a.offer_name,
            start=format_short_datetime(a.starts_at), end=end))
    for s in pv.subscriptions:
        print(_("Subscription: {plan}").format(plan=s.plan_name))
        for inv in s.due_now:
            print("  " + _("paid by the order: {date} {amount}").format(
                date=format_short_datetime(inv.issued),
                amount=format_money(inv.amount, inv.currency)))
        for inv in s.upcoming:
            print("  " + _("next invoice: {date} {amount}").format(
                date=format_short_datetime(inv.issued),
                amount=format_money(inv.amount, inv.currency)))


def orders_show(args, ctx) -> int:
    from core.services import orders

    emit_one(orders.get_order(ctx, _number(args.number)), args.format)
    return 0


def orders_action(args, ctx) -> int:
    from core.i18n import format_money, format_short_datetime
    from core.services import orders

    number = _number(args.number)
    at = action_moment(ctx, args.at)
    if args.preview:
        if args.action == "pay":
            pv = orders.preview_pay(ctx, number, at=at)
            if args.json:
                _print_json(pv)
            else:
                _print_preview(pv)
            return 0
        pv = orders.preview_end(ctx, number, args.action, at=at)
        if args.json:
            _print_json(pv)
            return 0
        print(_("Order {number} becomes {status}.").format(number=number, status=pv.status))
        for a in pv.accesses:
            print(_("Access lost: {product} ({offer}), {n} of {total} lessons").format(
                product=a.product_name, offer=a.offer_name, n=a.lessons_in_tariff,
                total=a.lesson_count))
        for s in pv.subscriptions:
            line = _("Subscription {id} ({plan}) ends {date}").format(
                id=s.id, plan=s.plan_name,
                date=format_short_datetime(s.expires) if s.expires else "")
            if s.last_invoice:
                line += "; " + _("last invoice {date} {amount}").format(
                    date=format_short_datetime(s.last_invoice.issued),
                    amount=format_money(s.last_invoice.amount, s.last_invoice.currency))
            print(line)
        if pv.refund_amount:
            print(_("Refund: {amount}").format(amount=format_money(pv.refund_amount,
                                                                   pv.currency)))
        return 0
    if args.action == "pay":
        made = orders.pay_order(ctx, number, at=at)
        out = {"order": made.order.number, "accesses": made.accesses,
               "subscriptions": made.subscriptions}
        status = made.order.status
    else:
        fn = orders.cancel_order if args.action == "cancel" else orders.refund_order
        order = fn(ctx, number, at=at)
        out = {"order": order.number, "status": order.status}
        status = order.status
    if args.json:
        print(json.dumps(out))
    else:
        print(_("Order {number} is {status}.").format(number=number, status=status))
    return 0


def orders_list(args, ctx) -> int:
    from core.schemas.common import Window
    from core.services import orders

    filters = {"status": args.status, "date_from": _day(args.date_from, "--from"),
               "date_to": _day(args.date_to, "--to")}
    if args.number is not None:
        filters["number"] = _number(args.number, "--number")
    if args.contact:
        filters["contact_id"] = _contact(ctx, args.contact)
    if args.product:
        from core.errors import NotFound, ValidationFailed

        try:
            filters["product_id"] = orders.find_product_id(ctx, args.product)
        except NotFound as exc:
            raise ValidationFailed({"product": str(exc)}) from None
    rows = orders.list_orders(ctx, filters, Window(limit=max(1, min(args.limit, 500))))
    emit([r.model_dump(exclude={"key"}) for r in rows], LIST_COLUMNS, args.format)
    return 0
