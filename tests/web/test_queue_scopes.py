"""The work queue's scopes, sorts, filters and search, and the pages around it: "waiting on
me" is what the user can act on now and is their work; chips count within the scope; a
page past the last shows the last."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.web.conftest import actor, demo_ids, file, page, sign_in
from workflow import services
from workflow.admin import demo
from workflow.domain import access
from workflow.domain.actions import allowed_actions
from workflow.domain.model import Complaint
from workflow.store import queries
from workflow.store.schema import complaints as t
from workflow.store.schema import utcnow

#: On both databases: the search and sorts are SQL of each dialect.
pytestmark = pytest.mark.both_databases


def test_waiting_on_me_is_the_same_in_sql_and_python_and_always_has_an_action(site):
    rt, _, _ = site
    with rt.uow(write=False) as uow:
        every = [Complaint.from_row(r) for r in uow.conn.execute(select(t)).mappings()]
        for username, *_ in demo.DEMO_USERS:
            me = actor(rt, username)
            in_sql = set(uow.conn.execute(select(t.c.id).where(queries.turn_clause(me))).scalars())
            mine = [c for c in every if access.is_my_turn(me, c)]
            assert in_sql == {c.id for c in mine}, username
            for c in mine:
                assert allowed_actions(uow.process, uow.policy, c, me), (username, c.id, c.state)
            if username in ("auditor", "admin"):
                assert not mine
            else:
                assert mine and all(c.state.value != "closed" for c in mine), username


def test_a_handler_sees_only_its_open_work_as_mine_and_every_row_offers_an_action(site):
    _, _, clients = site
    client = clients["network"]
    body = page(client.get("/"))
    ids = demo_ids(body)
    assert ids
    for cid in ids:
        complaint = page(client.get(f"/complaints/{cid}"))
        assert 'class="action' in complaint and "当前状态下您没有可执行的操作" not in complaint


def test_the_chips_count_within_the_scope_and_filters(site):
    _, _, clients = site
    for username in ("operator", "network", "major_desk"):
        for query in ("scope=mine", "scope=dept", "scope=all", "scope=all&severity=major"):
            body = page(clients[username].get("/?" + query))
            total = int(re.search(r"共 (\d+) 件", body).group(1))
            chips = re.findall(r'class="chip state-\w+[^"]*" data-state="\w+">[^<]+<b>(\d+)</b>', body)
            everything = int(re.search(r'data-state="">[^<]+<b>(\d+)</b>', body).group(1))
            assert sum(map(int, chips)) == everything == total, (username, query)


def test_search_finds_a_complaint_by_number_tail_mobile_last_four_name_and_text(rt, client):
    a = file(rt, mobile="13811112222", customer_name="欧阳修", text="营业厅排队太久")
    b = file(rt, mobile="13933334444", cause="tariff")
    sign_in(client, "desk")

    def found(q):
        return {x.id for x in (a, b) if f'data-id="{x.id}"' in page(client.get(f"/?scope=all&q={q}"))}

    assert found(a.number) == {a.id} and found(a.number.lower()) == {a.id}
    assert found(f"{b.id:06d}") == {b.id} and found(str(b.id)) == {b.id}
    assert found("13933334444") == {b.id} and found("2222") == {a.id}
    assert found("欧阳") == {a.id} and found("排队") == {a.id}
    assert found("TS20990101999999") == set() and found("%") == set()


def test_sorting_by_received_time_and_severity(rt, client):
    now = utcnow()
    first = file(rt, now=now - timedelta(hours=1), mobile="13800000101").id
    major = file(rt, now=now - timedelta(minutes=30), mobile="13800000102", media=True).id
    last = file(rt, now=now, mobile="13800000103").id
    sign_in(client, "desk")
    newest = demo_ids(page(client.get("/?scope=all&sort=received_new")))
    oldest = demo_ids(page(client.get("/?scope=all&sort=received_old")))
    severe = demo_ids(page(client.get("/?scope=all&sort=severity")))
    assert newest == [last, major, first] and oldest == [first, major, last]
    assert severe[0] == major


def test_filters_by_cause_channel_source_and_received_date(rt, client):
    now = utcnow()
    a = file(rt, now=now - timedelta(days=3), mobile="13800000201", channel="web").id
    b = file(rt, mobile="13800000202", cause="tariff", source="gd_cab").id
    sign_in(client, "desk")

    def ids(query):
        return set(demo_ids(page(client.get("/?scope=all&" + query))))

    assert ids("cause=tariff") == {b} and ids("channel=web") == {a}
    assert ids("source=escalated") == {b} and ids("source=gd_cab") == {b} and ids("source=direct") == {a}
    today = (now + timedelta(hours=8)).date().isoformat()
    assert ids(f"from={today}") == {b} and ids(f"to={today}") == {a, b}
    body = page(client.get("/?scope=all&from=2026-02-30"))
    assert 'data-field="from"' in body and "日期格式应为" in body


def test_a_page_past_the_last_shows_the_last(rt, client, monkeypatch):
    import web.pages.queue
    monkeypatch.setattr(web.pages.queue, "PAGE_SIZE", 2)
    ids = [file(rt, mobile=f"1380000030{i}").id for i in range(3)]
    sign_in(client, "op")
    body = page(client.get("/?page=999"))
    assert "第 2／2 页" in body and sum(f'data-id="{i}"' in body for i in ids) == 1


def test_a_paused_complaint_says_so_in_the_queue_and_on_its_page(rt, client):
    c = file(rt)
    services.act(rt, c.id, "assign", actor(rt, "op"), now=utcnow(), department="network")
    services.act(rt, c.id, "accept", actor(rt, "net"), now=utcnow())
    services.act(rt, c.id, "pause", actor(rt, "net"), now=utcnow() - timedelta(hours=2),
                 reason="等待客户提供话费清单")
    sign_in(client, "net")
    row = page(client.get("/")).split(f'data-id="{c.id}"')[1].split("</tr>")[0]
    assert "暂停计时" in row and 'data-kind="reply" data-state="paused"' in row
    assert "须于" in row                                   # resume by
    body = page(client.get(f"/complaints/{c.id}"))
    assert "暂停计时中" in body
    reply = body.split('data-kind="reply" data-state="paused"')[1].split("</li>")[0]
    assert "起暂停，已暂停 2小时" in reply and "恢复后剩余" in reply and "前恢复计时" in reply
