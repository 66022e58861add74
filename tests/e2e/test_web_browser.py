"""The operators' pages in real Chromium against a real server on a SQLite file.

One complaint goes from intake to closure through the forms, as the operator and the
network department's handler; a second browser context acting on a stale page gets
the conflict message. Screenshots of the queue and the complaint page are written to
build/screenshots/ (ARTIFACTS: git-ignored build output, rewritten by every run).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import make_runtime, skip_or_fail
from tests.databases import copy_sqlite
from web import create_app
from workflow.admin import demo
from workflow.store.schema import utcnow

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
#: Where every browser test writes its screenshots: a build output, never tracked.
ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, sqlite_template):
    """A real threaded server on 127.0.0.1 (ephemeral port) with demo data."""
    rt = make_runtime(copy_sqlite(sqlite_template, tmp_path_factory.mktemp("browser") / "complaints.db"))
    demo.populate(rt, count=40, seed=7, now=utcnow() - timedelta(hours=1))
    with serving(rt) as base:
        yield base


@contextmanager
def serving(rt):
    """The app on `rt` served by a real threaded server on 127.0.0.1 (ephemeral port);
    yields its base URL, and disposes of the runtime's engine after."""
    app = create_app({"TESTING": True, "SECRET_KEY": "browser-test"}, runtime=rt)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        rt.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (skipped, or failed in CI, when missing)."""
    if not CHROMIUM.exists():
        skip_or_fail("/usr/bin/chromium is missing: browser tests need Debian's chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def sign_in(page, base, username):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("form button[type=submit] >> text=登录")
    page.wait_for_url(f"{base}/dashboard")


def sign_out(page):
    page.click("header button >> text=退出")
    page.wait_for_url("**/login")


def act(page, action, **fields):
    form = page.locator(f"#act-{action}")
    for name, value in fields.items():
        if name in ("department", "satisfaction"):
            form.locator(f"select[name={name}]").select_option(value)
        else:
            form.locator(f"[name={name}]").fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def file_complaint(page, base, text):
    page.goto(f"{base}/complaints/new")
    page.select_option("select[name=channel]", "hotline")
    page.fill("input[name=mobile]", "13760001234")
    page.fill("input[name=customer_name]", "欧阳娜")
    page.select_option("select[name=cause]", "coverage")
    page.fill("textarea[name=text]", text)
    with page.expect_navigation():
        page.click("button >> text=保存并受理")
    return page.url.split("?")[0]


def test_a_complaint_goes_from_intake_to_closure_through_the_browser(server, browser):
    from playwright.sync_api import expect
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    sign_in(page, server, "operator")
    url = file_complaint(page, server, "小区地下车库没有信号<script>alert(1)</script>")
    expect(page.locator(".filed")).to_contain_text("网络维护中心")
    expect(page.locator("p.text")).to_contain_text("<script>alert(1)</script>")
    act(page, "assign", department="network", comment="请网络维护中心处理")
    expect(page.locator(".flash.success")).to_have_text("派单成功")
    sign_out(page)

    sign_in(page, server, "network")
    page.goto(url)
    act(page, "accept")
    act(page, "contact", comment="已电话联系客户，约定明天测试")
    act(page, "reply", comment="已在车库加装室内分布系统，信号恢复")
    expect(page.locator("h1 .state")).to_have_text("已答复")
    sign_out(page)

    sign_in(page, server, "operator")
    page.goto(url)
    act(page, "close", satisfaction="satisfied", comment="客户表示满意")
    expect(page.locator("h1 .state")).to_have_text("已结案")
    timeline = page.locator("ol.timeline")
    for action in ("intake", "assign", "accept", "contact", "reply", "close"):
        expect(timeline.locator(f'li[data-action="{action}"]')).to_have_count(1)
    expect(timeline).to_contain_text("已在车库加装室内分布系统，信号恢复")
    expect(timeline).to_contain_text("满意")
    page.screenshot(path=str(ARTIFACTS / "complaint.png"))
    page.goto(f"{server}/?scope=all")
    expect(page.locator("table.queue tbody tr").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "queue.png"))
    context.close()


def test_a_second_browser_acting_on_a_stale_page_gets_the_conflict_message(server, browser):
    from playwright.sync_api import expect
    first = browser.new_context(locale="zh-CN").new_page()
    second = browser.new_context(locale="zh-CN").new_page()
    sign_in(first, server, "operator")
    url = file_complaint(first, server, "营业厅办理业务后被多扣费。")
    sign_in(second, server, "major_desk")
    second.goto(url)                                   # both pages now show version 1
    act(first, "assign", department="network")
    act(second, "assign", department="marketing", comment="我认为应由市场部处理")
    expect(second.locator(".flash.conflict")).to_contain_text("其他人已先处理了这张工单")
    expect(second.locator("#act-assign textarea[name=comment]")).to_have_value("我认为应由市场部处理")
    expect(second.locator("h1 .state")).to_have_text("已派单")
    second.screenshot(path=str(ARTIFACTS / "conflict.png"))
    first.context.close()
    second.context.close()
