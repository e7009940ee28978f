"""Create or edit a plan, sectioned like Reepay's form (seed "Pläne").

Inputs appear only where they apply; ctrl+s saves. On an existing plan a change to fields
editable in place is saved on the version; any other change leads into "Create new version"
(`console.screens.plan.new_version`). The contract timeline under the contract terms is drawn
from `core.billing.contract_preview` as the admin types (`console.widgets.contract_timeline`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import (
    Checkbox,
    Input,
    Label,
    Select,
    Static,
    TextArea,
)

from console.calls import run_service, show_error
from console.keys import ready_for_keys
from console.screens.plan.fields import (
    INTERVAL_UNIT,
    ROW_OF,
    SECTIONS,
    SHORT_SECTION,
    SPECS,
    WRITE,
    Spec,
    applies,
    changed_fields,
    field_label,
    fraction_to_percent,
    parse_values,
    raw_values,
    state_label,
    timeline_preview,
)
from console.screens.plan.new_version import (
    NewVersionDialog,
)
from console.widgets.confirm import ConfirmDialog
from console.widgets.contract_timeline import ContractTimeline, sample_start
from console.widgets.footer import KontorFooter
from console.widgets.styled_once import StyledOnce
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.i18n import N_, _, ngettext
from core.schemas.plans import (
    AffectedSubscribers,
    PlanInput,
    PlanVersionResult,
    needs_new_version,
    validate_plan,
)
from core.schemas.plans import Plan as PlanOut
from core.services import plans as plan_service
from core.services import settings as settings_service
from core.services.context import ServiceContext

# -- widgets ----------------------------------------------------------------------------------


class PlanRow(Vertical):
    """Label, control (and unit), the error line under it. Ids: field-/input-/error-<name>.

    The error line is mounted with the row's first error: a form of ~40 rows mounts ~40
    widgets fewer when it opens (issue 9: screens open at once)."""

    def __init__(self, spec: Spec, raw: dict[str, Any], *, options=None, disabled=False):
        # Hidden from the start when the field does not apply: a row hidden after mounting
        # restyles all its widgets again (the form's on_mount only corrects differences).
        hidden = "" if applies(spec.name, raw) else " -hidden"
        super().__init__(id=f"field-{spec.name}", classes="plan-row" + hidden)
        self.spec, self.raw, self.options, self.locked = spec, raw, options, disabled
        self._controls: list[Widget] | None = None

    def compose(self) -> ComposeResult:
        spec, value = self.spec, self.raw.get(self.spec.name)
        name = spec.name
        with Horizontal(classes="plan-line"):
            yield Label(_(spec.label), classes="plan-label", id=f"label-{name}")
            if spec.kind == "multiline":
                yield TextArea(str(value or ""), id=f"input-{name}", compact=True,
                               disabled=self.locked, placeholder=_("optional"))
            elif spec.kind == "select":
                options = self.options if self.options is not None else [
                    (_(label), v) for v, label in spec.options]
                yield Select(options, value=value if value is not None else Select.NULL,
                             allow_blank=spec.blank, prompt=_("— none —"),
                             id=f"input-{name}", compact=True, disabled=self.locked)
            elif spec.kind == "check":
                yield Checkbox(_("yes") if value else _("no"), bool(value), id=f"input-{name}",
                               compact=True, disabled=self.locked)
            else:
                yield Input(str(value or ""), placeholder=_(spec.placeholder) if spec.placeholder
                            else "", id=f"input-{name}", compact=True, disabled=self.locked,
                            select_on_focus=False)
            if spec.kind == "length":
                yield Select([(_(label), v) for v, label in spec.options],
                             value=self.raw.get(spec.unit) or spec.options[0][0],
                             allow_blank=False, id=f"input-{spec.unit}", compact=True,
                             classes="plan-unit", disabled=self.locked)

    def controls(self) -> list[Widget]:
        # Composed once and never replaced: found once (a query per keystroke per row was
        # a third of a keystroke's cost in a ~40-row form).
        if self._controls is None:
            out = [self.query_one(f"#input-{self.spec.name}")]
            if self.spec.unit:
                out.append(self.query_one(f"#input-{self.spec.unit}"))
            self._controls = out
        return list(self._controls)

    def set_error(self, message: str | None) -> None:
        shown = self.query(".plan-error")
        if not shown:
            if not message:
                return
            self.mount(Static("", classes="plan-error -empty", id=f"error-{self.spec.name}"))
        err = self.query_one(".plan-error", Static)
        err.update(escape("✗ " + message) if message else "")
        err.set_class(not message, "-empty")

    @property
    def error(self) -> str:
        shown = self.query(".plan-error")
        if not shown or shown.first().has_class("-empty"):
            return ""
        return str(shown.first(Static).render())


def control_value(w: Widget) -> Any:
    if isinstance(w, TextArea):
        return w.text
    if isinstance(w, Select):
        return None if w.value is Select.NULL else w.value
    return w.value


def set_control_value(w: Widget, value: Any) -> None:
    if isinstance(w, TextArea):
        w.text = str(value or "")
    elif isinstance(w, Select):
        if value is None:
            w.clear()
        else:
            w.value = value
    elif isinstance(w, Checkbox):
        w.value = bool(value)
    else:
        w.value = "" if value is None else str(value)


class PlanForm(StyledOnce, Screen[PlanOut | None]):
    """ctrl+s saves, esc cancels (asking when something changed), F2–F9 jump to a section."""

    DEFAULT_CSS = """
    PlanForm { layout: vertical; }
    PlanForm #plan-title { height: 1; padding: 0 1; text-style: bold; }
    PlanForm #plan-nav { height: 1; padding: 0 1; }
    PlanForm #form-banner { height: auto; padding: 0 1; text-style: bold; }
    PlanForm #form-banner.-empty { display: none; }
    PlanForm #plan-body { height: 1fr; padding: 0 1; }
    PlanForm .plan-section { height: auto; margin-bottom: 1; }
    PlanForm .plan-heading { height: 1; text-style: bold; }
    PlanForm PlanRow { height: auto; }
    PlanForm PlanRow.-hidden { display: none; }
    PlanForm .plan-line { height: auto; }
    PlanForm .plan-label { width: 20; }
    PlanForm PlanRow Input { width: 1fr; }
    PlanForm PlanRow Select { width: 1fr; }
    PlanForm PlanRow Select.plan-unit { width: 14; margin-left: 1; }
    PlanForm PlanRow TextArea { width: 1fr; height: 3; }
    PlanForm PlanRow Checkbox { width: auto; }
    PlanForm PlanRow .plan-error { padding-left: 20; height: auto; color: $error; }
    PlanForm PlanRow .plan-error.-empty { display: none; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", _("Save"), priority=True),
        Binding("escape", "cancel", _("Cancel")),
        Binding("ctrl+n", "next_section", _("Next section"), priority=True),
        Binding("ctrl+o", "versions", _("Versions")),
        Binding("ctrl+r", "reload", _("Reload"), show=False),
        *[Binding(key, f"section('{section}')", _("Go to: {section}").format(
            section=_(title)), show=False, priority=True)
          for section, title, key in SECTIONS],
    ]

    def __init__(self, ctx: ServiceContext, plan: PlanOut | None, *, read_only: bool = False,
                 versions: Callable[[Screen, ServiceContext, str], None] | None = None,
                 start: datetime | None = None):
        super().__init__()
        self.ctx, self.plan = ctx, plan
        # ctrl+o opens the version history through `versions` (the plan list passes
        # `plan_versions.open_versions`): the form never imports the history screen.
        self.versions = versions
        self.show_versions = versions is not None
        self.start = start or sample_start()
        self.read_only_reason = self._read_only_reason(read_only)
        self.keys_ready = False  # until mounted and focused (console/keys.py)
        self.saving = False
        self._initial: dict[str, Any] = {}
        self._timeline_timer = None
        self._dunning_options: list[tuple[str, str]] = []
        self.conflicted = False
        self.current_section = "info"
        self._visible_for: dict[str, Any] | None = None  # the values the rows were shown for
        self._rows: list[PlanRow] = []
        self._interval_label: str | None = None
        self._nav_text: str | None = None
        # The first focus goes straight where it belongs: focusing the scroll body first (the
        # default, "*") and then the name restyles every widget of the form twice.
        self.AUTO_FOCUS = "#plan-body" if self.read_only_reason else "#input-name"

    def _read_only_reason(self, requested: bool) -> str | None:
        plan = self.plan
        if requested and plan is not None:
            return _("Version {v} ({state}), read only.").format(v=plan.version,
                                                                 state=state_label(plan.state))
        if not self.ctx.can(WRITE):
            return _("Read only: plans are changed by admins (your role: {role}).").format(
                role=self.ctx.role)
        # What the state allows is core's answer (core/rules/plans.py), only looked up here.
        return plan.allowed_actions.get("edit") if plan is not None else None

    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        raw = raw_values(self.plan)
        yield Static(self._title(), id="plan-title", markup=False)
        yield Static("", id="plan-nav")
        yield Static("", id="form-banner", classes="-empty")
        with VerticalScroll(id="plan-body"):
            for section, title, key in SECTIONS:
                with Vertical(id=f"section-{section}", classes="plan-section"):
                    yield Static(f"── {_(title)} ({key.upper()}) " + "─" * 30,
                                 classes="plan-heading", markup=False)
                    for spec in SPECS:
                        if spec.section != section:
                            continue
                        if spec.create_only and self.plan is not None:
                            continue
                        options = None
                        if spec.name == "dunning_plan":
                            current = raw.get("dunning_plan")
                            options = [(current, current)] if current else []
                        locked = self.read_only or (spec.name == "currency"
                                                    and self.plan is not None)
                        yield PlanRow(spec, raw, options=options, disabled=locked)
                    if section == "contract":
                        yield ContractTimeline(id="contract-timeline")
        yield KontorFooter()

    def _title(self) -> str:
        p = self.plan
        if p is None:
            return _("New plan")
        return _("Plan {name} ({handle}) · version {v} · {state}").format(
            name=p.name, handle=p.handle, v=p.version, state=state_label(p.state))

    def on_mount(self) -> None:
        self._apply_visibility()
        self._nav("info")
        if self.read_only_reason:
            self._banner(self.read_only_reason)
            self.query_one("#plan-body").focus()
        else:
            self.query_one("#input-name").focus()
        run_service(self, plan_service.list_dunning_plans, self.ctx,
                    on_done=self._dunning_plans, on_error=lambda exc: None, group="dunning")
        if self.plan is None:  # a new plan starts with the account's currency and VAT
            run_service(self, settings_service.list_settings, self.ctx,
                        on_done=self._account_defaults, on_error=lambda exc: None,
                        group="settings")
        self._initial = self.raw()
        self._refresh_timeline()
        ready_for_keys(self)

    def _account_defaults(self, settings) -> None:
        values = {s.key: s.value for s in settings}
        untouched = self.raw() == self._initial
        for name, value in (("currency", values.get("default_currency")),
                            ("vat", fraction_to_percent(values.get("default_vat")) or "")):
            control = self.query_one(f"#input-{name}", Input)
            if value and not control.value.strip() or name == "currency" and untouched:
                control.value = value
        if untouched:
            self._initial = self.raw()

    def _dunning_plans(self, plans) -> None:
        select = self.query_one("#input-dunning_plan", Select)
        current = control_value(select)
        self._dunning_options = [(f"{d.name} ({d.handle})", d.handle) for d in plans]
        self._set_dunning(select, current)

    def _set_dunning(self, select: Select, value: str | None) -> None:
        options = list(self._dunning_options)
        if value and value not in {v for _label, v in options}:
            options.append((value, value))
        select.set_options(options)
        if value:
            select.value = value

    # -- values -----------------------------------------------------------------------------

    def rows(self) -> list[PlanRow]:
        # The rows are composed with the form and never remounted: found once.
        if not self._rows:
            self._rows = list(self.query(PlanRow))
        return list(self._rows)

    def raw(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for row in self.rows():
            for control in row.controls():
                out[control.id.removeprefix("input-")] = control_value(control)
        if self.plan is not None:
            out["handle"] = self.plan.handle
        return out

    @property
    def dirty(self) -> bool:
        return self.raw() != self._initial

    def fill(self, plan: PlanOut) -> None:
        raw = raw_values(plan)
        for row in self.rows():
            for control in row.controls():
                name = control.id.removeprefix("input-")
                if name == "dunning_plan":
                    self._set_dunning(control, raw.get(name))
                else:
                    set_control_value(control, raw.get(name))
        self._apply_visibility()

    # -- showing and hiding ---------------------------------------------------------------

    def _apply_visibility(self, raw: dict[str, Any] | None = None) -> None:
        raw = self.raw() if raw is None else raw
        if raw == self._visible_for:
            return
        self._visible_for = raw
        for row in self.rows():
            row.set_class(not applies(row.spec.name, raw), "-hidden")
        kind = raw.get("schedule_type") or "month_startdate"
        unit = _(INTERVAL_UNIT.get(kind, N_("months")))
        # Only what changes is updated: a label's update lays the whole form out again.
        label = self.query("#label-interval_length")
        text = _("Every n {unit}").format(unit=unit)
        if label and self._interval_label != text:
            self._interval_label = text
            label.first(Label).update(text)
        fixed_day = self.query("#input-schedule_fixed_day")
        placeholder = _("1 = Monday … 7 = Sunday") if kind == "weekly_fixedday" else _("1–28")
        if fixed_day and fixed_day.first(Input).placeholder != placeholder:
            fixed_day.first(Input).placeholder = placeholder

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(TextArea.Changed)
    def _changed(self, event) -> None:
        if isinstance(event, Checkbox.Changed):
            event.checkbox.label = _("yes") if event.value else _("no")
        if not self.is_mounted:
            return
        raw = self.raw()
        if raw == self._visible_for:  # e.g. the Changed events of the controls' first values
            return
        self._apply_visibility(raw)
        if self._timeline_timer is not None:
            self._timeline_timer.stop()
        self._timeline_timer = self.set_timer(0.2, self._refresh_timeline)

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def _refresh_timeline(self) -> None:
        self._timeline_timer = None
        run_service(self, timeline_preview, self.raw(), self.plan, self.start,
                    on_done=self._show_timeline, group="timeline", exclusive=True)

    def _show_timeline(self, result) -> None:
        widget = self.query_one("#contract-timeline", ContractTimeline)
        if isinstance(result, dict):
            problems = "; ".join(f"{field_label(k)}: {v}" for k, v in result.items())
            widget.wait(_("The timeline waits for valid billing and contract fields — "
                          "{problems}").format(problems=problems))
        else:
            widget.show(result)

    # -- sections ---------------------------------------------------------------------------

    def _nav(self, current: str) -> None:
        self.current_section = current
        parts = []
        for section, _title, key in SECTIONS:
            label = f"{key.upper()} {_(SHORT_SECTION[section])}"
            parts.append(f"[reverse]▸{label}[/reverse]" if section == current else label)
        text = " ".join(parts)
        if text != self._nav_text:  # an update lays the whole form out again
            self._nav_text = text
            self.query_one("#plan-nav", Static).update(text)

    def on_descendant_focus(self, event) -> None:
        node = event.widget
        while node is not None and node is not self:
            if isinstance(node, Vertical) and node.has_class("plan-section"):
                self._nav(node.id.removeprefix("section-"))
                return
            node = node.parent

    def action_section(self, section: str) -> None:
        target = self.query_one(f"#section-{section}")
        body = self.query_one("#plan-body", VerticalScroll)
        for row in target.query(PlanRow):
            if row.has_class("-hidden"):
                continue
            control = row.controls()[0]
            if control.focusable:
                control.focus(scroll_visible=False)
                break
        self._nav(section)
        body.scroll_to_widget(target, top=True, animate=False)

    def action_next_section(self) -> None:
        keys = [s for s, _t, _k in SECTIONS]
        i = keys.index(self.current_section)
        self.action_section(keys[(i + 1) % len(keys)])

    def action_versions(self) -> None:
        if self.plan is not None and self.versions is not None:
            self.versions(self, self.ctx, self.plan.handle)

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "versions":
            return self.plan is not None and self.show_versions
        if action == "save":
            return None if self.read_only else True
        if action == "reload":
            return self.conflicted
        return True

    # -- errors and banner ----------------------------------------------------------------

    def _banner(self, text: str | None) -> None:
        banner = self.query_one("#form-banner", Static)
        banner.update(escape(text or ""))
        banner.set_class(not text, "-empty")

    def show_errors(self, errors: dict[str, str]) -> None:
        by_row: dict[str, list[str]] = {}
        rest = []
        shown_rows = {r.spec.name for r in self.rows() if not r.has_class("-hidden")}
        for key, message in errors.items():
            row = ROW_OF.get(key)
            if row in shown_rows:
                by_row.setdefault(row, []).append(message)
            else:
                rest.append(message if key == "_" else f"{field_label(key)}: {message}")
        first = None
        for row in self.rows():
            messages = by_row.get(row.spec.name)
            row.set_error(" ".join(messages) if messages else None)
            if messages and first is None:
                first = row
        self._banner("\n".join(rest) if rest else None)
        if first is not None:
            bad = next((k for k in errors if ROW_OF.get(k) == first.spec.name), first.spec.name)
            controls = first.controls()
            control = controls[1] if first.spec.unit == bad and len(controls) > 1 else controls[0]
            control.focus()
            self.query_one("#plan-body", VerticalScroll).scroll_to_widget(first, animate=False)

    # -- saving -----------------------------------------------------------------------------

    def collect(self) -> tuple[dict[str, Any], PlanInput | None, dict[str, str]]:
        """What the form would save, the validated input, and every message (form + core)."""
        data, errors = parse_values(self.raw(), self.plan)
        try:
            inp, _terms = validate_plan({k: v for k, v in data.items() if k not in errors})
        except ValidationFailed as exc:
            return data, None, {**exc.fields, **errors}
        return data, (None if errors else inp), errors

    def action_save(self) -> None:
        if self.read_only or self.saving:
            return
        data, inp, errors = self.collect()
        if errors or inp is None:
            self.show_errors(errors)
            return
        self.show_errors({})
        if self.plan is None:
            self.saving = True
            run_service(self, plan_service.create_plan, self.ctx, data,
                        on_done=self._saved, on_error=self._failed)
            return
        changes = changed_fields(self.plan, inp)
        if not changes:
            self.notify(_("Nothing changed."))
            return
        if not needs_new_version(changes):
            self.saving = True
            run_service(self, plan_service.edit_plan, self.ctx, self.plan.handle, changes,
                        expected_row_version=self.plan.row_version,
                        on_done=self._saved, on_error=self._failed)
            return
        self.saving = True
        plan = self.plan

        def counted(affected: AffectedSubscribers) -> None:
            self.saving = False
            self.app.push_screen(NewVersionDialog(plan, changes, affected),
                                 callback=lambda scope: scope and self._new_version(
                                     changes, scope))

        run_service(self, plan_service.count_affected_subscribers, self.ctx, plan.handle,
                    on_done=counted, on_error=self._failed)

    def _new_version(self, changes: dict[str, Any], scope: str) -> None:
        self.saving = True
        run_service(self, plan_service.create_plan_version, self.ctx, self.plan.handle,
                    changes, scope=scope, expected_row_version=self.plan.row_version,
                    on_done=self._versioned, on_error=self._failed)

    def _versioned(self, result: PlanVersionResult) -> None:
        self.saving = False
        old = ", ".join(str(v) for v in result.superseded) or "—"
        message = _("Version {v} is active; superseded: {old}.").format(
            v=result.plan.version, old=old)
        if result.subscribers_moving:
            message += " " + ngettext(
                "{n} subscriber moves at the end of the current period.",
                "{n} subscribers move at the end of their current period.",
                result.subscribers_moving).format(n=result.subscribers_moving)
        self.notify(message, title=_("New version"))
        self.dismiss(result.plan)

    def _saved(self, plan: PlanOut) -> None:
        self.saving = False
        self.notify(_("Saved {name} ({handle}), version {v}.").format(
            name=plan.name, handle=plan.handle, v=plan.version))
        self.dismiss(plan)

    def _failed(self, exc: Exception) -> None:
        self.saving = False
        if isinstance(exc, ValidationFailed):
            self.show_errors(exc.fields)
        elif isinstance(exc, Conflict):
            self.conflicted = True
            self.refresh_bindings()
            self._banner("⚠ " + str(exc) + "\n" + _(
                "ctrl+r loads the saved version (your typing is discarded); esc cancels."))
        elif isinstance(exc, PermissionDenied):
            self._banner("⚠ " + str(exc))
            show_error(self, exc)
        else:
            show_error(self, exc)

    def action_reload(self) -> None:
        if self.plan is None:
            return

        def loaded(plan: PlanOut) -> None:
            self.plan, self.conflicted = plan, False
            self.read_only_reason = self._read_only_reason(False)
            self.fill(plan)
            self.query_one("#plan-title", Static).update(self._title())
            self._initial = self.raw()
            self.show_errors({})
            self._banner(self.read_only_reason)
            self.refresh_bindings()
            self._refresh_timeline()
            self.notify(_("Loaded the saved version {v}.").format(v=plan.version))

        run_service(self, plan_service.get_plan, self.ctx, self.plan.handle, on_done=loaded)

    def action_cancel(self) -> None:
        if self.read_only or not self.dirty:
            self.dismiss(None)
            return
        self.app.push_screen(ConfirmDialog(_("Discard your changes?"),
                                           _("Nothing of them has been saved."),
                                           yes=_("Discard")),
                             callback=lambda yes: yes and self.dismiss(None))



# -- entry points for the plan list -------------------------------------------------------------


def open_plan_form(screen: Screen, ctx: ServiceContext, plan: PlanOut | None,
                   on_saved: Callable[[PlanOut], None] | None = None, *,
                   read_only: bool = False,
                   versions: Callable[[Screen, ServiceContext, str], None] | None = None) -> None:
    """Push the form for a new plan (None) or a stored version; `on_saved` gets the result;
    `versions` opens a plan's history (ctrl+o)."""

    def done(result: PlanOut | None) -> None:
        if result is not None and on_saved is not None:
            on_saved(result)

    screen.app.push_screen(PlanForm(ctx, plan, read_only=read_only, versions=versions),
                           callback=done)
