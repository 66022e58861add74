"""The work queue: scope, masking, deadline colours, filters, counts and pages."""
from __future__ import annotations

from datetime import timedelta

import pytest

import web.pages.queue
from tests.web.conftest import actor, file, page, sign_in
from workflow import services
from workflow.store.schema import utcnow

#: On both databases: the queue's filters and counts are SQL of each dialect.
pytestmark = pytest.mark.both_databases


def test_the_queue_lists_what_the_user_can_act_on_with_the_mobile_masked(rt, client):
    mine = file(rt, mobile="13812341234").id
    services.act(rt, mine, "assign", actor(rt, "op"), now=utcnow(), department="network")
    file(rt, mobile="13912345678", cause="tariff")
    sign_in(client, "net")
    body = page(client.get("/"))
    assert "138****1234" in body and "13812341234" not in body
    assert "139****5678" not in body                   # marketing's complaint
    assert "信号覆盖" in body and "网络维护中心" in body


def test_the_queue_shows_the_nearest_deadline_in_red_when_overdue_and_amber_when_warned(rt, client):
    past = utcnow() - timedelta(hours=3)               # assign clock (2 h) overdue
    late = file(rt, now=past, mobile="13800000001").id
    warned = file(rt, now=utcnow() - timedelta(minutes=100), mobile="13800000002").id  # 75 % of 2 h
    fresh = file(rt, mobile="13800000003").id
    sign_in(client, "op")
    body = page(client.get("/"))
    rows = {cid: body.split(f'data-id="{cid}"')[0].rsplit("<tr", 1)[1] for cid in (late, warned, fresh)}
    assert 'class="row-overdue"' in rows[late]
    assert 'class="row-warned"' in rows[warned]
    assert 'class="row-running"' in rows[fresh]
    positions = [body.index(f'data-id="{cid}"') for cid in (late, warned, fresh)]
    assert positions == sorted(positions)
    assert "超时" in body and "剩余" in body


def test_the_queue_filters_by_state_department_severity_overdue_and_text(rt, client):
    a = file(rt, mobile="13800000011", customer_name="欧阳修").id
    b = file(rt, mobile="13800000012", cause="tariff").id
    c = file(rt, mobile="13800000013", media=True).id
    d = file(rt, now=utcnow() - timedelta(hours=5), mobile="13800000014").id
    services.act(rt, a, "assign", actor(rt, "op"), now=utcnow(), department="network")
    sign_in(client, "desk")

    def ids(query):
        body = page(client.get("/?scope=all&" + query))
        return {x for x in (a, b, c, d) if f'data-id="{x}"' in body}

    assert ids("") == {a, b, c, d}
    assert ids("state=assigned") == {a}
    assert ids("department=marketing") == {b}
    assert ids("severity=major") == {c}
    assert ids("overdue=1") == {d}
    assert ids("q=欧阳") == {a}
    assert ids("q=13800000012") == {b}


def test_the_queue_counts_complaints_per_state(rt, client):
    for i in range(3):
        file(rt, mobile=f"1380000002{i}")
    cid = file(rt, mobile="13800000029").id
    services.act(rt, cid, "assign", actor(rt, "op"), now=utcnow(), department="network")
    sign_in(client, "audit")
    body = page(client.get("/"))
    assert 'data-state="received">已受理 <b>3</b>' in body
    assert 'data-state="assigned">已派单 <b>1</b>' in body
    assert "只读" in body


def test_the_queue_is_paged(rt, client, monkeypatch):
    monkeypatch.setattr(web.pages.queue, "PAGE_SIZE", 2)
    ids = [file(rt, mobile=f"1380000003{i}").id for i in range(5)]
    sign_in(client, "op")
    first, last = page(client.get("/")), page(client.get("/?page=3"))
    assert "第 1／3 页" in first and 'rel="next"' in first
    assert sum(f'data-id="{i}"' in last for i in ids) == 1 and 'rel="prev"' in last


def test_a_complaint_text_with_html_is_shown_as_text_in_the_queue_search(rt, client):
    file(rt, customer_name="<b>张三</b>", text="<script>alert(1)</script>")
    sign_in(client, "op")
    body = page(client.get("/?q=<script>"))
    assert "<b>张三</b>" not in body and "&lt;b&gt;张三&lt;/b&gt;" in body
    assert "&lt;script&gt;" in body and "<script>alert" not in body
