"""Every list of roles lives in `workflow.domain.access` (the transition table in
`states.process` names its own): no other module writes a tuple, list or set of `Role`
members or of role names."""
from __future__ import annotations

import ast
from pathlib import Path

from states.process import Role
from workflow.domain import access

ROOT = Path(__file__).resolve().parents[2]
HOMES = {"workflow/domain/access.py", "states/process.py"}
NAMES = {r.value for r in Role}


def _is_role(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id in {"Role", "R"} and node.attr in NAMES
    return False


def role_lists(source: str) -> list[int]:
    """Line numbers of collection literals holding a Role member or two role names."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            roles = sum(_is_role(e) for e in node.elts)
            names = {e.value for e in node.elts
                     if isinstance(e, ast.Constant) and e.value in NAMES - {"admin", "system"}}
            if roles or len(names) >= 2:
                found.append(node.lineno)
    return found


def test_the_check_finds_a_planted_role_list():
    assert role_lists("MAY = (Role.major_desk, Role.auditor)\n") == [1]
    assert role_lists("ROLES = ('auditor', 'major_desk')\n") == [1]
    assert role_lists("ok = actor.role is Role.admin\n") == []
    assert role_lists("DEMO = ('operator', '王丽', 'operator')\n") == []   # a user named so


def test_no_module_outside_access_writes_a_list_of_roles():
    offenders = []
    for package in ("web", "workflow", "timers", "complaints", "states"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in HOMES:
                offenders += [f"{rel}:{n}" for n in role_lists(path.read_text("utf-8"))]
    assert offenders == []


def test_the_pages_keep_the_roles_they_had():
    assert set(access.HOT_READERS) == set(access.REPORT_READERS) == {
        Role.major_desk, Role.auditor, Role.admin}
    assert access.READ_ONLY == access.ACCESS_LOG_READERS == (Role.auditor, Role.admin)
    assert Role.system not in access.ASSIGNABLE and len(access.ASSIGNABLE) == len(Role) - 1
