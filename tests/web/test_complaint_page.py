"""The complaint page: facts, clocks, timeline, diagram, action forms, conflicts, errors."""
from __future__ import annotations

import pytest

from tests.web.conftest import actor, file, page, post, sign_in
from workflow import services
from workflow.store.schema import utcnow


def test_a_complaint_runs_from_intake_to_closure_through_the_forms(rt, client):
    cid = file(rt).id
    sign_in(client, "op")
    assert post(client, f"/complaints/{cid}/assign", {"department": "network", "version": 1,
                                                     "comment": "请网络部处理"}).status_code == 302
    sign_in(client, "net")
    for action, data in (("accept", {}), ("contact", {"comment": "已电话联系客户"}),
                         ("reply", {"comment": "已优化天线,信号恢复"})):
        version = int(page(client.get(f"/complaints/{cid}")).split('name="version" value="')[1]
                      .split('"')[0])
        response = post(client, f"/complaints/{cid}/{action}", {**data, "version": version})
        assert response.status_code == 302, (action, page(response)[:500])
    sign_in(client, "op")
    response = post(client, f"/complaints/{cid}/close", {"satisfaction": "satisfied",
                                                        "version": 5}, follow_redirects=True)
    body = page(response)
    assert "结案成功" in body and 'data-state="closed"' in body
    timeline = body.split('class="timeline"')[1]
    for label in ("受理", "派单", "接单", "联系客户", "答复", "结案", "已优化天线,信号恢复", "满意"):
        assert label in timeline
    assert 'id="act-reopen"' in body


def test_the_page_shows_facts_clocks_and_the_diagram_with_the_state_highlighted(rt, client):
    cid = file(rt, customer_name="黄先生").id
    sign_in(client, "op")
    body = page(client.get(f"/complaints/{cid}"))
    assert "13812345678" in body and "黄先生" in body and "网络维护中心" in body
    assert "派单时限" in body and "剩余" in body
    assert '<svg' in body and 'class="state current" data-state="received"' in body
    assert 'name="version" value="1"' in body


@pytest.mark.both_databases      # the version check is in each write path
def test_a_stale_form_shows_the_conflict_the_fresh_state_and_keeps_what_was_typed(rt, client):
    cid = file(rt).id
    services.act(rt, cid, "assign", actor(rt, "op"), now=utcnow(), department="network")
    services.act(rt, cid, "accept", actor(rt, "net"), now=utcnow())
    sign_in(client, "desk")
    services.act(rt, cid, "contact", actor(rt, "net"), now=utcnow(), comment="别人先联系了")
    response = post(client, f"/complaints/{cid}/contact",
                    {"comment": "我写的联系记录", "version": 3})
    body = page(response)
    assert response.status_code == 409
    assert "其他人已先处理了这张工单" in body
    assert "我写的联系记录" in body and "别人先联系了" in body
    assert 'name="version" value="4"' in body                 # a resubmit now works


@pytest.mark.both_databases      # the version check is in each write path
def test_an_action_no_longer_allowed_keeps_the_typed_text_beside_the_fresh_state(rt, client):
    cid = file(rt).id
    sign_in(client, "op")
    services.act(rt, cid, "reply", actor(rt, "op"), now=utcnow(), comment="已直接答复")
    response = post(client, f"/complaints/{cid}/assign",
                    {"department": "network", "comment": "派给网络部看看", "version": 1})
    body = page(response)
    assert response.status_code == 409
    assert "派给网络部看看" in body and "您填写的内容" in body
    assert 'data-state="replied"' in body


def test_validation_errors_appear_beside_their_fields(rt, client):
    cid = file(rt).id
    sign_in(client, "op")
    response = post(client, f"/complaints/{cid}/reply", {"comment": "  ", "version": 1})
    assert response.status_code == 422
    assert 'class="field-error" data-field="comment">必填' in page(response)
    services.act(rt, cid, "reply", actor(rt, "op"), now=utcnow(), comment="已答复")
    response = post(client, f"/complaints/{cid}/close", {"satisfaction": "", "version": 2})
    assert response.status_code == 422
    assert 'data-field="satisfaction">请选择一项' in page(response)


def test_html_in_a_complaint_is_shown_as_text_everywhere_on_the_page(rt, client):
    cid = file(rt, customer_name="<i>x</i>", text='<script>alert("x")</script><img src=x onerror=1>').id
    sign_in(client, "op")
    post(client, f"/complaints/{cid}/contact", {"comment": "<b>bold</b>", "version": 1})
    body = page(client.get(f"/complaints/{cid}"))
    assert "<script>alert" not in body and "<img src=x" not in body and "<b>bold" not in body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body
    assert "&lt;b&gt;bold&lt;/b&gt;" in body and "&lt;i&gt;x&lt;/i&gt;" in body


def test_the_escalate_form_asks_for_a_reason_and_makes_the_complaint_major(rt, client):
    cid = file(rt).id
    sign_in(client, "desk")
    response = post(client, f"/complaints/{cid}/escalate", {"reason": "", "version": 1})
    assert response.status_code == 422 and 'data-field="reason">必填' in page(response)
    response = post(client, f"/complaints/{cid}/escalate", {"reason": "客户扬言找媒体",
                                                           "version": 1}, follow_redirects=True)
    body = page(response)
    assert "重大投诉" in body and "客户扬言找媒体" in body
