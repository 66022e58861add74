"""workflow.store.pgwrite: on PostgreSQL a write plan sent as one statement leaves exactly
what the same plan sent statement by statement leaves (state, version, history, clocks,
next due time) and answers the clocks a later read sees; a version changed meanwhile
writes nothing; through the API that statement runs in autocommit, for every action."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from tests.apisupport import bearer, make_app, make_users_and_tokens
from tests.conftest import (
    AUDITOR,
    DESK,
    MARKETING,
    NETWORK,
    OPERATOR,
    add_holders,
    complaint_values,
    holder_for,
    make_runtime,
)
from workflow import services
from workflow.domain.errors import Conflict
from workflow.services.actions import allowed_actions
from workflow.store import pgwrite
from workflow.store import plan as plan_module
from workflow.store.complaints import load
from workflow.store.schema import clock_events, complaints, deadlines, events

ACTORS = (OPERATOR, NETWORK, MARKETING, DESK, AUDITOR)
WRITTEN = ("state", "version", "department", "routed_department", "escalation_level",
           "major_reasons", "reopen_count", "cycle", "satisfaction", "paused_at",
           "pause_count", "paused_seconds", "updated_at", "next_due_at", "handler_user")


@pytest.fixture
def pg(pg_database_url):
    rt = make_runtime(pg_database_url)
    yield rt
    rt.engine.dispose()


def _clock(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("id", "complaint_id")}


def stored(rt, cid) -> tuple:
    """What an action writes, without the ids that differ between two complaints."""
    with rt.engine.connect() as conn:
        row = conn.execute(select(complaints).where(complaints.c.id == cid)).mappings().one()
        clocks = conn.execute(select(deadlines).where(deadlines.c.complaint_id == cid)
                              .order_by(deadlines.c.due_at, deadlines.c.id)).mappings().all()
        history = conn.execute(select(events).where(events.c.complaint_id == cid)
                               .order_by(events.c.id)).mappings().all()
        entries = conn.execute(select(clock_events).where(clock_events.c.complaint_id == cid)
                               .order_by(clock_events.c.id)).mappings().all()
    return ({k: row[k] for k in WRITTEN}, [_clock(dict(c)) for c in clocks],
            [{k: v for k, v in e.items() if k not in ("id", "complaint_id")} for e in history],
            [{k: v for k, v in e.items() if k not in ("id", "complaint_id")} for e in entries])


@pytest.mark.parametrize("seed", range(4))
def test_one_statement_and_separate_statements_leave_the_same_rows(pg, monkeypatch, seed):
    draw = random.Random(seed)
    add_holders(pg)
    now = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)
    one = services.intake(pg, OPERATOR, complaint_values(mobile="13800000001"), now=now)
    many = services.intake(pg, OPERATOR, complaint_values(mobile="13800000002"), now=now)
    one, many = one.complaint.id, many.complaint.id
    covered = set()
    calls, write = [], pgwrite.write
    monkeypatch.setattr(pgwrite, "write", lambda *a, **kw: calls.append(a) or write(*a, **kw))
    for step in range(40):
        now += timedelta(minutes=draw.randint(1, 900))
        with pg.uow(write=False) as uow:
            complaint = load(uow, one)
            choices = [(actor, action) for actor in ACTORS
                       for action in allowed_actions(uow, complaint, actor)
                       if action != "attach"]       # takes a file: tests/web/test_evidence.py
        if not choices:
            break
        actor, action = draw.choice(choices)
        fields = dict(comment="已联系客户。", satisfaction="satisfied", reason="客户不满意",
                      department="marketing" if complaint.department == "network" else "network",
                      handler=holder_for(complaint))
        calls.clear()
        # The API's path (answering the clocks, autocommit) and, every other step, the
        # pages' and timer's (a transaction, no answer).
        answering = step % 2 == 0
        if answering:
            acted = services.act_and_read(pg, one, action, actor, now=now, **fields)
        else:
            services.act(pg, one, action, actor, now=now, **fields)
        with monkeypatch.context() as m:
            m.setattr(plan_module, "ONE_STATEMENT", False)
            separately = services.act_and_read(pg, many, action, actor, now=now, **fields)
        assert len(calls) == 1, action      # every action, one statement
        covered.add((action, answering))
        assert stored(pg, one) == stored(pg, many), f"step {step}: {action} by {actor.username}"
        if answering:
            assert [_clock(c) for c in acted.deadlines] == stored(pg, one)[1]
            assert [_clock(c) for c in acted.deadlines] == [_clock(c) for c in separately.deadlines]
            assert acted.allowed == separately.allowed
    assert {answering for _, answering in covered} == {True, False}, covered


def test_a_change_made_meanwhile_is_a_conflict_and_the_statement_writes_nothing(
        pg, monkeypatch):
    now = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)
    cid = services.intake(pg, OPERATOR, complaint_values(), now=now).complaint.id
    write = pgwrite.write

    def someone_else_first(conn, plan, **options):
        with pg.engine.begin() as other:     # commits before the statement runs
            other.execute(update(complaints).where(complaints.c.id == cid)
                          .values(version=complaints.c.version + 1))
        return write(conn, plan, **options)
    monkeypatch.setattr(pgwrite, "write", someone_else_first)
    before = stored(pg, cid)
    with pytest.raises(Conflict):
        services.act_and_read(pg, cid, "contact", OPERATOR, now=now + timedelta(hours=1),
                              comment="已联系客户。")
    after = stored(pg, cid)
    assert after[0]["version"] == before[0]["version"] + 1     # only the other change
    assert after[1:] == before[1:]                             # no clock, no history written


def test_an_api_action_sends_its_one_statement_outside_any_transaction(pg, monkeypatch):
    # Token read, complaint read and the write each stand alone: no BEGIN, no COMMIT.
    tokens = make_users_and_tokens(pg)
    client = make_app(pg).test_client()
    cid = client.post("/api/v1/complaints", json=complaint_values(),
                      headers=bearer(tokens["wangli"])).get_json()["id"]
    seen, write = [], pgwrite.write

    def spy_write(conn, *rest, **options):
        driver = conn.connection.driver_connection
        seen.append((driver, driver.autocommit, driver.info.transaction_status.name))
        return write(conn, *rest, **options)
    monkeypatch.setattr(pgwrite, "write", spy_write)
    contact = client.post(f"/api/v1/complaints/{cid}/actions/contact",
                          json={"comment": "已回访"}, headers=bearer(tokens["wangli"]))
    assert contact.status_code == 200 and contact.get_json()["version"] == 2
    assert [m[1:] for m in seen] == [(True, "IDLE")]
    # escalate too: its clocks were read with the complaint, its plan is one statement
    escalate = client.post(f"/api/v1/complaints/{cid}/actions/escalate",
                           json={"reason": "客户投诉到媒体"}, headers=bearer(tokens["chenjg"]))
    assert escalate.status_code == 200 and escalate.get_json()["version"] == 3
    assert [m[1:] for m in seen[1:]] == [(True, "IDLE")]
    assert all(driver.autocommit is False for driver, *_ in seen)   # given back as taken
