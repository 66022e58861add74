"""Dependencies point one way: states <- workflow.domain <- workflow (store, services,
admin) <- timers, web; only the CLI wires web and timers together."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB_STACK = {"flask", "werkzeug", "flask_login", "flask_wtf", "jinja2", "markupsafe"}
#: Outside the domain, workflow may use Werkzeug's password hashing, nothing else of it.
WEB_BUT_HASHING = {*(WEB_STACK - {"werkzeug"}), *(f"werkzeug.{m}" for m in (
    "wrappers", "exceptions", "routing", "serving", "datastructures", "http", "test"))}
#: For each package (or subpackage), the modules it may not import (and their submodules).
FORBIDDEN = {
    "states": {"sqlalchemy", "alembic", "apscheduler", "workflow", "timers", "web",
               "complaints", *WEB_STACK},
    "workflow/domain": {"sqlalchemy", "alembic", "psycopg", "apscheduler", "workflow.store",
                        "workflow.services", "workflow.admin", "workflow.settings", "timers",
                        "web", "complaints", *WEB_STACK},
    "workflow/store": {"apscheduler", "workflow.services", "workflow.admin", "timers", "web",
                       "complaints", *WEB_BUT_HASHING},
    "workflow/services": {"apscheduler", "workflow.admin", "timers", "web", "complaints",
                          *WEB_BUT_HASHING},
    "workflow/admin": {"apscheduler", "timers", "web", "complaints", *WEB_BUT_HASHING},
    "workflow": {"apscheduler", "timers", "web", "complaints", *WEB_BUT_HASHING},
    "timers": {"web", "complaints", "workflow.admin", *WEB_STACK},
    "web": {"timers", "apscheduler", "complaints"},
}
EXEMPT = {"complaints/cli.py", "complaints/__main__.py"}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports by absolute name (`from a.b import c` gives a.b and
    a.b.c: c may be a module)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def breaks(module: str, forbidden: set[str]) -> bool:
    """Whether `module` is one of `forbidden` or inside one of them."""
    return any(module == f or module.startswith(f + ".") for f in forbidden)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_nothing_its_layer_may_not_depend_on(package):
    files = [p for p in (ROOT / package).rglob("*.py")
             if str(p.relative_to(ROOT)) not in EXEMPT]
    assert files, f"{package}/ has no modules"
    bad = {str(p.relative_to(ROOT)): sorted(m for m in imported_modules(p)
                                            if breaks(m, FORBIDDEN[package]))
           for p in files}
    assert {f: mods for f, mods in bad.items() if mods} == {}


def test_the_scan_sees_imports_inside_functions_and_submodules(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from flask import Flask\n    import timers.worker\n"
                      "from workflow import store\n")
    names = imported_modules(module)
    assert {"flask", "timers.worker", "workflow.store"} <= names
    assert breaks("workflow.store", {"workflow.store"}) and breaks("flask.json", {"flask"})
    assert not breaks("workflow.storehouse", {"workflow.store"})
