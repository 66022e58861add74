"""The pages around the queue: the dashboard per role, loading a year's calendar, the
outbox with "send again", the app's own error pages, and a refused form staying at the
complaint's address."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.web.conftest import actor, file, page, post, sign_in
from workflow import services
from workflow.store import outbox as outbox_store
from workflow.store.schema import calendar_days, outbox, utcnow


def _tile(body, scope, count):
    section = body.split(f'data-scope="{scope}"')[1].split("</section>")[0]
    return int(re.search(rf'data-count="{count}"[^>]*><b>(\d+)</b>', section).group(1))


@pytest.mark.both_databases      # the counts are SQL of each dialect
def test_the_dashboard_counts_overdue_warned_and_due_soon_within_each_scope(rt, client):
    now = utcnow()
    file(rt, now=now - timedelta(hours=3), mobile="13800000301")          # assign overdue
    file(rt, now=now - timedelta(minutes=100), mobile="13800000302")      # assign warned
    file(rt, mobile="13800000303")                                         # due in 2 h
    sign_in(client, "op")
    response = client.get("/dashboard")
    assert response.status_code == 200
    body = page(response)
    assert [_tile(body, "mine", k) for k in ("overdue", "warned", "due_soon")] == [1, 1, 2]
    assert 'data-scope="all"' in body and 'id="workers"' in body       # the CSC sees the worker
    assert "没有计时进程在运行" in body
    sign_in(client, "net")
    body = page(client.get("/dashboard"))
    assert _tile(body, "mine", "overdue") == 0 and 'id="workers"' not in body
    sign_in(client, "audit")
    body = page(client.get("/dashboard"))
    assert 'data-scope="mine"' not in body and _tile(body, "all", "overdue") == 1


def test_signing_in_lands_on_the_dashboard(client):
    response = post(client, "/login", {"username": "op", "password": "test-pass-2026"})
    assert response.headers["Location"] == "/dashboard"


NOTICE = 'holidays = ["2031-01-01", "2031-10-01..2031-10-07"]\nworkdays = ["2031-10-11"]\n'


def test_an_administrator_loads_a_year_of_the_calendar_by_upload_or_paste(rt, client):
    sign_in(client, "root")
    response = post(client, "/admin/calendar", {"format": "toml", "text": NOTICE})
    body = page(response)
    assert response.status_code == 200 and "2031 年日历加载成功" in body
    assert 'data-year="2031" data-source="loaded"' in body
    with rt.engine.connect() as conn:
        days = dict(conn.execute(select(calendar_days.c.day, calendar_days.c.workday)).all())
    assert days["2031-10-11"] is True and days["2031-10-03"] is False and len(days) == 9
    assert rt.calendar.is_workday(date(2031, 10, 11))[0] is True
    from io import BytesIO
    csv = "day,workday,note\n2032-01-01,休,元旦\n".encode()
    response = post(client, "/admin/calendar", {"file": (BytesIO(csv), "2032.csv")},
                    content_type="multipart/form-data")
    assert "2032 年日历加载成功" in page(response)


def test_a_bad_calendar_is_refused_in_chinese_and_loads_nothing(rt, client):
    sign_in(client, "root")
    response = post(client, "/admin/calendar", {"format": "toml",
                                                "text": 'holidays = ["2031-01-01", "2032-01-01"]'})
    assert response.status_code == 422 and "一个文件只能包含一个年度" in page(response)
    response = post(client, "/admin/calendar", {"format": "csv", "text": "day,workday\n2031-01-01,x\n"})
    assert response.status_code == 422 and "须为 1/0 或 班/休" in page(response)
    with rt.engine.connect() as conn:
        assert conn.execute(select(calendar_days)).first() is None
    sign_in(client, "desk")
    assert client.get("/admin/calendar").status_code == 403


def _notification(rt, **values):
    c = file(rt)
    row = dict(complaint_id=c.id, kind="deadline_warning", recipients=["network"],
               subject=f"【即将超时】投诉 {c.number}", body="……", created_at=utcnow(),
               attempts=0, next_attempt_at=utcnow())
    row.update(values)
    with rt.uow() as uow:
        nid = uow.conn.execute(outbox.insert().values(**row)).inserted_primary_key[0]
        uow.commit()
    return nid


def test_the_outbox_lists_pending_failed_and_sent_and_sends_again(rt, client):
    later = utcnow() + timedelta(hours=1)
    failed = _notification(rt, attempts=10, next_attempt_at=None,
                           last_error="[Errno 111] Connection refused")
    _notification(rt)
    _notification(rt, sent_at=utcnow(), next_attempt_at=None, attempts=1)
    sign_in(client, "desk")
    body = page(client.get("/admin/outbox"))
    assert re.search(r'data-status="failed">发送失败 <b>1</b>', body)
    assert re.search(r'data-status="pending">待发送 <b>1</b>', body)
    assert "Connection refused" in body and "已停止重试" in body
    assert post(client, f"/admin/outbox/{failed}/send").status_code == 302
    with rt.engine.connect() as conn:
        due = conn.execute(select(outbox.c.next_attempt_at).where(outbox.c.id == failed)).scalar()
    assert due is not None and due < later
    with rt.uow() as uow:
        assert outbox_store.send_again(uow.conn, 999999, utcnow()) is False
    sign_in(client, "net")
    assert client.get("/admin/outbox").status_code == 403


def test_unknown_addresses_and_wrong_methods_get_the_apps_own_chinese_pages(client):
    sign_in(client, "op")
    response = client.get("/no/such/page")
    body = page(response)
    assert response.status_code == 404 and "找不到页面" in body and "Not Found" not in body
    assert 'href="/"' in body and 'href="/dashboard"' in body
    response = client.get("/logout")
    assert response.status_code == 405 and "不支持此操作方式" in page(response)
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"


def test_a_refused_form_comes_back_at_the_complaints_own_address(rt, client):
    cid = file(rt).id
    sign_in(client, "op")
    body = page(client.get(f"/complaints/{cid}"))
    assert f'action="/complaints/{cid}"' in body and 'name="do" value="assign"' in body
    services.act(rt, cid, "assign", actor(rt, "desk"), now=utcnow(), department="network")
    response = post(client, f"/complaints/{cid}", {"do": "assign", "version": 1,
                                                   "department": "marketing", "comment": "改派"})
    assert response.status_code == 409 and "其他人已先处理了这张工单" in page(response)
    assert post(client, f"/complaints/{cid}", {"do": "explode", "version": 2}).status_code == 404


def test_the_complaint_page_hides_the_version_and_names_reasons_and_the_system(rt, client):
    from workflow.domain.model import SYSTEM
    c = file(rt)
    services.act(rt, c.id, "escalate", SYSTEM, now=utcnow(), reason="deadline reply missed",
                 comment="答复时限已过，系统自动升级", data={"criterion": "deadline:reply"})
    sign_in(client, "desk")
    body = page(client.get(f"/complaints/{c.id}"))
    assert "版本" not in body and 'data-reason="deadline:reply">答复时限超时' in body
    event = body.split('data-action="escalate"')[1].split("</li>")[0]
    assert "· 系统" in event and "原因：答复时限超时" in event
    assert "system" not in event.replace('data-action', '') and "missed" not in event
