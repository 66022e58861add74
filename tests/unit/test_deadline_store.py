"""The deadline store is the one writer of `deadlines`: a scan of the source finds no other."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Where writes belong: the deadline store (the timer), and the write plan (separately, and
#: on PostgreSQL as one statement).
WRITERS = {"workflow/store/deadlines.py", "workflow/store/plan.py", "workflow/store/pgwrite.py"}
#: Synthetic rows for the benchmark and the multi-worker tests, never run by the service.
EXEMPT = {"timers/loadgen.py"}
PACKAGES = ("states", "workflow", "timers", "web", "complaints")
SQL_WRITE = re.compile(r"\b(UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+\"?deadlines\b", re.I)


def _names_for_the_table(tree: ast.AST) -> set[str]:
    """The local names bound to `workflow.store.schema.deadlines` (`deadlines as t`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("schema"):
            names |= {a.asname or a.name for a in node.names if a.name == "deadlines"}
    return names


def _is_table(node: ast.AST, names: set[str]) -> bool:
    return ((isinstance(node, ast.Name) and node.id in names)
            or (isinstance(node, ast.Attribute) and node.attr == "deadlines"))


def deadline_writes(source: str) -> list[int]:
    """Line numbers of statements in `source` that write the `deadlines` table."""
    tree = ast.parse(source)
    names, lines = _names_for_the_table(tree), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if called in ("update", "insert", "delete"):
                if node.args and _is_table(node.args[0], names):      # update(deadlines)
                    lines.append(node.lineno)
                elif isinstance(func, ast.Attribute) and _is_table(func.value, names):
                    lines.append(node.lineno)                         # deadlines.update()
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and SQL_WRITE.search(node.value)):
            lines.append(node.lineno)                                 # text SQL
    return sorted(lines)


def test_only_the_deadline_store_and_the_one_statement_write_touch_the_deadlines_table():
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if name in WRITERS | EXEMPT:
                continue
            if lines := deadline_writes(path.read_text("utf-8")):
                found[name] = lines
    assert found == {}
    for name in WRITERS:
        assert deadline_writes((ROOT / name).read_text("utf-8")), f"{name} writes nothing?"


def test_the_scan_sees_every_way_of_writing_the_table():
    source = '''
from sqlalchemy import update, insert, delete, text
from workflow.store.schema import deadlines as t, outbox
from workflow.store import schema
a = update(t).where(t.c.id == 1)
b = insert(schema.deadlines)
c = t.delete()
d = text("UPDATE deadlines SET next_at = NULL")
e = f"insert into deadlines ({columns}) VALUES (1)"
ok = update(outbox), select(t), text("UPDATE complaints SET x = (SELECT 1 FROM deadlines)")
'''
    assert deadline_writes(source) == [5, 6, 7, 8, 9]
