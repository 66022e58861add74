"""Chinese that reads as written by people: no half-width `,:;()!?` touching a Chinese
character in any Chinese UI string (templates, messages, catalogue, pages, command line,
notifications, demo data), and no page of the demo data rendered in Chinese shows a raw
code (`deadline:reply`, `system`, a state or department code) or English error text.

The crawl signs in as every demo user on the swept demo data (`tests/demo_site.py`) and
reads every complaint page (as the major-complaint desk, who may act; every fifth
also as the auditor, who may only look), every queue page, each role's dashboard and queue scopes,
every administration page, and the error pages."""
from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

from states import catalogue
from tests.web.conftest import demo_ids as _ids

ROOT = Path(__file__).resolve().parents[2]
CJK = r"[\u3400-\u4dbf\u4e00-\u9fff]"
HALF_WIDTH = re.compile(f"{CJK}[,:;()!?]|[,:;()!?]{CJK}")
#: Where Chinese UI strings live (and the Chinese catalogue, web/translations/zh).
UI_SOURCES = ("states", "workflow", "web", "complaints", "timers")
NOT_UI: set[str] = set()
ZH_CATALOGUE = ROOT / "web" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
#: Literal code in a template (an example file, a code) is not Chinese text.
CODE_SPANS = re.compile(r"<(code|pre)\b.*?</\1>", re.S)


def _strings(path: Path):
    """Every string constant of a module that is not a docstring, with its line."""
    tree = ast.parse(path.read_text("utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docstrings):
            yield node.lineno, node.value


def test_no_chinese_ui_string_has_half_width_punctuation_next_to_a_chinese_character():
    found = []
    for package in UI_SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if name in NOT_UI or "/migrations/" in name:
                continue
            found += [f"{name}:{line}: {text!r}" for line, text in _strings(path)
                      if HALF_WIDTH.search(text)]
    for path in sorted((ROOT / "web" / "templates").rglob("*.html")):
        text = CODE_SPANS.sub("", path.read_text("utf-8"))
        found += [f"{path.relative_to(ROOT)}: {m.group(0)!r}" for m in HALF_WIDTH.finditer(text)]
    with open(ZH_CATALOGUE, "rb") as f:
        found += [f"zh catalogue: {m.string!r}" for m in read_po(f) if HALF_WIDTH.search(m.string)]
    assert found == []


def test_the_scan_finds_half_width_punctuation_where_it_is():
    assert HALF_WIDTH.search("已执行:派单") and HALF_WIDTH.search("申诉时限(15天)")
    assert not HALF_WIDTH.search("已执行：派单") and not HALF_WIDTH.search("TS2026, 1:2")


class Visible(HTMLParser):
    """The text a reader sees: element text and the title, placeholder, aria-label and
    alt attributes; not code, scripts, styles, or what a form field holds."""

    SKIP = {"code", "pre", "script", "style", "textarea"}

    def __init__(self):
        super().__init__()
        self.parts, self.skipping = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        for key, value in attrs:
            if key in ("title", "placeholder", "aria-label", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = Visible()
    parser.feed(html)
    return " ".join(parser.parts)


#: Codes that must never reach a Chinese page's text.
CODES = {code for table in (catalogue.DEPARTMENTS, catalogue.CAUSES, catalogue.CHANNELS,
                            catalogue.AUTHORITIES, catalogue.STATE_NAMES, catalogue.ACTION_NAMES,
                            catalogue.ROLE_NAMES, catalogue.CLOCK_NAMES, catalogue.MAJOR_CRITERIA,
                            catalogue.SATISFACTION, catalogue.ESCALATION_REASONS)
         for code in table}
ENGLISH = {"deadline", "system", "None", "True", "False", "Traceback", "invalid", "required",
           "unknown", "allowed", "forbidden", "conflict", "missed", "not", "found", "Error"}
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_:]*")


def raw_codes(text: str) -> set[str]:
    """Words of the text that are codes or English error words."""
    words = set(WORD.findall(text))
    return {w for w in words if w in CODES or w in ENGLISH or w.startswith("deadline:")}


def test_the_raw_code_check_catches_what_the_issue_saw():
    assert raw_codes("重大投诉原因 deadline:reply · system") == {"deadline:reply", "system"}
    assert raw_codes("TS20261201000137 信号覆盖 BOSS系统故障 English") == set()


def _check(problems: list, label: str, response, status=200):
    body = response.get_data(as_text=True)
    if response.status_code != status:
        problems.append(f"{label}: status {response.status_code}, expected {status}")
    text = visible_text(body)
    codes = raw_codes(text)
    if codes:
        problems.append(f"{label}: raw codes {sorted(codes)}")
    punct = sorted({m.group(0) for m in HALF_WIDTH.finditer(text)})
    if punct:
        problems.append(f"{label}: half-width punctuation {punct}")
    return body


def test_no_page_of_the_demo_data_rendered_in_chinese_shows_a_raw_code(site):
    rt, app, clients = site
    problems: list[str] = []
    desk = clients["major_desk"]
    first = _check(problems, "queue all", desk.get("/?scope=all"))
    pages = int(re.search(r"第 1／(\d+) 页", first).group(1))
    every = _ids(first)
    for n in range(2, pages + 1):
        every += _ids(_check(problems, f"queue all p{n}", desk.get(f"/?scope=all&page={n}")))
    assert len(every) == 300
    for n, cid in enumerate(every):
        _check(problems, f"complaint {cid} (desk)", desk.get(f"/complaints/{cid}"))
        if n % 5 == 0:     # the read-only view of the same page: no forms, masked mobile
            _check(problems, f"complaint {cid} (auditor)",
                   clients["auditor"].get(f"/complaints/{cid}"))
    for username, client in clients.items():
        _check(problems, f"dashboard {username}", client.get("/dashboard"))
        for scope in ("mine", "dept", "all"):
            body = _check(problems, f"queue {scope} {username}", client.get(f"/?scope={scope}"))
            for cid in _ids(body)[:3]:
                _check(problems, f"complaint {cid} ({username})", client.get(f"/complaints/{cid}"))
        for query in ("sort=severity", "sort=received_new", "overdue=1", "warned=1",
                      "within=4", "source=escalated", "q=0550", "from=bad"):
            _check(problems, f"queue {query} {username}", client.get(f"/?scope=all&{query}"))
    admin = clients["admin"]
    for path in ("/admin/users", "/admin/departments", "/admin/liaisons", "/admin/policy",
                 "/admin/status", "/admin/calendar", "/admin/outbox?status=pending",
                 "/admin/outbox?status=failed", "/admin/outbox?status=sent"):
        _check(problems, path, admin.get(path))
    _check(problems, "intake", clients["operator"].get("/complaints/new"))
    _check(problems, "404 unknown address", admin.get("/no-such-page"), 404)
    _check(problems, "403 handler on admin", clients["network"].get("/admin/users"), 403)
    _check(problems, "405 wrong method", admin.get("/logout"), 405)
    _check(problems, "sign-in page", app.test_client().get("/login"))
    assert problems == []


def test_refused_forms_on_the_demo_data_answer_in_chinese(site):
    rt, app, clients = site
    problems: list[str] = []
    desk = clients["major_desk"]
    body = desk.get("/?scope=mine").get_data(as_text=True)
    for cid in _ids(body):
        page = desk.get(f"/complaints/{cid}").get_data(as_text=True)
        if 'id="act-escalate"' in page:
            break
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    version = int(re.search(r'name="version" value="(\d+)"', page).group(1))
    action = re.search(r'name="do" value="(\w+)"', page).group(1)
    _check(problems, "409 stale form", desk.post(f"/complaints/{cid}", data={
        "csrf_token": token, "do": action, "version": version - 1, "comment": "过期表单"}), 409)
    _check(problems, "422 escalate without reason", desk.post(f"/complaints/{cid}", data={
        "csrf_token": token, "do": "escalate", "version": version, "reason": ""}), 422)
    _check(problems, "400 no csrf token", desk.post(f"/complaints/{cid}", data={
        "do": action, "version": version}), 400)
    admin = clients["admin"]
    admin_token = re.search(r'name="csrf_token" value="([^"]+)"',
                            admin.get("/admin/calendar").get_data(as_text=True)).group(1)
    for text in ("holidays = [2027-13-45", 'holidays = ["2027-13-45"]',
                 'holidays = ["2027-01-01", "2028-01-01"]'):
        _check(problems, f"422 calendar {text!r}", admin.post("/admin/calendar", data={
            "csrf_token": admin_token, "format": "toml", "text": text}), 422)
    assert problems == []
