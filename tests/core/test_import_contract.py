"""The import contract (issue 9): screens above widgets above services above schemas and the
pure engines; core/billing and core/lessons never import SQLAlchemy (nor the UI); no cycles
among console modules.

Read from the source (ast), every import counted, also the ones inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    package = _module_name(path).rsplit(".", 0 if path.name == "__init__.py" else 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return found


def _modules(top: str) -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in (ROOT / top).rglob("*.py")}


def _layer(module: str) -> int | None:
    """Higher may import lower, never the reverse."""
    for prefix, level in (("console.screens", 4), ("console.widgets", 3),
                          ("core.services", 2), ("core.schemas", 1), ("core.billing", 0),
                          ("core.lessons", 0)):
        if module == prefix or module.startswith(prefix + "."):
            return level
    return None


def test_layers_import_only_downwards():
    graph = _modules("console") | _modules("core")
    wrong = []
    for module, imports in graph.items():
        mine = _layer(module)
        if mine is None:
            continue
        for target in imports:
            theirs = _layer(target)
            if theirs is not None and theirs > mine:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


# The pure engines: dates and terms in, answers out; no database, no UI.
PURE_MODULES = ("core/billing", "core/lessons.py")
FORBIDDEN_IN_PURE = ("sqlalchemy", "textual", "core.models", "core.services", "core.db",
                     "console")


def _pure_modules() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for top in PURE_MODULES:
        path = ROOT / top
        files = [path] if path.suffix == ".py" else list(path.rglob("*.py"))
        assert files, f"{top} has moved: update PURE_MODULES"
        found |= {_module_name(p): _imports(p) for p in files}
    return found


def test_the_pure_engines_never_import_sqlalchemy_or_the_ui():
    wrong = [f"{m} imports {t}" for m, imports in _pure_modules().items()
             for t in imports for bad in FORBIDDEN_IN_PURE
             if t == bad or t.startswith(bad + ".")]
    assert not wrong, wrong


# Known cycles still to break (none left: splitting the plan form broke the last one).
PENDING_CYCLES: set[str] = set()


def test_no_import_cycles_among_console_modules():
    graph = _modules("console")
    names = set(graph)
    edges = {m: {t for t in imports if t in names and t != m} for m, imports in graph.items()}
    # A package's __init__ re-exporting its own submodule is not a cycle.
    for m in edges:
        edges[m] = {t for t in edges[m] if not t.startswith(m + ".")}
    cycles, state = [], {}

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m, [m])
    cycles = [c for c in cycles if c not in PENDING_CYCLES]
    assert not cycles, "\n".join(cycles)
