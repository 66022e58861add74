"""The inbox and the handler of record in real Chromium: timer warnings reach the
handler's inbox, the header counts them, opening one marks it read and shows the
complaint with its 接单人, and the department's lead reassigns it through the form.
Screenshots of the inbox at 1366 and 390 px go to build/screenshots/inbox-*.png."""
from __future__ import annotations

from datetime import timedelta

from tests.conftest import complaint_values, make_runtime
from tests.databases import copy_sqlite
from tests.e2e.test_web_browser import ARTIFACTS, browser, serving, sign_in  # noqa: F401
from tests.timers.helpers import FakeClock, worker_on
from workflow import services
from workflow.admin import demo
from workflow.admin.directory import actor_for
from workflow.store.schema import utcnow


def _site(url):
    rt = make_runtime(url)
    at = utcnow()
    demo.populate(rt, count=0, now=at)          # the demo users: network is its lead
    with rt.uow(write=False) as uow:
        operator, network = actor_for(uow.conn, "operator"), actor_for(uow.conn, "network")
    filed = at - timedelta(hours=19)            # past 75 % of the 24 h first-contact clock
    ids = []
    for mobile in ("13760001234", "13912345678"):
        cid = services.intake(rt, operator, complaint_values(mobile=mobile), now=filed).complaint.id
        services.act(rt, cid, "assign", operator, now=filed, department="network")
        services.act(rt, cid, "accept", network, now=filed)
        ids.append(cid)
    worker = worker_on(rt, FakeClock(at))
    try:
        worker.sweep()
    finally:
        worker.close()
    return rt, ids


def test_the_inbox_counts_in_the_header_opens_the_complaint_and_the_lead_reassigns(
        tmp_path, sqlite_template, browser):  # noqa: F811
    from playwright.sync_api import expect
    ARTIFACTS.mkdir(exist_ok=True)
    rt, ids = _site(copy_sqlite(sqlite_template, tmp_path / "complaints.db"))
    with serving(rt) as base:
        for width, height, name in ((1366, 900, "desktop"), (390, 844, "phone")):
            context = browser.new_context(locale="zh-CN", viewport={"width": width,
                                                                    "height": height})
            page = context.new_page()
            sign_in(page, base, "network")
            expect(page.locator("#unread-count")).to_have_text("2")
            page.goto(f"{base}/inbox")
            expect(page.locator("li.entry.unread")).to_have_count(2)
            expect(page.locator("li.entry").first).to_contain_text("即将超时")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(ARTIFACTS / f"inbox-{name}.png"), full_page=True)
            context.close()

        context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
        page = context.new_page()
        sign_in(page, base, "network")
        page.goto(f"{base}/inbox")
        with page.expect_navigation():
            page.locator("li.entry").first.locator("button[name=open]").click()
        assert page.url.endswith(f"/complaints/{ids[-1]}")        # newest first
        expect(page.locator("#unread-count")).to_have_text("1")
        expect(page.locator("#handler")).to_have_text("张伟（网络维护中心）")
        form = page.locator("#act-reassign")
        form.locator("select[name=handler]").select_option("network_2")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        expect(page.locator(".flash.success")).to_have_text("改派接单人成功")
        expect(page.locator("#handler")).to_have_text("黄涛（网络维护中心）")
        page.goto(f"{base}/?scope=assigned")
        expect(page.locator("tr[data-id]")).to_have_count(1)
        expect(page.locator(f'tr[data-id="{ids[0]}"] td.handler')).to_contain_text("张伟")
        context.close()
