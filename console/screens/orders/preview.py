"""The lines a preview shows: what an order creates, what cancelling or refunding ends (every
date and amount from the services, which ask the billing engine)."""

from __future__ import annotations

from core.i18n import _, format_money, format_short_date, format_short_datetime


def _access_line(a) -> str:
    end = format_short_date(a.ends_at) if a.ends_at else _("no end")
    return _("{product} · {offer}: {n} of {total} lessons, {start} – {end}").format(
        product=a.product_name, offer=a.offer_name, n=a.lessons_in_tariff,
        total=a.lesson_count, start=format_short_date(a.starts_at), end=end)


def order_preview_lines(p) -> list[str]:
    """"+ Product" / pay: the total, the access, the subscription and its first invoices."""
    lines = [_("Total {total} (VAT {vat})").format(total=format_money(p.total, p.currency),
                                                  vat=format_money(p.vat_amount, p.currency))]
    if p.status == "pending":
        lines.append(_("Pending: nothing is created until the order is paid; then:"))
    for a in p.accesses:
        lines.append(_("Access: {what}").format(what=_access_line(a)))
    for s in p.subscriptions:
        lines.append(_("Subscription: {plan}").format(plan=s.plan_name)
                     + (" · " + _("trial until {date}").format(
                         date=format_short_date(s.trial_end)) if s.trial_end else ""))
        if s.due_now:
            lines.append(_("Paid by the order: {invoices}").format(invoices=" · ".join(
                f"{format_short_date(i.issued)} {format_money(i.amount, i.currency)}"
                for i in s.due_now)))
        else:
            lines.append(_("Nothing is invoiced at the start."))
        if s.upcoming:
            lines.append(_("Next invoices: {invoices}").format(invoices=" · ".join(
                f"{format_short_date(i.issued)} {format_money(i.amount, i.currency)}"
                for i in s.upcoming)))
    return lines


def end_preview_lines(p) -> list[str]:
    """Cancel / refund: the products and lessons lost, the subscriptions and their last
    invoice, the amount refunded."""
    lines = []
    if not p.accesses and not p.subscriptions:
        lines.append(_("Nothing was created by this order; nothing is lost."))
    for a in p.accesses:
        lines.append(_("Access lost {at}: {what}").format(
            at=format_short_datetime(p.at), what=_access_line(a)))
    for s in p.subscriptions:
        line = _("Subscription {plan} ends {date}").format(
            plan=s.plan_name, date=format_short_date(s.expires) if s.expires else "—")
        if s.last_invoice is not None:
            line += " · " + _("last invoice {date} {amount}").format(
                date=format_short_date(s.last_invoice.issued),
                amount=format_money(s.last_invoice.amount, s.last_invoice.currency))
        lines.append(line)
    if p.refund_amount:
        lines.append(_("Refund: {amount}").format(
            amount=format_money(p.refund_amount, p.currency)))
    return lines
