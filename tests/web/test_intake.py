"""The intake form: routing, deadlines, major reasons, repeats, errors, double submits."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.web.conftest import page, post, sign_in
from workflow.store.schema import complaints

FORM = dict(channel="hotline", source="direct", mobile="13912345678", customer_name="李女士",
            cause="tariff", complainant_count="1", text="套餐资费被无故上调。")


def count(rt):
    with rt.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(complaints)).scalar()


def test_the_form_offers_causes_grouped_by_their_department(client):
    sign_in(client, "op")
    body = page(client.get("/complaints/new"))
    market = body.split('<optgroup label="市场部">')[1].split("</optgroup>")[0]
    assert "资费争议" in market and "信号覆盖" not in market
    assert "广东省通信管理局" in body


def test_saving_shows_the_routed_department_and_the_deadlines(rt, client):
    sign_in(client, "op")
    response = post(client, "/complaints/new", {**FORM, "key": "k1"})
    assert response.status_code == 302 and "filed=1" in response.headers["Location"]
    body = page(client.get(response.headers["Location"]))
    filed = body.split('class="panel filed"')[1].split("</section>")[0]
    assert "按规范分派给" in filed and "市场部" in filed
    assert "答复时限" in body and "首次联系时限" in body


def test_a_major_complaint_shows_its_reasons_and_a_repeat_links_to_the_earlier_one(rt, client):
    sign_in(client, "desk")
    first = post(client, "/complaints/new", {**FORM, "key": "a"}).headers["Location"]
    earlier_id = re.search(r"/complaints/(\d+)", first).group(1)
    second = post(client, "/complaints/new", {**FORM, "key": "b", "media": "on",
                                              "complainant_count": "5"})
    body = page(client.get(second.headers["Location"]))
    filed = body.split('class="panel filed"')[1].split("</section>")[0]
    assert "媒体曝光" in filed and "群体投诉" in filed
    assert f'href="/complaints/{earlier_id}"' in filed and "重复投诉" in filed


def test_bad_fields_are_marked_and_what_was_typed_is_kept(rt, client):
    sign_in(client, "op")
    response = post(client, "/complaints/new", {**FORM, "mobile": "12345", "cause": "",
                                                "complainant_count": "many", "key": "k"})
    body = page(response)
    assert response.status_code == 422
    assert 'data-field="mobile">须为 11 位手机号码' in body
    assert 'data-field="cause">请选择' in body and 'data-field="complainant_count"' in body
    assert 'value="12345"' in body and "套餐资费被无故上调。" in body
    assert count(rt) == 0


@pytest.mark.both_databases      # the duplicate is refused by each database
def test_a_form_submitted_twice_files_one_complaint(rt, client):
    sign_in(client, "op")
    a = post(client, "/complaints/new", {**FORM, "key": "same"})
    b = post(client, "/complaints/new", {**FORM, "key": "same"})
    assert a.headers["Location"] == b.headers["Location"] and count(rt) == 1


def test_an_escalated_complaint_goes_to_the_customer_service_centre(rt, client):
    sign_in(client, "op")
    response = post(client, "/complaints/new", {**FORM, "source": "gd_cab", "key": "e"})
    body = page(client.get(response.headers["Location"]))
    assert "当前由 客户服务中心 处理" in body and "越级" in body and "上级回复时限" in body
