"""The pages in real Chromium on the swept demo data, at a desktop (1366 px) and a phone
(390 px) width: no page scrolls sideways on the phone, the complaint page puts the
actions first on a narrow screen, badges and clock names do not break, the diagram stays
readable (it scrolls in its own box), and Chinese pages name clocks, reasons and the
system in words. Screenshots of the queue, a paused complaint, an overdue complaint, the
dashboard and the 404 page go to build/screenshots/ (a git-ignored build output)."""
from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.demo_site import build
from tests.e2e.test_web_browser import ARTIFACTS, browser  # noqa: F401  (the fixture)
from web import create_app
from workflow.admin import demo
from workflow.store.schema import complaints, deadlines

pytestmark = pytest.mark.browser
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory, demo_cache):
    """A real threaded server on the swept demo data; and a few complaints worth a look."""
    rt = build(tmp_path_factory.mktemp("layout") / "complaints.db", cache=demo_cache)
    with rt.engine.connect() as conn:
        paused = conn.execute(select(complaints.c.id).where(complaints.c.paused_at.is_not(None))
                              .order_by(complaints.c.id)).scalar()
        overdue = conn.execute(select(deadlines.c.complaint_id).where(deadlines.c.status == "fired",
                                                                      deadlines.c.kind == "first_contact")
                               .order_by(deadlines.c.complaint_id)).scalar()
        major = conn.execute(select(complaints.c.id).where(complaints.c.escalation_level >= 1)
                             .order_by(complaints.c.id)).scalar()
    app = create_app({"TESTING": True, "SECRET_KEY": "layout"}, runtime=rt)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", {"paused": paused, "overdue": overdue,
                                                      "major": major}
    httpd.shutdown()
    rt.engine.dispose()


def _page(browser, base, username, width):  # noqa: F811
    w, h = WIDTHS[width]
    context = browser.new_context(locale="zh-CN", viewport={"width": w, "height": h})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit] >> text=登录")
    assert page.url == f"{base}/dashboard"
    return page


def _no_sideways_scroll(page, label):
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{label}: {width} px wide in a {viewport} px viewport"


PAGES = {
    "operator": ["/dashboard", "/", "/?scope=all", "/?scope=all&sort=severity&state=handling",
                 "/complaints/new", "/complaints/{paused}", "/complaints/{overdue}", "/nope"],
    "network": ["/dashboard", "/", "/?scope=dept"],
    "major_desk": ["/dashboard", "/?scope=all", "/complaints/{major}", "/admin/liaisons",
                   "/admin/outbox", "/admin/policy"],
    "admin": ["/admin/users", "/admin/departments", "/admin/status", "/admin/calendar",
              "/admin/outbox?status=sent"],
    "auditor": ["/", "/complaints/{overdue}"],
}


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(demo_server, browser, width):  # noqa: F811
    base, ids = demo_server
    for username, paths in PAGES.items():
        page = _page(browser, base, username, width)
        for path in paths:
            page.goto(base + path.format(**ids))
            _no_sideways_scroll(page, f"{username} {path} at {width}")
        page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_screenshots_a_reviewer_wants(demo_server, browser, width):  # noqa: F811
    from playwright.sync_api import expect
    base, ids = demo_server
    ARTIFACTS.mkdir(exist_ok=True)
    page = _page(browser, base, "operator", width)
    expect(page.locator(".dash-scope").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{width}.png"))
    page.goto(f"{base}/?scope=all")
    expect(page.locator("table.queue tbody tr.row-overdue").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / f"queue-{width}.png"))
    page.goto(f"{base}/complaints/{ids['paused']}")
    expect(page.locator('h1 [data-paused="1"]')).to_have_text("暂停计时中")
    expect(page.locator('li.clock-row[data-state="paused"]')).to_contain_text("前恢复计时")
    if width == "phone":     # the actions come first there: show the clocks
        page.locator("#clocks").evaluate("e => e.scrollIntoView()")
    page.screenshot(path=str(ARTIFACTS / f"complaint-paused-{width}.png"))
    page.goto(f"{base}/complaints/{ids['overdue']}")
    overdue = page.locator('li.clock-row[data-kind="first_contact"]')
    expect(overdue).to_have_attribute("data-state", "overdue")
    expect(overdue).to_contain_text("已超时")
    color = overdue.evaluate("e => getComputedStyle(e).color")
    assert color == "rgb(185, 28, 28)", color                      # red
    if width == "phone":
        page.locator("#clocks").evaluate("e => e.scrollIntoView()")
    page.screenshot(path=str(ARTIFACTS / f"complaint-overdue-{width}.png"))
    response = page.goto(f"{base}/no-such-page")
    assert response.status == 404
    expect(page.locator(".error-page h1")).to_contain_text("找不到页面")
    expect(page.locator(".error-page a").first).to_have_attribute("href", "/")
    page.screenshot(path=str(ARTIFACTS / f"404-{width}.png"))
    page.context.close()


def test_on_a_phone_the_complaint_page_puts_actions_first_and_nothing_breaks(demo_server, browser):  # noqa: F811
    base, ids = demo_server
    page = _page(browser, base, "major_desk", "phone")
    page.goto(f"{base}/complaints/{ids['major']}")
    actions, history = (page.locator(sel).bounding_box() for sel in ("#actions", "#history"))
    assert actions["y"] < history["y"]
    line = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)")
    for selector in (".major", ".clock-name"):
        for box in (page.locator(selector).nth(i).bounding_box()
                    for i in range(page.locator(selector).count())):
            assert box["height"] <= line * 1.4, (selector, box)     # one line, never a column
    svg = page.locator(".diagram svg").bounding_box()
    assert svg["width"] >= 680                                       # readable; scrolls in its box
    page.goto(f"{base}/")
    for i in range(min(page.locator("td .major").count(), 10)):
        assert page.locator("td .major").nth(i).bounding_box()["height"] <= line * 1.4
    page.context.close()


def test_the_diagram_follows_the_language_switch(demo_server, browser):  # noqa: F811
    base, ids = demo_server
    page = _page(browser, base, "operator", "desktop")
    page.goto(f"{base}/complaints/{ids['overdue']}")
    assert "已受理" in page.locator(".diagram").inner_text()
    with page.expect_navigation():
        page.click("header button >> text=English")
    text = page.locator(".diagram").inner_text()
    assert "Received" in text and not re.search(r"[\u4e00-\u9fff]", text)
    page.context.close()
