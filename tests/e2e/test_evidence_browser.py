"""Evidence in real Chromium: upload a file on the complaint page, see it in the history,
download it and compare the bytes; the customer's other complaints beside it.
Screenshots: build/screenshots/evidence-desktop.png (1366 px) and evidence-phone.png (390 px).
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from werkzeug.security import generate_password_hash

from tests.conftest import complaint_values, make_runtime
from tests.databases import copy_sqlite
from tests.e2e.test_web_browser import (  # noqa: F401  (browser is a fixture)
    ARTIFACTS,
    browser,
    file_complaint,
    serving,
    sign_in,
)
from workflow import services
from workflow.admin import demo
from workflow.admin.directory import actor_for, create_user
from workflow.store.schema import users, utcnow

pytestmark = pytest.mark.browser
MOBILE = "13760001234"          # the number file_complaint types
#: A small real PNG (1×1, grey) with a Chinese name, as a bill screenshot would come.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010800000000"
                    "3a7e9b550000000a4944415408d763680000008200814fd1c6b70000000049454e44ae426082")


@pytest.fixture(scope="module")
def server(tmp_path_factory, sqlite_template):
    """A real server on a SQLite file with the demo users and two earlier complaints of
    the customer the test files for."""
    url = copy_sqlite(sqlite_template, tmp_path_factory.mktemp("evidence") / "complaints.db")
    rt = make_runtime(url)
    with rt.uow() as uow:        # one user, with a cheap hash of the demo password
        create_user(uow.conn, "operator", "王丽（10086热线）", "operator", "customer_service",
                    None, now=utcnow())
        uow.conn.execute(update(users).values(password_hash=generate_password_hash(
            demo.DEMO_PASSWORD, method="pbkdf2:sha256:1000")))
        uow.commit()
    with rt.uow(write=False) as uow:
        operator = actor_for(uow.conn, "operator")
    for days, cause in ((20, "roaming"), (3, "coverage")):
        services.intake(rt, operator, complaint_values(mobile=MOBILE, cause=cause),
                        now=utcnow() - timedelta(days=days))
    with serving(rt) as base:
        yield base, Path(rt.attachments_dir)


def test_a_file_uploaded_on_the_complaint_page_is_in_the_history_and_downloads_as_sent(
        server, browser):  # noqa: F811
    from playwright.sync_api import expect
    base, folder = server
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    sign_in(page, base, "operator")
    url = file_complaint(page, base, "账单多扣了 30 元，客户提供了截图。")
    history = page.locator("#customer-history tbody tr")
    expect(history).to_have_count(2)                   # the two earlier ones, newest first
    expect(history.first).to_contain_text("信号覆盖")
    expect(history.nth(1)).to_contain_text("漫游故障")
    form = page.locator("#act-attach")
    form.locator("input[type=file]").set_input_files(
        files=[{"name": "话单截图.png", "mimeType": "image/png", "buffer": PNG}])
    form.locator("textarea[name=comment]").fill("客户发来的话单截图")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator(".flash.success")).to_contain_text("已上传证据：话单截图.png")
    event = page.locator('ol.timeline li[data-action="attach"]')
    expect(event).to_have_count(1)
    expect(event).to_contain_text("话单截图.png")
    expect(event).to_contain_text("客户发来的话单截图")
    with page.expect_download() as download:
        page.locator("#evidence a.file-name").click()
    assert download.value.suggested_filename == "话单截图.png"
    assert Path(download.value.path()).read_bytes() == PNG
    assert [p.read_bytes() for p in folder.rglob("*") if p.is_file()] == [PNG]
    page.locator("#evidence").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "evidence-desktop.png"), full_page=True)
    context.close()

    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                device_scale_factor=2, is_mobile=True, has_touch=True)
    page = phone.new_page()
    sign_in(page, base, "operator")
    page.goto(url)
    expect(page.locator("#evidence li[data-attachment]")).to_have_count(1)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"
    page.screenshot(path=str(ARTIFACTS / "evidence-phone.png"), full_page=True)
    phone.close()
