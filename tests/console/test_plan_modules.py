"""The plan editor is split by purpose, and its modules do not import the history screen
(the old plan_form ↔ plan_versions cycle)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_no_plan_editor_module_imports_the_version_history():
    modules = sorted((ROOT / "console/screens/plan").glob("*.py"))
    assert {m.stem for m in modules} >= {"fields", "form", "new_version", "delete"}
    for module in modules:
        assert "console.screens.plan_versions" not in _imports(module), module.name


def test_the_timeline_widget_and_the_fields_know_no_screen():
    assert not any(m.startswith("console.screens")
                   for m in _imports(ROOT / "console/widgets/contract_timeline.py"))
    assert not any(m.startswith("console.screens") and m != "console.screens.plan"
                   for m in _imports(ROOT / "console/screens/plan/fields.py"))
    assert not (ROOT / "console/screens/plan_form.py").exists()
