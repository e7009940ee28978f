"""Plans: create, edit in place, new versions (moving subscribers), delete, Reepay import."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.billing import SubscriptionState, version_switch_at
from core.billing.terms import PlanTerms
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import _
from core.models import DunningPlan, Plan, Subscription, utcnow
from core.models.subscriptions import LIVE_STATES
from core.rules import plans as rules
from core.schemas.common import Window
from core.schemas.plans import (
    PLAN_FIELDS,
    PLAN_INPUT_FIELDS,
    AffectedSubscribers,
    DunningPlanInput,
    ImportedPlan,
    ImportReport,
    ParsedPlan,
    PlanInput,
    PlanVersionResult,
    input_errors,
    kontor_rule_fields,
    parse_reepay_plan,
    to_terms,
    validate_plan,
)
from core.schemas.plans import DunningPlan as DunningPlanOut
from core.schemas.plans import Plan as PlanOut
from core.services import _uow, audit
from core.services.context import READ, ServiceContext, require

WRITE = "plans.write"
SCOPES = ("new_only", "new_and_existing")


# -- conversions -----------------------------------------------------------------------------


def plan_out(p: Plan) -> PlanOut:
    data = {c: getattr(p, c) for c in PLAN_INPUT_FIELDS}
    data.update(id=p.id, version=p.version, state=p.state, created=p.created, deleted=p.deleted,
                updated_at=p.updated_at, updated_by=p.updated_by, row_version=p.row_version,
                entitlements=list(p.entitlements or []), description=p.description or "",
                allowed_actions=rules.allowed_actions(p.state, version=p.version))
    try:
        return PlanOut.model_validate(data)
    except ValidationError:
        # A row stored before the text guards (an old import with ESC or U+202E in a name)
        # is still readable: shown without the characters the guards now refuse.
        return PlanOut.model_validate({k: _readable(v, k == "description")
                                       for k, v in data.items()})


def _readable(value: Any, multiline: bool) -> Any:
    from core.limits import BIDI_CONTROLS, strip_controls

    if isinstance(value, str):
        return "".join(ch for ch in strip_controls(value, keep_multiline=multiline)
                       if ch not in BIDI_CONTROLS)
    if isinstance(value, list):
        return [_readable(v, False) for v in value]
    return value


def plan_terms(p: Plan, amount: int | None = None) -> PlanTerms:
    """The engine's terms of a stored plan version (with a subscription's amount override)."""
    return to_terms(plan_out(p), amount)


def _apply(p: Plan, inp: PlanInput) -> None:
    for name in PLAN_INPUT_FIELDS:
        value = getattr(inp, name)
        if name == "vat":
            value = format(value, "f")  # never "1E-7": the column holds a plain decimal
        elif name == "entitlements":
            value = list(value)
        setattr(p, name, value)


def _snapshot(p: Plan) -> dict[str, Any]:
    out = plan_out(p).model_dump(mode="json", exclude={"updated_at", "updated_by",
                                                       "row_version"})
    return out


# -- reading ---------------------------------------------------------------------------------


def _versions(session: Session, handle: str) -> list[Plan]:
    return list(session.scalars(select(Plan).where(Plan.handle == handle)
                                .order_by(Plan.version)))


def _current(session: Session, handle: str) -> Plan:
    p = session.scalar(select(Plan).where(Plan.handle == handle)
                       .order_by(Plan.version.desc()).limit(1))
    if p is None:
        raise NotFound(_("No plan with handle {handle}.").format(handle=handle))
    return p


def get_plan(ctx: ServiceContext, handle: str, version: int | None = None) -> PlanOut:
    """A version of a plan; the newest one when `version` is None."""
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        if version is None:
            return plan_out(_current(session, handle))
        p = session.scalar(select(Plan).where(Plan.handle == handle, Plan.version == version))
        if p is None:
            raise NotFound(_("Plan {handle} has no version {version}.").format(
                handle=handle, version=version))
        return plan_out(p)


def get_plan_by_id(ctx: ServiceContext, plan_id: int) -> PlanOut:
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        p = session.get(Plan, plan_id)
        if p is None:
            raise NotFound(_("Plan {id} does not exist.").format(id=plan_id))
        return plan_out(p)


def list_plan_versions(ctx: ServiceContext, handle: str) -> list[PlanOut]:
    """Every version of a handle, oldest first."""
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        versions = _versions(session, handle)
        if not versions:
            raise NotFound(_("No plan with handle {handle}.").format(handle=handle))
        return [plan_out(p) for p in versions]


def list_plans(ctx: ServiceContext, *, states: tuple[str, ...] | None = None,
               handle_prefix: str | None = None, window: Window | None = None
               ) -> list[PlanOut]:
    """Newest created first, keyset on (created, id). The full filtered list is a later issue."""
    window = window or Window()
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        q = select(Plan)
        if states:
            q = q.where(Plan.state.in_(states))
        if handle_prefix:
            q = q.where(Plan.handle >= handle_prefix, Plan.handle < handle_prefix + "\uffff")
        if window.after is not None:
            created, pid = window.after
            q = q.where((Plan.created < created) | ((Plan.created == created) & (Plan.id < pid)))
        q = q.order_by(Plan.created.desc(), Plan.id.desc()).limit(window.limit)
        if window.offset:
            q = q.offset(window.offset)
        return [plan_out(p) for p in session.scalars(q)]


# -- writing ---------------------------------------------------------------------------------


def _check_dunning_plan(session: Session, handle: str | None) -> None:
    if handle and session.scalar(select(DunningPlan.id).where(DunningPlan.handle == handle)
                                 ) is None:
        raise ValidationFailed({"dunning_plan": _("No dunning plan with handle {h}.").format(
            h=handle)})


def create_plan(ctx: ServiceContext, data: dict[str, Any], *,
                now: datetime | None = None) -> PlanOut:
    """Version 1 of a new handle, active. Without `vat`/`currency` the plan takes the
    account's `default_vat`/`default_currency` (settings)."""
    if "vat" not in data or "currency" not in data:
        from core.services.settings import account_settings

        with ctx.db.reading() as session:
            defaults = account_settings(session)
        data = {"vat": defaults["default_vat"], "currency": defaults["default_currency"],
                **data}
    inp, _terms = validate_plan(data)
    now = now or utcnow()
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        if session.scalar(select(Plan.id).where(Plan.handle == inp.handle).limit(1)):
            raise ValidationFailed({"handle": _(
                "A plan with this handle exists; create a new version of it instead.")})
        _check_dunning_plan(session, inp.dunning_plan)
        p = Plan(version=1, state="active", created=now, updated_at=now,
                 updated_by=ctx.operator)
        _apply(p, inp)
        session.add(p)
        try:
            session.flush()
        except IntegrityError:
            raise ValidationFailed({"handle": _("A plan with this handle exists.")}) from None
        audit.record(session, ctx, "plan", p.id, "create", None, _snapshot(p))
        return plan_out(p)


def _current_for(session: Session, handle: str, lock: bool) -> Plan | None:
    q = select(Plan).where(Plan.handle == handle).order_by(Plan.version.desc()).limit(1)
    if lock:
        q = q.with_for_update()
    return session.scalar(q.execution_options(populate_existing=True))


KIND = _uow.Kind(
    model=Plan, entity="plan", lookup=_current_for,
    not_found=lambda handle: _("No plan with handle {handle}.").format(handle=handle),
    changed=lambda by, at: _("This plan was changed by {by} at {at} — reload to see their "
                             "change.").format(by=by, at=at),
    meanwhile=lambda: _("This plan was changed by someone else meanwhile — reload."))


def _load_current_for_write(session: Session, handle: str, expected_row_version: int | None,
                            *, required: bool = True) -> Plan:
    """The newest version of `handle`, under the row lock, at `expected_row_version`
    (mandatory for a form's edit; a state action — delete, undelete — may pass None)."""
    return _uow.load_for_write(session, KIND, handle, expected_row_version, lock=True,
                               required=required)


def _flush(session: Session) -> None:
    _uow.flush(session, KIND)


def edit_plan(ctx: ServiceContext, handle: str, changes: dict[str, Any], *,
              expected_row_version: int, now: datetime | None = None) -> PlanOut:
    """Change the fields that need no new version on the newest version of `handle`;
    `expected_row_version` is the version the form showed (Conflict when it changed)."""
    now = now or utcnow()
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        p = _load_current_for_write(session, handle, expected_row_version)
        rules.check("edit", p.state, version=p.version)
        stored = plan_out(p)
        current = stored.model_dump(include=set(PLAN_INPUT_FIELDS))
        refused = {k: _("Changing this needs a new version of the plan.")
                   for k, v in changes.items()
                   if k in PLAN_FIELDS and PLAN_FIELDS[k].change != "in_place"
                   and v != current.get(k)}
        unknown = {k: _("Unknown field.") for k in changes if k not in PLAN_INPUT_FIELDS}
        if refused or unknown:
            raise ValidationFailed({**refused, **unknown})
        inp, _terms = validate_plan({**current, **changes},
                                    tolerate=kontor_rule_fields(stored))
        _check_dunning_plan(session, inp.dunning_plan)
        before = _snapshot(p)
        _apply(p, inp)
        _uow.save(session, ctx, KIND, p, "update", before, _snapshot(p), now=now)
        return plan_out(p)


def _live_subscriptions(session: Session, plan_ids: list[int]):
    return session.execute(
        select(Subscription.id, Subscription.plan_id, Subscription.amount,
               Subscription.billing_state, Subscription.row_version)
        .where(Subscription.plan_id.in_(plan_ids), Subscription.state.in_(LIVE_STATES))
        .order_by(Subscription.id))


def count_affected_subscribers(ctx: ServiceContext, handle: str) -> AffectedSubscribers:
    """How many live subscriptions a new version with scope new_and_existing would move."""
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        rows = session.execute(
            select(Plan.version, func.count(Subscription.id))
            .join(Subscription, Subscription.plan_id == Plan.id)
            .where(Plan.handle == handle, Subscription.state.in_(LIVE_STATES))
            .group_by(Plan.version)).all()
        by_version = {v: n for v, n in rows}
        return AffectedSubscribers(total=sum(by_version.values()), by_version=by_version)


def create_plan_version(ctx: ServiceContext, handle: str, changes: dict[str, Any], *,
                        scope: str, expected_row_version: int,
                        now: datetime | None = None) -> PlanVersionResult:
    """A new version of `handle` with `changes` applied; older active versions are superseded.

    scope "new_only": existing subscribers keep their version. "new_and_existing": each live
    subscriber moves at the start of its next period (the engine's version rule).
    """
    if scope not in SCOPES:
        raise ValidationFailed({"scope": _("Choose new_only or new_and_existing.")})
    now = now or utcnow()
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        current = _load_current_for_write(session, handle, expected_row_version)
        rules.check("new_version", current.state, version=current.version)
        stored = plan_out(current)
        base = stored.model_dump(include=set(PLAN_INPUT_FIELDS))
        if "handle" in changes and changes["handle"] != handle:
            raise ValidationFailed({"handle": _("A new version keeps the handle.")})
        if "currency" in changes and str(changes["currency"]).upper() != current.currency:
            raise ValidationFailed({"currency": _("A new version keeps the currency.")})
        inp, _new_terms = validate_plan({**base, **changes},
                                        tolerate=kontor_rule_fields(stored))
        _check_dunning_plan(session, inp.dunning_plan)
        versions = _versions(session, handle)
        superseded = []
        for old in versions:
            if old.state == "active":
                old.state, old.updated_at, old.updated_by = "superseded", now, ctx.operator
                superseded.append(old.version)
        p = Plan(version=versions[-1].version + 1, state="active", created=now,
                 updated_at=now, updated_by=ctx.operator)
        _apply(p, inp)
        session.add(p)
        _flush(session)
        moving = 0
        if scope == "new_and_existing":
            moving = _schedule_moves(session, ctx, versions, p, now)
        audit.record(session, ctx, "plan", p.id, "create_version",
                     {"version": current.version},
                     {**_snapshot(p), "scope": scope, "superseded": superseded,
                      "subscribers_moving": moving})
        return PlanVersionResult(plan=plan_out(p), superseded=superseded,
                                 subscribers_moving=moving)


def _schedule_moves(session: Session, ctx: ServiceContext, versions: list[Plan], new: Plan,
                    now: datetime) -> int:
    """Give every live subscriber of the older versions a pending move to `new` (bulk)."""
    terms_of = {v.id: plan_terms(v) for v in versions}
    params = []
    for row in _live_subscriptions(session, list(terms_of)):
        state = SubscriptionState.from_json_dict(row.billing_state)
        switch = version_switch_at(terms_of[row.plan_id], state, now)
        if switch is None:  # it ends before its next period: nothing to move
            continue
        params.append({"b_id": row.id, "b_rv": row.row_version, "pending_plan_id": new.id,
                       "pending_change_at": switch, "row_version": row.row_version + 1,
                       "updated_at": now, "updated_by": ctx.operator})
    if not params:
        return 0
    from sqlalchemy import bindparam

    stmt = (update(Subscription.__table__)
            .where(Subscription.__table__.c.id == bindparam("b_id"),
                   Subscription.__table__.c.row_version == bindparam("b_rv")))
    result = session.connection().execute(stmt, params)
    if session.get_bind().dialect.supports_sane_multi_rowcount and result.rowcount != len(
            params):
        raise Conflict(_("A subscriber was changed meanwhile — try again."))
    return len(params)


def _set_state(ctx: ServiceContext, handle: str, state: str, action: str,
               expected_row_version: int | None, now: datetime | None) -> PlanOut:
    now = now or utcnow()
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        p = _load_current_for_write(session, handle, expected_row_version, required=False)
        rules.check(action, p.state, version=p.version)
        before = {"state": p.state, "deleted": p.deleted and p.deleted.isoformat()}
        p.state = state
        p.deleted = now if state == "deleted" else None
        p.updated_at, p.updated_by = now, ctx.operator
        _flush(session)
        audit.record(session, ctx, "plan", p.id, action, before,
                     {"state": p.state, "deleted": p.deleted and p.deleted.isoformat()})
        return plan_out(p)


def delete_plan(ctx: ServiceContext, handle: str, *, expected_row_version: int | None = None,
                now: datetime | None = None) -> PlanOut:
    """Mark the plan deleted: existing subscriptions continue, new ones are refused."""
    return _set_state(ctx, handle, "deleted", "delete", expected_row_version, now)


def undelete_plan(ctx: ServiceContext, handle: str, *, expected_row_version: int | None = None,
                  now: datetime | None = None) -> PlanOut:
    return _set_state(ctx, handle, "active", "undelete", expected_row_version, now)


# -- dunning plans ---------------------------------------------------------------------------


def create_dunning_plan(ctx: ServiceContext, data: dict[str, Any]) -> DunningPlanOut:
    try:
        inp = DunningPlanInput.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(input_errors(exc)) from None
    if any(s < 1 for s in inp.steps) or inp.steps != sorted(inp.steps):
        raise ValidationFailed({"steps": _("Steps are days after the failure, ascending, "
                                           "each at least 1.")})
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        if session.scalar(select(DunningPlan.id).where(DunningPlan.handle == inp.handle)):
            raise ValidationFailed({"handle": _("A dunning plan with this handle exists.")})
        d = _new_dunning_plan(session, ctx, inp)
        return DunningPlanOut(id=d.id, handle=d.handle, name=d.name, steps=d.steps,
                              version=d.version)


def _new_dunning_plan(session: Session, ctx: ServiceContext, inp: DunningPlanInput
                      ) -> DunningPlan:
    now = utcnow()
    d = DunningPlan(handle=inp.handle, name=inp.name, steps=list(inp.steps), created_at=now,
                    updated_at=now, updated_by=ctx.operator)
    session.add(d)
    session.flush()
    audit.record(session, ctx, "dunning_plan", d.id, "create", None, inp.model_dump())
    return d


def list_dunning_plans(ctx: ServiceContext) -> list[DunningPlanOut]:
    with ctx.db.reading() as session:
        require(session, ctx, READ)
        return [DunningPlanOut(id=d.id, handle=d.handle, name=d.name, steps=d.steps,
                               version=d.version)
                for d in session.scalars(select(DunningPlan).order_by(DunningPlan.handle))]


# -- Reepay import ---------------------------------------------------------------------------


def _label(i: int, item: Any) -> str:
    handle = item.get("handle") if isinstance(item, dict) else None
    if isinstance(handle, str):
        from core.limits import strip_controls

        return f"plan[{i}] {strip_controls(handle)[:80]}"
    return f"plan[{i}]"


def import_plans(ctx: ServiceContext, payload: Any, *, now: datetime | None = None
                 ) -> ImportReport:
    """Import plan objects exactly as Reepay's API returns them, all or nothing.

    Every plan Reepay's API accepts is imported (strict JSON types, Reepay's ranges and
    enums; see `core.schemas.plans.parse_reepay_plan`); Kontor's own stricter rules, stripped
    control characters and fields Kontor does not know are reported per plan. Any real error
    rejects the whole import (ValidationFailed naming the plan and field); nothing is
    written. Handle, version, state, created and deleted are kept.
    """
    from core.services.settings import account_settings

    now = now or utcnow()
    if isinstance(payload, dict):
        items = [payload]
    elif isinstance(payload, list):
        items = payload
    else:
        raise ValidationFailed({"_": _("The file must hold a plan object or a list of plan "
                                       "objects.")})
    with ctx.db.reading() as session:
        require(session, ctx, WRITE)
        defaults = account_settings(session)
    errors: dict[str, str] = {}
    parsed: list[ParsedPlan] = []
    for i, item in enumerate(items):
        try:
            parsed.append(parse_reepay_plan(
                item, now=now, default_currency=defaults["default_currency"],
                default_vat=defaults["default_vat"]))
        except ValidationFailed as exc:
            errors[_label(i, item)] = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    seen: set[tuple[str, int]] = set()
    for p in parsed:
        key = (p.input.handle, p.version)
        if key in seen:
            errors[f"{p.input.handle} v{p.version}"] = _("appears twice in the file.")
        seen.add(key)
    if errors:
        raise ValidationFailed(errors)
    created_dunning: list[str] = []
    with ctx.db.transaction() as session:
        require(session, ctx, WRITE)
        existing = set()
        handles = sorted({p.input.handle for p in parsed})
        for start in range(0, len(handles), 500):
            existing.update((h, v) for h, v in session.execute(
                select(Plan.handle, Plan.version).where(
                    Plan.handle.in_(handles[start:start + 500]))))
        clashes = {f"{h} v{v}": _("exists already; nothing was imported.")
                   for h, v in sorted(seen & existing)}
        if clashes:
            raise ValidationFailed(clashes)
        known_dunning = set(session.scalars(select(DunningPlan.handle)))
        for parsed_plan in parsed:
            inp = parsed_plan.input
            if inp.dunning_plan and inp.dunning_plan not in known_dunning:
                # Reepay exports name the dunning plan by handle only; register it so the
                # plan keeps its reference (steps can be edited later).
                _new_dunning_plan(session, ctx, DunningPlanInput(
                    handle=inp.dunning_plan, name=inp.dunning_plan))
                known_dunning.add(inp.dunning_plan)
                created_dunning.append(inp.dunning_plan)
            p = Plan(version=parsed_plan.version, state=parsed_plan.state,
                     created=parsed_plan.created, deleted=parsed_plan.deleted,
                     updated_at=now, updated_by=ctx.operator)
            _apply(p, inp)
            session.add(p)
        session.flush()
        report = ImportReport(
            plans=[ImportedPlan(handle=p.input.handle, version=p.version, state=p.state,
                                ignored_fields=p.ignored_fields, warnings=p.warnings)
                   for p in parsed],
            ignored_fields=sorted({k for p in parsed for k in p.ignored_fields}),
            dunning_plans_created=created_dunning)
        audit.record(session, ctx, "plan", "*", "import", None,
                     {"plans": [f"{p.handle} v{p.version}" for p in report.plans],
                      "ignored_fields": report.ignored_fields,
                      "warnings": sum(len(p.warnings) for p in report.plans)})
        return report
