"""A complaint's clock timelines in real Chromium: a reply deadline warned, missed and
escalated by the timer worker, then met on the major track, with a pause in between.
Screenshot: build/screenshots/clock-timelines.png."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import make_runtime
from tests.databases import copy_sqlite
from tests.e2e.test_web_browser import ARTIFACTS, browser, serving, sign_in  # noqa: F401 (fixture)
from tests.timers.helpers import FakeClock, sweep_at, worker_on
from workflow import services
from workflow.admin import demo
from workflow.admin.directory import actor_for
from workflow.store.schema import utcnow

pytestmark = pytest.mark.browser
H = timedelta(hours=1)


@pytest.fixture(scope="module")
def story(tmp_path_factory, sqlite_template):
    """A server with demo users and one complaint whose clocks have lived a little."""
    url = copy_sqlite(sqlite_template, tmp_path_factory.mktemp("clocks") / "complaints.db")
    rt = make_runtime(url)
    demo.populate(rt, count=1, seed=3, now=utcnow())
    with rt.uow(write=False) as uow:
        op, net, desk = (actor_for(uow.conn, u) for u in ("operator", "network", "major_desk"))
    start = utcnow() - 60 * H
    values = dict(mobile="13760005678", channel="hotline", cause="coverage",
                  customer_name="欧阳娜", text="家中室内信号差，通话经常中断。")
    cid = services.intake(rt, op, values, now=start).complaint.id
    services.act(rt, cid, "assign", op, now=start + 0.5 * H, department="network")
    services.act(rt, cid, "accept", net, now=start + H)
    services.act(rt, cid, "contact", net, now=start + 2 * H, comment="已联系客户，约定上门")
    services.act(rt, cid, "pause", net, now=start + 3 * H, comment="等客户在家",
                 reason="客户出差，约定周末上门")
    services.act(rt, cid, "resume", net, now=start + 5 * H, comment="客户已回")
    worker = worker_on(rt, FakeClock(start))
    try:
        sweep_at(worker, start + 40 * H)            # the warning
        sweep_at(worker, start + 51 * H)            # missed: escalated to the major desk
    finally:
        worker.close()
    services.act(rt, cid, "accept", desk, now=start + 52 * H)
    services.act(rt, cid, "reply", desk, now=start + 58 * H, comment="已优化室内覆盖，信号恢复")
    with serving(rt) as base:
        yield base, cid


def test_the_clock_timelines_explain_the_escalation(story, browser):  # noqa: F811
    base, cid = story
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, base, "major_desk")
        page.goto(f"{base}/complaints/{cid}")
        lives = page.locator("#clock-lives")
        text = lives.inner_text()
        assert "答复时限 48小时（规范第 1 版，普通投诉）" in text
        assert "恢复计时，暂停 2小时" in text
        assert "预警：将于" in text
        assert "自动升级至重大投诉处理" in text
        assert "答复时限 24小时（规范第 1 版，重大投诉）" in text
        assert page.locator(".clock-life[data-kind=reply][data-run='2'] li[data-event=met]").count() == 1
        # The history shows the warning and the miss among the actions.
        missed = page.locator("li.clock-event[data-clock-event=missed]").all_inner_texts()
        assert any("答复时限" in m and "自动升级" in m for m in missed), missed
        ARTIFACTS.mkdir(exist_ok=True)
        lives.screenshot(path=str(ARTIFACTS / "clock-timelines.png"))
    finally:
        context.close()
