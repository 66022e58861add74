"""The reports page and the department scorecard in real Chromium on the swept demo data,
at 1366 and 390 px: nothing scrolls sideways but the tables in their own box, every
figure is a link to its complaints, and the list it opens has that many rows.
Screenshots go to build/screenshots/reports-*.png and scorecard-*.png."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from werkzeug.serving import make_server

from states.calendar import SHANGHAI
from tests.demo_site import build
from tests.e2e.test_web_browser import ARTIFACTS, browser, sign_in  # noqa: F401  (the fixture)
from web import create_app
from workflow.store.schema import utcnow

pytestmark = pytest.mark.browser
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def server(tmp_path_factory, demo_cache):
    rt = build(tmp_path_factory.mktemp("reports") / "complaints.db", count=150,
               cache=demo_cache)
    app = create_app({"TESTING": True, "SECRET_KEY": "reports"}, runtime=rt)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    rt.engine.dispose()


@pytest.mark.parametrize("width", WIDTHS)
def test_reports_and_scorecard_read_well_and_link_to_their_complaints(server, browser, width):  # noqa: F811
    w, h = WIDTHS[width]
    context = browser.new_context(locale="zh-CN", viewport={"width": w, "height": h})
    page = context.new_page()
    sign_in(page, server, "auditor")
    today = utcnow().astimezone(SHANGHAI).date()
    first, month = today - timedelta(days=10), (today - timedelta(days=4)).strftime("%Y-%m")
    page.goto(f"{server}/reports?from={first}&to={today}&group=department")
    assert page.locator("h1").inner_text() == "统计报表"
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("innerWidth")
    received = page.locator('.totals b[data-figure="received"]')
    count = int(received.get_attribute("data-value"))
    assert count > 0
    page.screenshot(path=str(ARTIFACTS / f"reports-{width}.png"), full_page=True)
    with page.expect_navigation():
        received.locator("a").click()
    assert page.locator("tr[data-id]").count() == count

    page.goto(f"{server}/reports/scorecard?month={month}")
    assert page.locator("h1").inner_text() == "部门考核"
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("innerWidth")
    assert page.locator("table.scorecard tbody tr").count() == 9
    page.screenshot(path=str(ARTIFACTS / f"scorecard-{width}.png"), full_page=True)
    context.close()
