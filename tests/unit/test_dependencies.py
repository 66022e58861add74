"""Dependencies point one way: states <- workflow.domain <- workflow (store, services,
admin) <- timers, web, complaints; only the CLI wires web and timers together.

The adapters (web/ and the CLI in complaints/) reach the store only through the services:
every write is a service that opens its unit of work and commits, and every read goes
through the one read-only module `READS`. They never import `workflow.store` (but where
the app and the CLI build the runtime), never touch a connection and never commit; and
the web's modules import each other without a cycle."""
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
    "workflow/services": {"apscheduler", "timers", "web", "complaints", *WEB_BUT_HASHING},
    "workflow/admin": {"apscheduler", "timers", "web", "complaints", *WEB_BUT_HASHING},
    "workflow": {"apscheduler", "timers", "web", "complaints", *WEB_BUT_HASHING},
    "timers": {"web", "complaints", "workflow.admin", *WEB_STACK},
    "web": {"timers", "apscheduler", "complaints", "workflow.store"},
    "complaints": {"workflow.store"},
}
#: The one read-only module the adapters read through (and the services' own re-exports).
READS = "workflow.services.read"
#: Where the app and the CLI build the runtime: the only adapter files that may import
#: the store, and only its runtime.
BUILDS_THE_RUNTIME = {"web/__init__.py": {"workflow.store.runtime"},
                      "complaints/cli.py": {"workflow.store.runtime"}}
ADAPTERS = ("web", "complaints")


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


def layer_violations(root: Path, package: str) -> dict[str, list[str]]:
    """file -> the modules it imports that `package`'s layer may not depend on."""
    files = sorted((root / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    bad = {}
    for p in files:
        name = p.relative_to(root).as_posix()
        allowed = BUILDS_THE_RUNTIME.get(name, set())
        found = sorted(m for m in imported_modules(p)
                       if breaks(m, FORBIDDEN[package]) and not breaks(m, allowed))
        if found:
            bad[name] = found
    return bad


def adapter_violations(root: Path) -> dict[str, list[str]]:
    """file -> what it does that only a service may: commit, hold a connection (`.conn`,
    `.connect()`, `.reader()`), or open a unit of work that may write."""
    bad = {}
    for package in ADAPTERS:
        for p in sorted((root / package).rglob("*.py")):
            found = []
            for node in ast.walk(ast.parse(p.read_text("utf-8"), str(p))):
                if isinstance(node, ast.Attribute) and node.attr == "conn":
                    found.append(f"{node.lineno}: .conn")
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    if node.func.attr in ("commit", "connect", "reader"):
                        found.append(f"{node.lineno}: .{node.func.attr}()")
                    elif node.func.attr == "uow" and not any(
                            k.arg == "write" and isinstance(k.value, ast.Constant)
                            and k.value.value is False for k in node.keywords):
                        found.append(f"{node.lineno}: .uow() that may write")
            if found:
                bad[p.relative_to(root).as_posix()] = sorted(
                    found, key=lambda f: int(f.split(":")[0]))
    return bad


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_nothing_its_layer_may_not_depend_on(package):
    assert layer_violations(ROOT, package) == {}


def test_adapters_never_commit_nor_touch_a_connection_nor_open_a_writing_unit_of_work():
    assert adapter_violations(ROOT) == {}


def test_the_read_module_writes_nothing():
    module = ROOT / (READS.replace(".", "/") + ".py")
    calls = {node.func.attr for node in ast.walk(ast.parse(module.read_text("utf-8")))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
    assert "commit" not in calls and "execute" not in calls
    assert not {m for m in imported_modules(module)
                if m.startswith("sqlalchemy") and m.rsplit(".", 1)[-1] in
                {"insert", "update", "delete"}}


def test_the_checkers_fail_on_a_planted_violation(tmp_path):
    (tmp_path / "web" / "pages").mkdir(parents=True)
    (tmp_path / "complaints").mkdir()
    (tmp_path / "web" / "__init__.py").write_text("from workflow.store.runtime import Runtime\n")
    (tmp_path / "web" / "pages" / "bad.py").write_text(
        "from workflow.store import inbox\n"
        "from workflow.services import read\n"
        "def view(rt):\n"
        "    with rt.uow() as uow:\n"
        "        inbox.mark_read(uow.conn, 'zhangwei', now=None)\n"
        "        uow.commit()\n"
        "    with rt.uow(write=False) as uow:\n"
        "        return read.unread_count(uow, 'zhangwei')\n")
    (tmp_path / "complaints" / "cli.py").write_text(
        "from workflow.store.runtime import Runtime\nfrom workflow.store import migrate\n"
        "def db(rt):\n    with rt.engine.connect() as conn:\n        conn.commit()\n")
    assert layer_violations(tmp_path, "web") == {
        "web/pages/bad.py": ["workflow.store", "workflow.store.inbox"]}
    assert layer_violations(tmp_path, "complaints") == {
        "complaints/cli.py": ["workflow.store", "workflow.store.migrate"]}
    assert adapter_violations(tmp_path) == {
        "complaints/cli.py": ["4: .connect()", "5: .commit()"],
        "web/pages/bad.py": ["4: .uow() that may write", "5: .conn", "6: .commit()"]}


def import_cycles(root: Path, package: str) -> list[list[str]]:
    """The groups of `package`'s modules that import each other in a circle (any import,
    at the top or inside a function; `from a import b` names the module a.b if it is one)."""
    modules = {}
    for p in (root / package).rglob("*.py"):
        parts = p.relative_to(root).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    graph = {}
    for name, p in modules.items():
        edges = set()
        for node in ast.walk(ast.parse(p.read_text("utf-8"), str(p))):
            if isinstance(node, ast.Import):
                edges |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                edges |= {f"{node.module}.{alias.name}"
                          if f"{node.module}.{alias.name}" in modules else node.module
                          for alias in node.names}
        graph[name] = edges & modules.keys() - {name}
    reach = {}
    for start in graph:      # the modules each one reaches (a few dozen: no need for Tarjan)
        seen, todo = set(), list(graph[start])
        while todo:
            m = todo.pop()
            if m not in seen:
                seen.add(m)
                todo.extend(graph[m])
        reach[start] = seen
    groups = {tuple(sorted({m} | {o for o in reach[m] if m in reach[o]}))
              for m in graph if m in reach[m]}
    return sorted(list(g) for g in groups)


def test_the_web_has_no_import_cycle():
    assert import_cycles(ROOT, "web") == []


def test_the_cycle_check_finds_a_planted_cycle(tmp_path):
    (tmp_path / "web" / "pages").mkdir(parents=True)
    (tmp_path / "web" / "__init__.py").write_text("")
    (tmp_path / "web" / "pages" / "__init__.py").write_text("")
    (tmp_path / "web" / "pages" / "a.py").write_text("def f():\n    from web.pages.b import g\n")
    (tmp_path / "web" / "pages" / "b.py").write_text("from web.pages import a\n")
    (tmp_path / "web" / "pages" / "c.py").write_text("from web.pages import a\n")
    assert import_cycles(tmp_path, "web") == [["web.pages.a", "web.pages.b"]]


def test_the_scan_sees_imports_inside_functions_and_submodules(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from flask import Flask\n    import timers.worker\n"
                      "from workflow import store\n")
    names = imported_modules(module)
    assert {"flask", "timers.worker", "workflow.store"} <= names
    assert breaks("workflow.store", {"workflow.store"}) and breaks("flask.json", {"flask"})
    assert not breaks("workflow.storehouse", {"workflow.store"})
