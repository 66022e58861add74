"""The handler of record on each database, through the real services and both write paths
(SQLite's statements, PostgreSQL's one statement): accept sets it, transfer and
escalation clear it, a reassignment works within the department and is refused across
it; "我接的单" and the API's `handler=` list exactly what a user holds."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.apisupport import bearer, make_app, make_users_and_tokens
from tests.conftest import DESK, NETWORK, OPERATOR, complaint_values
from workflow import services
from workflow.admin.directory import actor_for, create_user, set_lead
from workflow.domain.errors import Forbidden, ValidationError
from workflow.store import queries
from workflow.store.schema import complaints, events


def _users(rt, now):
    with rt.uow() as uow:
        for name, dept in (("zhangwei", "network"), ("huangtao", "network"),
                           ("netlead", "network"), ("lina", "marketing")):
            create_user(uow.conn, name, name, "handler", dept, None, now=now)
        set_lead(uow.conn, "netlead", True)
        uow.commit()
        return {n: actor_for(uow.conn, n) for n in ("zhangwei", "huangtao", "netlead", "lina")}


def _assigned(rt, now, **values) -> int:
    cid = services.intake(rt, OPERATOR, complaint_values(**values), now=now).complaint.id
    services.act(rt, cid, "assign", OPERATOR, now=now, department="network")
    return cid


def _held(rt, cid):
    with rt.engine.connect() as conn:
        return conn.execute(select(complaints.c.handler_user)
                            .where(complaints.c.id == cid)).scalar()


def test_accept_sets_the_handler_and_transfer_clears_it(rt, now):
    users = _users(rt, now)
    cid = _assigned(rt, now)
    assert _held(rt, cid) is None
    services.act(rt, cid, "accept", users["zhangwei"], now=now)
    assert _held(rt, cid) == "zhangwei"
    services.act(rt, cid, "transfer", users["zhangwei"], now=now, department="marketing",
                 reason="属资费问题")
    assert _held(rt, cid) is None
    services.act(rt, cid, "accept", users["lina"], now=now)
    assert _held(rt, cid) == "lina"


def test_the_api_path_that_reads_back_sets_the_handler_too(rt, now):
    users = _users(rt, now)
    cid = _assigned(rt, now)
    acted = services.act_and_read(rt, cid, "accept", users["huangtao"], now=now)
    assert acted.complaint.handler_user == "huangtao" and _held(rt, cid) == "huangtao"
    assert acted.deadlines      # the clocks came back from the same statement


def test_an_escalation_by_hand_and_by_the_desk_again_clears_the_handler(rt, now):
    users = _users(rt, now)
    cid = _assigned(rt, now)
    services.act(rt, cid, "accept", users["zhangwei"], now=now)
    services.act(rt, cid, "escalate", DESK, now=now, reason="客户多次来电")
    assert _held(rt, cid) is None
    services.act(rt, cid, "accept", DESK, now=now)
    assert _held(rt, cid) == DESK.username
    services.act(rt, cid, "escalate", DESK, now=now, reason="领导督办")   # level 2, stays
    assert _held(rt, cid) is None


def test_the_lead_reassigns_within_the_department_and_is_refused_across_it(rt, now):
    users = _users(rt, now)
    cid = _assigned(rt, now)
    services.act(rt, cid, "accept", users["zhangwei"], now=now)
    services.act(rt, cid, "reassign", users["netlead"], now=now, handler="huangtao",
                 comment="张伟休假，改由黄涛跟进")
    assert _held(rt, cid) == "huangtao"
    with rt.engine.connect() as conn:
        last = conn.execute(select(events).where(events.c.complaint_id == cid)
                            .order_by(events.c.id.desc())).first()
    assert last.action == "reassign" and last.data == {"handler": "huangtao",
                                                       "from_handler": "zhangwei"}
    with pytest.raises(ValidationError) as refused:
        services.act(rt, cid, "reassign", users["netlead"], now=now, handler="lina")
    assert refused.value.errors["handler"].code == "handler_other_department"
    with pytest.raises(Forbidden):
        services.act(rt, cid, "reassign", users["zhangwei"], now=now, handler="zhangwei")
    services.act(rt, cid, "reassign", DESK, now=now, handler="zhangwei")
    assert _held(rt, cid) == "zhangwei"


def test_assigned_to_me_lists_exactly_the_complaints_the_user_holds(rt, now):
    users = _users(rt, now)
    mine = [_assigned(rt, now, mobile=f"1391234567{i}") for i in range(3)]
    other = _assigned(rt, now, mobile="13712345678")
    unheld = _assigned(rt, now, mobile="13612345678")
    for cid in mine:
        services.act(rt, cid, "accept", users["zhangwei"], now=now)
    services.act(rt, other, "accept", users["huangtao"], now=now)
    services.act(rt, mine[2], "reassign", users["netlead"], now=now, handler="huangtao")
    with rt.uow(write=False) as uow:
        def listed(actor, **filters):
            rows, total, _, _ = queries.queue_page(uow, actor, queries.Filters(**filters),
                                                   now=now)
            assert total == len(rows)
            return {c.id for c, _ in rows}
        assert listed(users["zhangwei"], scope="assigned") == set(mine[:2])
        assert listed(users["huangtao"], scope="assigned") == {other, mine[2]}
        assert listed(users["netlead"], scope="assigned") == set()
        assert listed(DESK, scope="all", handler="huangtao") == {other, mine[2]}
        assert unheld in listed(NETWORK, scope="dept")


def test_the_api_shows_the_handler_and_filters_by_it(rt, now):
    tokens = make_users_and_tokens(rt)      # zhangwei (network), chenjg (desk), ...
    client = make_app(rt).test_client()
    held = _assigned(rt, now)
    free = _assigned(rt, now, mobile="13912340000")
    answer = client.post(f"/api/v1/complaints/{held}/actions/accept", json={"comment": ""},
                         headers=bearer(tokens["zhangwei"]))
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["handler"] == {"username": "zhangwei", "display_name": "张伟"}
    detail = client.get(f"/api/v1/complaints/{held}", headers=bearer(tokens["chenjg"])).get_json()
    assert detail["handler"] == {"username": "zhangwei", "display_name": "张伟"}
    assert client.get(f"/api/v1/complaints/{free}",
                      headers=bearer(tokens["chenjg"])).get_json()["handler"] is None
    mine = client.get("/api/v1/complaints?handler=mine", headers=bearer(tokens["zhangwei"]))
    assert [c["id"] for c in mine.get_json()["items"]] == [held]
    assert mine.get_json()["items"][0]["handler"] == "zhangwei"
    named = client.get("/api/v1/complaints?handler=zhangwei", headers=bearer(tokens["chenjg"]))
    assert [c["id"] for c in named.get_json()["items"]] == [held]
    bad = client.get("/api/v1/complaints?handler=" + "x" * 61, headers=bearer(tokens["chenjg"]))
    assert bad.status_code == 422 and "handler" in bad.get_json()["errors"]
    refused = client.post(f"/api/v1/complaints/{held}/actions/reassign",
                          json={"comment": "", "handler": "lina"},
                          headers=bearer(tokens["chenjg"]))
    assert refused.status_code == 422
    assert "not in the department" in refused.get_json()["errors"]["handler"]
