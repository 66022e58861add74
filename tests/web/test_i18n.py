"""Every Chinese text of the pages has its English."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import web
from web.pages.english import EN

ROOT = Path(web.__file__).parent
LITERAL = re.compile(r"""_\(\s*(["'])(.+?)\1""")


def _texts():
    found = set()
    for path in (ROOT / "templates").rglob("*.html"):
        found |= {m.group(2) for m in LITERAL.finditer(path.read_text("utf-8"))}
    for path in (ROOT / "pages").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                found.add(node.args[0].value)
    return found


def test_every_text_of_the_pages_has_an_english_translation():
    texts = _texts()
    assert len(texts) > 100
    assert sorted(t for t in texts if t not in EN) == []


def test_english_translations_keep_their_placeholders():
    for zh, en in EN.items():
        assert re.findall(r"%\((\w+)\)s", zh) == re.findall(r"%\((\w+)\)s", en), zh


def test_the_pages_never_import_the_timer_worker():
    for path in ROOT.rglob("*.py"):
        source = path.read_text("utf-8")
        assert "import timers" not in source and "from timers" not in source, path
