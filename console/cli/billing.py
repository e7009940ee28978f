"""`kontor billing run`, `kontor simulate`, `kontor subscriptions …`, `kontor invoices …`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime

from console.cli.contract import UsageError, action_moment, add_at, add_format, parse_moment, plain
from console.cli.output import emit, emit_one, header, table_cell
from core.i18n import _
from core.limits import INT32_MAX, MAX_SIMULATION_YEARS

SUB_COLUMNS = ("id", "contact_id", "plan_handle", "plan_version", "state", "quantity",
               "start", "next_invoice_at", "expires")
INV_COLUMNS = ("number", "subscription_id", "kind", "issued", "period_start", "period_end",
               "amount", "vat_amount", "currency", "state")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("billing", help=_("billing run"))
    verbs = p.add_subparsers(dest="verb", required=True)
    run = verbs.add_parser("run", help=_("create every invoice due up to a date (idempotent)"))
    run.add_argument("--until", required=True,
                     help=_("ISO date (its whole day in the account zone) or date-time"))
    run.add_argument("--json", action="store_true", help=_("print a JSON summary"))
    run.add_argument("--chunk", type=int, default=2000,
                     help=_("subscriptions per transaction (default 2000)"))
    add_at(run)
    run.set_defaults(run=billing_run)

    sim = sub.add_parser("simulate", help=_("bill a plan forward without a database"))
    sim.add_argument("--plan", required=True, help=_("plan JSON (Reepay plan object)"))
    sim.add_argument("--start", required=True, help=_("ISO date-time of the subscription start"))
    sim.add_argument("--until", help=_("ISO date (inclusive) or date-time; default one year"))
    sim.add_argument("--quantity", type=int)
    sim.add_argument("--cancel-at", help=_("ISO date-time of a cancellation request"))
    sim.add_argument("--tz", default=None, help=_("account time zone (default Europe/Berlin)"))
    sim.add_argument("--no-trial", action="store_true")
    sim.add_argument("--json", action="store_true", help=_("print the engine's JSON"))
    sim.set_defaults(run=simulate, needs_db=False)

    p = sub.add_parser("subscriptions", help=_("subscriptions"))
    verbs = p.add_subparsers(dest="verb", required=True)
    c = verbs.add_parser("create", help=_("subscribe a contact to a plan"))
    c.add_argument("--contact", type=int, required=True)
    c.add_argument("--plan", required=True, help=_("plan handle (its newest version)"))
    c.add_argument("--start", help=_("ISO date-time (default now)"))
    c.add_argument("--quantity", type=int)
    c.add_argument("--amount", type=int, help=_("per-unit price overriding the plan amount"))
    c.add_argument("--no-trial", action="store_true")
    c.add_argument("--no-setup-fee", action="store_true")
    c.add_argument("--preview", action="store_true",
                   help=_("show the first invoices, trial end and first period; save nothing"))
    c.add_argument("--json", action="store_true",
                   help=_("print JSON (the subscription with the invoices created)"))
    add_at(c)
    c.set_defaults(run=subscriptions_create)
    ls = verbs.add_parser("list")
    ls.add_argument("--contact", type=int)
    ls.add_argument("--state", action="append")
    ls.add_argument("--limit", type=int, default=50)
    add_format(ls)
    ls.set_defaults(run=subscriptions_list)
    show = verbs.add_parser("show")
    show.add_argument("id", type=int)
    add_format(show)
    show.set_defaults(run=subscriptions_show)
    cancel = verbs.add_parser("cancel", help=_("cancel; --preview shows the effect only"))
    cancel.add_argument("id", type=int)
    add_at(cancel, _("ISO date-time of the request, the moment of the action (default now)"))
    cancel.add_argument("--preview", action="store_true")
    cancel.set_defaults(run=subscriptions_cancel)
    for verb, fn in (("uncancel", subscriptions_uncancel), ("expire", subscriptions_expire),
                     ("hold", subscriptions_hold), ("reactivate", subscriptions_reactivate)):
        v = verbs.add_parser(verb)
        v.add_argument("id", type=int)
        add_at(v)
        v.set_defaults(run=fn)
    ch = verbs.add_parser("change-plan", help=_("move to another plan"))
    ch.add_argument("id", type=int)
    ch.add_argument("--plan", required=True)
    ch.add_argument("--timing", choices=("renewal", "immediate"), default="renewal")
    ch.add_argument("--compensation", choices=("none", "prorated_credit"), default="none")
    add_at(ch)
    ch.set_defaults(run=subscriptions_change_plan)

    p = sub.add_parser("invoices", help=_("invoices"))
    verbs = p.add_subparsers(dest="verb", required=True)
    ls = verbs.add_parser("list")
    ls.add_argument("--subscription", type=int)
    ls.add_argument("--contact", type=int)
    add_format(ls)
    ls.set_defaults(run=invoices_list)
    show = verbs.add_parser("show", help=_("one invoice"))
    show.add_argument("number")
    add_format(show)
    show.set_defaults(run=invoices_show)
    for verb, fn in (("pay", invoices_pay), ("fail", invoices_fail)):
        v = verbs.add_parser(verb, help=_("record a payment") if verb == "pay"
                             else _("record a failed payment"))
        v.add_argument("number")
        add_at(v)
        v.set_defaults(run=fn)


# -- helpers ---------------------------------------------------------------------------------


def _datetime(value: str | None, what: str) -> datetime | None:
    return parse_moment(value, what)


def _in_range(value, what: str):
    """`value` unless its date lies outside DATE_MIN..DATE_MAX (core/limits.py)."""
    from core.limits import date_in_range, date_range_message

    if value is not None and not date_in_range(value):
        raise UsageError(f"{what}: {date_range_message()}")
    return value


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _until(value: str | None, what: str = "--until") -> date | datetime | None:
    if value is None:
        return None
    try:
        if "T" in value or " " in value.strip():
            return datetime.fromisoformat(value)
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(_("{what}: not an ISO date (2026-05-31) or date-time: {value}").format(
            what=what, value=value)) from None


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def _dump(model) -> None:
    print(json.dumps(plain(model), indent=2, ensure_ascii=False))


# -- billing run -----------------------------------------------------------------------------


def billing_run(args, ctx) -> int:
    from core.services.billing_run import run_billing

    try:
        until = _in_range(_until(args.until), "--until")
    except UsageError as exc:
        print(_("kontor: {error}").format(error=exc), file=sys.stderr)
        return 2
    if args.chunk < 1:
        print(_("kontor: --chunk must be at least 1"), file=sys.stderr)
        return 2
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if tty:
            print(f"\r{done:>10,} / {total:,} " + _("subscriptions"), end="", file=sys.stderr,
                  flush=True)

    summary = run_billing(ctx, until, chunk=args.chunk, progress=progress,
                          now=action_moment(ctx, args.at))
    if tty:
        print(file=sys.stderr)
    if args.json:
        print(json.dumps(plain(summary), indent=2))
    else:
        print(_("{invoices} invoices ({periods} periods, {fees} setup fees) for {subs} "
                "subscriptions up to {upto}; {moves} version moves; {s} s").format(
            invoices=summary.invoices, periods=summary.periods, fees=summary.setup_fees,
            subs=summary.subscriptions, upto=summary.upto.isoformat(),
            moves=summary.version_moves, s=summary.seconds))
    return 0


# -- simulate (no database) ------------------------------------------------------------------


def simulate(args, _ctx) -> int:
    """Exit 2 with a message on stderr for a bad plan, date or zone; never opens a database."""
    try:
        result = _simulate(args)
    except UsageError as exc:
        print(_("kontor: {error}").format(error=exc), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_json_dict(), indent=2, ensure_ascii=False))
    else:
        _print_simulation(result)
    return 0


def _simulate(args):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from core.billing import DEFAULT_TZ, BillingError
    from core.billing import simulate as engine_simulate
    from core.errors import ValidationFailed
    from core.schemas.plans import from_reepay

    tz = args.tz or DEFAULT_TZ
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(_("--tz: unknown time zone {tz}").format(tz=tz)) from None
    try:
        with open(args.plan, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise UsageError(_("cannot read {path}: {error}").format(
            path=args.plan, error=exc.strerror)) from None
    except json.JSONDecodeError as exc:
        raise UsageError(_("{path} is not valid JSON: {error}").format(
            path=args.plan, error=exc)) from None
    try:
        _inp, terms = from_reepay(data)
    except ValidationFailed as exc:
        raise UsageError(_("{path}: invalid plan: {errors}").format(
            path=args.plan, errors="; ".join(f"{k}: {v}" for k, v in exc.fields.items()))
        ) from None
    start = _in_range(_datetime(args.start, "--start"), "--start")
    until = _in_range(_until(args.until), "--until")
    cancel_at = _in_range(_datetime(args.cancel_at, "--cancel-at"), "--cancel-at")
    if args.quantity is not None and not 1 <= args.quantity <= INT32_MAX:
        raise UsageError(_("--quantity must be between 1 and {n}").format(n=INT32_MAX))
    if until is not None:
        from core.billing import until_moment
        from core.billing.periods import instant, zone

        if until_moment(until, tz) < instant(start, zone(tz)):
            raise UsageError(_("--until lies before --start"))
        first = start.date() if isinstance(start, datetime) else start
        last = until.date() if isinstance(until, datetime) else until
        if last > _add_years(first, MAX_SIMULATION_YEARS):
            raise UsageError(_("--until: a simulation spans at most {n} years from "
                               "--start").format(n=MAX_SIMULATION_YEARS))
    try:
        return engine_simulate(terms, start, until, tz=tz, quantity=args.quantity,
                               cancel_at=cancel_at, no_trial=args.no_trial)
    except BillingError as exc:
        raise UsageError(str(exc)) from None


def _print_simulation(result) -> None:
    from core.i18n import format_money

    data = result.to_json_dict()
    sub = data["subscription"]
    for key in ("start", "trial_start", "trial_end", "first_period_start", "cancelled_at",
                "expires", "state"):
        if sub[key] is not None:
            value = (table_cell("state", sub[key]) if key == "state"
                     else _local_moment(sub[key]))
            print(f"{header(key):<20} {value}")
    print()
    rows = []
    for inv in result.invoices:
        d = inv.to_json_dict(result.final_state.tz)
        period = (_period(d["period_start"], d["period_end"])
                  if d["period_start"] else _("(setup fee)"))
        rows.append({"issued": _local_moment(d["issued"]), "period": period,
                     "lines": " + ".join(table_cell("kind", line["kind"])
                                         + (" (" + _("prorated") + ")" if line["prorated"]
                                            else "") for line in d["lines"]),
                     "amount": format_money(inv.amount, inv.currency),
                     "vat": format_money(inv.vat_amount, inv.currency)})
    emit(rows, ("issued", "period", "lines", "amount", "vat"), "table")
    if not rows:
        print(_("(no invoices)"))


def _local_moment(iso: str) -> str:
    """An ISO moment of the simulation (in the plan's zone) as the locale writes it there."""
    from core.i18n import format_short_date, format_short_datetime

    moment = datetime.fromisoformat(iso)
    if len(iso) == 10:
        return format_short_date(moment.date())
    return format_short_datetime(moment.replace(tzinfo=None))  # already in its own zone


def _period(start, end) -> str:
    """"14.03.2026 – 01.04.2026": a period's first and last moment, as local days."""
    from core.i18n import format_short_date

    def day(v) -> str:
        return format_short_date(v if isinstance(v, date) and not isinstance(v, datetime)
                                 else (datetime.fromisoformat(v) if isinstance(v, str)
                                       else v).date())
    return f"{day(start)} – {day(end)}"


# -- subscriptions ---------------------------------------------------------------------------


def _sub_row(s) -> dict:
    d = s.model_dump()  # emit writes JSON/CSV plain and formats the table for people
    return {k: d.get(k) for k in SUB_COLUMNS}


def subscriptions_create(args, ctx) -> int:
    from core.services import subscriptions

    data = {"contact_id": args.contact, "plan": args.plan,
            "start": _datetime(args.start, "--start"), "quantity": args.quantity,
            "amount": args.amount, "no_trial": args.no_trial, "no_setup_fee": args.no_setup_fee}
    now = action_moment(ctx, args.at)
    if args.preview:
        p = subscriptions.preview_subscription(ctx, data, now=now)
        if args.json:
            _dump(p)
            return 0
        print(_("Preview (nothing saved): {plan} v{version}").format(plan=p.plan_name,
                                                                      version=p.plan_version))
        for key in ("start", "trial_end", "first_period_start", "first_period_end", "expires"):
            value = getattr(p, key)
            if value is not None:
                from core.i18n import format_short_datetime

                local = value.astimezone(_zone(p.timezone)).replace(tzinfo=None)
                print(f"{header(key):<20} {format_short_datetime(local)}")
        _print_invoice_rows(_("Invoiced on saving:"), p.due_now, p.timezone)
        _print_invoice_rows(_("Next invoices:"), p.upcoming, p.timezone)
        return 0
    s = subscriptions.create_subscription(ctx, data, now=now)
    if args.json:
        _dump(s)
        return 0
    print(_("Subscription {id} created: {plan} v{version}, {state}.").format(
        id=s.id, plan=s.plan_name, version=s.plan_version, state=table_cell("state", s.state)))
    _print_invoice_rows(_("Invoices created:"), s.invoices, s.timezone, numbered=True)
    return 0


def _zone(tz: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


def _print_invoice_rows(title: str, rows, tz: str, *, numbered: bool = False) -> None:
    print()
    print(title)
    if not rows:
        print("  " + _("(none)"))
        return
    from core.i18n import format_money, format_short_datetime

    z = _zone(tz)
    out = []
    for inv in rows:
        period = (_period(inv.period_start.astimezone(z), inv.period_end.astimezone(z))
                  if inv.period_start and inv.period_end else _("(setup fee)"))
        row = {"issued": format_short_datetime(inv.issued.astimezone(z).replace(tzinfo=None)),
               "period": period, "amount": format_money(inv.amount, inv.currency)}
        if numbered:
            row = {"number": inv.number, **row}
        out.append(row)
    emit(out, (("number",) if numbered else ()) + ("issued", "period", "amount"), "table")


def subscriptions_list(args, ctx) -> int:
    from core.schemas.common import Window
    from core.services import subscriptions

    rows = subscriptions.list_subscriptions(
        ctx, contact_id=args.contact, states=tuple(args.state or ()) or None,
        window=Window(limit=max(1, min(args.limit, 500))))
    emit([_sub_row(s) for s in rows], SUB_COLUMNS, args.format)
    return 0


def subscriptions_show(args, ctx) -> int:
    from core.services import subscriptions

    emit_one(subscriptions.get_subscription(ctx, args.id), args.format)
    return 0


def subscriptions_cancel(args, ctx) -> int:
    from core.services import subscriptions

    at = action_moment(ctx, args.at)
    if args.preview:
        _dump(subscriptions.preview_cancellation(ctx, args.id, at=at))
    else:
        _dump(subscriptions.cancel_subscription(ctx, args.id, at=at, now=at))
    return 0


def _state_action(service):
    def run(args, ctx) -> int:
        now = action_moment(ctx, args.at)
        _dump(service(ctx, args.id, now=now))
        return 0
    return run


def subscriptions_uncancel(args, ctx) -> int:
    from core.services import subscriptions

    return _state_action(subscriptions.uncancel_subscription)(args, ctx)


def subscriptions_expire(args, ctx) -> int:
    from core.services import subscriptions

    return _state_action(subscriptions.expire_subscription)(args, ctx)


def subscriptions_hold(args, ctx) -> int:
    from core.services import subscriptions

    return _state_action(subscriptions.put_on_hold)(args, ctx)


def subscriptions_reactivate(args, ctx) -> int:
    from core.services import subscriptions

    return _state_action(subscriptions.reactivate_subscription)(args, ctx)


def subscriptions_change_plan(args, ctx) -> int:
    from core.services import subscriptions

    at = action_moment(ctx, args.at)
    # A script means the subscription as it is now: its current version.
    version = subscriptions.get_subscription(ctx, args.id).row_version
    _dump(subscriptions.change_plan(ctx, args.id, plan=args.plan, timing=args.timing,
                                    compensation=args.compensation, at=at, now=at,
                                    expected_row_version=version))
    return 0


# -- invoices --------------------------------------------------------------------------------


def invoices_list(args, ctx) -> int:
    from core.services import invoices

    rows = [i.model_dump() for i in invoices.list_invoices(
        ctx, subscription_id=args.subscription, contact_id=args.contact)]
    emit(rows, INV_COLUMNS, args.format)
    return 0


def invoices_show(args, ctx) -> int:
    from core.services import invoices

    emit_one(invoices.get_invoice(ctx, args.number), args.format)
    return 0


def invoices_pay(args, ctx) -> int:
    from core.services import invoices

    _dump(invoices.record_payment(ctx, args.number, at=_datetime(args.at, "--at")))
    return 0


def invoices_fail(args, ctx) -> int:
    from core.services import invoices

    _dump(invoices.record_failed_payment(ctx, args.number, at=_datetime(args.at, "--at")))
    return 0
