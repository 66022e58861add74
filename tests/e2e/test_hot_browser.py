"""The hot-issue page in real Chromium at 1366 and 390 px: a seeded cluster, the rising
causes' chart, no sideways scrolling on the phone, and the major desk's button escalating
the cluster. Screenshots: build/screenshots/hot-desktop.png and hot-phone.png."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import complaint_values, make_runtime
from tests.databases import copy_sqlite
from tests.e2e.test_web_browser import ARTIFACTS, browser, serving, sign_in  # noqa: F401
from workflow import services
from workflow.admin import demo
from workflow.admin.directory import actor_for
from workflow.store.schema import complaints, utcnow

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def hot_site(tmp_path_factory, sqlite_template):
    """Demo users and a few complaints, plus a cluster (3 customers, coverage, 南山区),
    a recurring number and a cause that rose against the week before."""
    url = copy_sqlite(sqlite_template, tmp_path_factory.mktemp("hot") / "complaints.db")
    rt = make_runtime(url)
    now = utcnow()
    demo.populate(rt, count=12, seed=11, now=now - timedelta(days=9))
    with rt.uow(write=False) as uow:
        operator = actor_for(uow.conn, "operator")
    ids = []
    for n in range(3):
        ids.append(services.intake(rt, operator, complaint_values(
            mobile=f"1381234560{n}", district="nanshan", location="南山区桃源村三期12栋"),
            now=now - timedelta(hours=5 - n)).complaint.id)
    for n in range(3):
        services.intake(rt, operator, complaint_values(mobile="13900001111", cause="tariff",
                        text="套餐费用与宣传不符，已第%s次来电。" % (n + 1)),
                        now=now - timedelta(days=2, hours=n))
    services.intake(rt, operator, complaint_values(mobile="13700002222", district="futian"),
                    now=now - timedelta(days=1))
    with serving(rt) as base:
        yield base, rt, ids


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_the_hot_issue_page_reads_at_both_widths_and_the_desk_escalates_a_cluster(
        hot_site, browser, width):  # noqa: F811
    base, rt, ids = hot_site
    size = {"desktop": (1366, 900), "phone": (390, 844)}[width]
    context = browser.new_context(locale="zh-CN", viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    sign_in(page, base, "major_desk")
    page.goto(f"{base}/reports/hot")
    row = page.locator('tr[data-kind="district"][data-cause="coverage"][data-place="nanshan"]')
    assert row.count() == 1 and "3位客户" in row.inner_text()
    bars = page.locator("svg.chart.bars rect.bar")
    assert bars.count() >= 1 and page.locator("svg.chart.bars").bounding_box()["width"] <= size[0]
    assert page.locator('#recurring tr[data-first]').count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / f"hot-{width}.png"), full_page=True)
    if width == "desktop":
        with page.expect_navigation():
            row.locator("button >> text=升级为重大投诉").click()
        assert "已按群体投诉升级为重大投诉：3张工单" in page.inner_text("main")
        with rt.engine.connect() as conn:
            levels = conn.execute(select(complaints.c.escalation_level)
                                  .where(complaints.c.id.in_(ids))).scalars().all()
        assert levels == [1, 1, 1]
    context.close()
