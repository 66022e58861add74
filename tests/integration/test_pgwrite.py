"""workflow.pgwrite: on PostgreSQL an action's one-statement write leaves exactly what the
statement-by-statement path leaves (state, version, history, clocks, next due time) and
answers the clocks a later read sees; a version changed meanwhile writes nothing."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from states.clocks import RULES
from tests.conftest import (AUDITOR, DESK, MARKETING, NETWORK, OPERATOR, _fresh_pg,
                            complaint_values, make_runtime)
from workflow import pgwrite, services
from workflow.actions import allowed_actions, load
from workflow.errors import Conflict
from workflow.schema import complaints, deadlines, events

ACTORS = (OPERATOR, NETWORK, MARKETING, DESK, AUDITOR)
WRITTEN = ("state", "version", "department", "routed_department", "escalation_level",
           "major_reasons", "reopen_count", "cycle", "satisfaction", "paused_at",
           "pause_count", "paused_seconds", "updated_at", "next_due_at")


@pytest.fixture
def pg(pg_database_url):
    _fresh_pg(pg_database_url)
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
    return ({k: row[k] for k in WRITTEN}, [_clock(dict(c)) for c in clocks],
            [{k: v for k, v in e.items() if k not in ("id", "complaint_id")} for e in history])


@pytest.mark.parametrize("seed", range(4))
def test_one_statement_and_separate_statements_leave_the_same_rows(pg, monkeypatch, seed):
    draw = random.Random(seed)
    now = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)
    one = services.intake(pg, OPERATOR, complaint_values(mobile="13800000001"), now=now)
    many = services.intake(pg, OPERATOR, complaint_values(mobile="13800000002"), now=now)
    one, many = one.complaint.id, many.complaint.id
    covered = set()
    calls, write = [], pgwrite.write
    monkeypatch.setattr(pgwrite, "write", lambda *a: calls.append(a) or write(*a))
    for step in range(40):
        now += timedelta(minutes=draw.randint(1, 900))
        with pg.uow(write=False) as uow:
            complaint = load(uow, one)
            choices = [(actor, action) for actor in ACTORS
                       for action in allowed_actions(uow, complaint, actor)]
        if not choices:
            break
        actor, action = draw.choice(choices)
        fields = dict(comment="已联系客户。", satisfaction="satisfied", reason="客户不满意",
                      department="marketing" if complaint.department == "network" else "network")
        calls.clear()
        acted = services.act_and_read(pg, one, action, actor, now=now, **fields)
        with monkeypatch.context() as m:
            m.setattr(pgwrite, "covers", lambda rule: False)
            separately = services.act_and_read(pg, many, action, actor, now=now, **fields)
        assert bool(calls) == pgwrite.covers(RULES.get(action)), action
        if calls:
            covered.add(action)
        assert stored(pg, one) == stored(pg, many), f"step {step}: {action} by {actor.username}"
        assert [_clock(c) for c in acted.deadlines] == stored(pg, one)[1]
        assert [_clock(c) for c in acted.deadlines] == [_clock(c) for c in separately.deadlines]
        assert acted.allowed == separately.allowed
    assert covered, "no step went through workflow.pgwrite"


def test_a_change_made_meanwhile_is_a_conflict_and_the_statement_writes_nothing(
        pg, monkeypatch):
    now = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)
    cid = services.intake(pg, OPERATOR, complaint_values(), now=now).complaint.id
    write = pgwrite.write

    def someone_else_first(conn, params, *rest):
        with pg.engine.begin() as other:     # commits before the statement runs
            other.execute(update(complaints).where(complaints.c.id == cid)
                          .values(version=complaints.c.version + 1))
        return write(conn, params, *rest)
    monkeypatch.setattr(pgwrite, "write", someone_else_first)
    before = stored(pg, cid)
    with pytest.raises(Conflict):
        services.act_and_read(pg, cid, "contact", OPERATOR, now=now + timedelta(hours=1),
                              comment="已联系客户。")
    after = stored(pg, cid)
    assert after[0]["version"] == before[0]["version"] + 1     # only the other change
    assert after[1:] == before[1:]                             # no clock, no history written
