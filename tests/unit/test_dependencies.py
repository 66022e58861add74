"""Dependencies point one way: states <- workflow <- timers, web; only the CLI wires both."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "states": {"sqlalchemy", "alembic", "flask", "werkzeug", "apscheduler", "workflow", "timers",
               "web", "complaints"},
    "workflow": {"flask", "apscheduler", "timers", "web", "complaints"},
    "timers": {"web", "flask", "complaints"},
    "web": {"timers", "apscheduler", "complaints"},
}
EXEMPT = {"complaints/cli.py", "complaints/__main__.py"}


def imported_roots(path: Path) -> set[str]:
    """The top-level package of every module a file imports (absolute imports)."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_nothing_its_layer_may_not_depend_on(package):
    files = [p for p in (ROOT / package).rglob("*.py")
             if str(p.relative_to(ROOT)) not in EXEMPT]
    if package in ("states", "workflow"):
        assert files, f"{package}/ has no modules"
    bad = {str(p.relative_to(ROOT)): sorted(imported_roots(p) & FORBIDDEN[package])
           for p in files}
    assert {f: mods for f, mods in bad.items() if mods} == {}


def test_the_scan_sees_imports_inside_functions_too(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from flask import Flask\n    import timers.worker\n")
    assert imported_roots(module) == {"flask", "timers"}
