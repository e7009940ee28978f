"""`?`/F1: every key of the screen underneath, with what it does.

Only Kontor's own bindings are listed (those declared by a class in `console.`), for the focused
widget, its containers, the screen and the app; Textual's internal keys (a table's cursor keys,
scroll keys) are left out. A key that does nothing right now (e.g. `u` undo a cancellation on an
active subscription) is still listed, marked as not available now.
"""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from core.i18n import N_, _

# Kept out even when declared by Kontor: the palette and quit are on the "Global" line.
HIDDEN_ACTIONS = {"command_palette", "quit", "help", "dismiss", "app.focus_next"}

# The name a person knows a screen by, for screens that have no title of their own.
SCREEN_NAMES = {
    "PlanForm": N_("Plan"), "ContactForm": N_("Contact"), "OperatorForm": N_("Operator"),
    "NewSubscriptionForm": N_("New subscription"), "ChangePlanForm": N_("Change plan"),
    "FilterPanel": N_("Filter"), "SortPicker": N_("Sort"), "ColumnsPicker": N_("Columns"),
    "ExportDialog": N_("Export"), "ConfirmDialog": N_("Confirm"),
    "SaveViewDialog": N_("Save view"), "ViewsDialog": N_("Views"),
    "ContactCard": N_("Contact"), "SubscriptionScreen": N_("Subscription"),
    "ContactsScreen": N_("Contacts"), "PlanListScreen": N_("Plans"),
    "OperatorsScreen": N_("Operators"), "SettingsScreen": N_("Settings"),
    "SubscriptionsScreen": N_("Subscriptions"), "PlanVersionsScreen": N_("Plan versions"),
}


def screen_name(screen: Screen) -> str:
    """"Plan", not "PlanForm": a known name, else the screen's own title, else its class
    name without the Screen/Form/Dialog suffix."""
    cls = type(screen).__name__
    if cls in SCREEN_NAMES:
        return _(SCREEN_NAMES[cls])
    if screen.title and screen.title != screen.app.title:
        return str(screen.title)
    for suffix in ("Screen", "Form", "Dialog"):
        if cls.endswith(suffix) and cls != suffix:
            return cls[: -len(suffix)]
    return cls


def _own_bindings(node) -> list[Binding]:
    """The bindings declared by the Kontor classes in `node`'s MRO (not Textual's)."""
    found: list[Binding] = []
    for cls in type(node).__mro__:
        if not cls.__module__.startswith("console."):
            continue
        declared = cls.__dict__.get("BINDINGS")
        if declared:
            found += list(Binding.make_bindings(declared))
    return found


def _chain(screen: Screen) -> list:
    """The focused widget and its ancestors up to the screen, then the app."""
    nodes = []
    node = screen.focused
    while node is not None and node is not screen:
        nodes.append(node)
        node = node.parent
    return [*nodes, screen, screen.app]


def _available(node, binding: Binding) -> bool:
    """What `check_action` says now (False/None: the key does nothing at the moment)."""
    from textual.actions import ActionError, parse

    try:
        namespace, name, parameters = parse(binding.action)
    except ActionError:
        return True
    target = {"app": node.app, "screen": node.screen}.get(namespace, node)
    return bool(target.check_action(name, parameters))


def describe_bindings(screen: Screen) -> list[tuple[str, str]]:
    """(keys, description) of every Kontor key of `screen` and its focused widget; one not
    available right now says so."""
    seen: dict[str, list[str]] = {}
    unavailable: set[str] = set()
    taken: set[str] = set()  # a key bound nearer the focus hides the same key further out
    for node in _chain(screen):
        for binding in _own_bindings(node):
            desc = binding.tooltip or binding.description
            if not desc or binding.action in HIDDEN_ACTIONS or binding.key in taken:
                continue
            taken.add(binding.key)
            label = screen.app.get_key_display(binding)
            keys = seen.setdefault(desc, [])
            if label not in keys:
                keys.append(label)
            if not _available(node, binding):
                unavailable.add(desc)
            else:
                unavailable.discard(desc)
    rows = []
    for desc, keys in seen.items():
        text = desc + ("  (" + _("not available now") + ")" if desc in unavailable else "")
        rows.append((" / ".join(keys), text))
    return rows


def global_line() -> str:
    from console.areas import help_line

    return _("Global: {areas} · ctrl+p or : commands · F1 or ? help · ctrl+q quit").format(
        areas=help_line())


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", _("Close"))]

    def __init__(self, title: str, rows: list[tuple[str, str]]):
        super().__init__()
        self.title_text, self.rows = title, rows

    def compose(self) -> ComposeResult:
        width = max((len(k) for k, _d in self.rows), default=4) + 2
        lines = [f"[b]{escape(self.title_text)}[/b]", ""]
        lines += [escape(f"{k.ljust(width)}{d}") for k, d in self.rows]
        lines += ["", escape(global_line())]
        with VerticalScroll(id="help"):
            yield Static("\n".join(lines), markup=True)
