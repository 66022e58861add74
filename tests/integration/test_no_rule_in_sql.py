"""Every write plan of every action and of the timer carries values, not rules: the SQL
each one compiles to on SQLite and on PostgreSQL has no literal to decide with ('met',
'missed', a status), no CASE, no least/greatest/min/max/coalesce over due times, no time
arithmetic, no bigram function; nor has the search (it binds the phrase's bigrams). The
domain decided those values (`workflow.domain.clocks`, `workflow.store.search.bigrams`);
the store only writes them (`workflow.store.plan`)."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, text

from states.process import ACTIONS
from tests.conftest import DESK, NETWORK, OPERATOR, add_holders, complaint_values, holder_for
from tests.timers.helpers import FakeClock, sweep_at, worker_on
from workflow import services
from workflow.store import plan as plan_module
from workflow.store import search
from workflow.store.complaints import load
from workflow.store.queries import search_clause
from workflow.store.schema import complaints

#: What a rule in SQL would look like.
RULES = {
    "a quoted literal": re.compile(r"'"),
    "CASE": re.compile(r"\bCASE\b", re.I),
    "a min/max/least/greatest/coalesce": re.compile(
        r"\b(min|max|least|greatest|coalesce)\s*\(", re.I),
    "time arithmetic": re.compile(r"\b(interval|extract|epoch|trunc|now)\b|\bjulianday\b",
                                  re.I),
    "a bigram function": re.compile(r"complaint_(bi)?grams", re.I),
    "a subquery over deadlines' due times": re.compile(r"due_at\s*[<>]", re.I),
}


def rule_in(sql: str) -> list[str]:
    """The names of the rules found in `sql`."""
    return [name for name, pattern in RULES.items() if pattern.search(sql)]


def test_the_check_finds_the_rules_the_old_statement_had():
    old = ("UPDATE complaints SET next_due_at = LEAST((SELECT min(d.due_at) FROM deadlines d "
           "WHERE d.status IN ('active', 'fired')), %(start_due_0)s); INSERT INTO clock_events "
           "SELECT CASE WHEN s.breached_at IS NOT NULL THEN 'ended' WHEN (s.due_at - "
           "COALESCE(s.paused_at, %(now)s)) >= INTERVAL '0' THEN 'met' ELSE 'missed' END")
    assert set(rule_in(old)) == {"a quoted literal", "CASE", "a min/max/least/greatest/coalesce",
                                 "time arithmetic"}
    assert rule_in("SELECT complaint_bigrams(text, customer_name)") == ["a bigram function"]


def test_no_write_plan_of_any_action_or_of_the_timer_compiles_to_a_rule(rt, now, monkeypatch):
    seen: dict[str, list[str]] = {}
    write = plan_module.write

    def record(conn, plan, **options):
        what = plan.event["action"] if plan.event else "timer or intake"
        sql = plan_module.statements(plan, conn.dialect, answer=options.get("answer", False))
        if conn.dialect.name == "postgresql":
            assert len(sql) == 1, what       # one statement, whatever the plan
            # within what psycopg keeps prepared (see test_pgwrite_statement.py)
            assert len(sql[0]) < 4096 and sql[0].count("%(") < 50, (what, len(sql[0]))
        seen.setdefault(what, []).extend(sql)
        return write(conn, plan, **options)
    monkeypatch.setattr(plan_module, "write", record)

    add_holders(rt)
    cid = services.intake(rt, OPERATOR, complaint_values(), now=now).complaint.id
    steps = [("assign", OPERATOR, {"department": "network"}), ("accept", NETWORK, {}),
             ("contact", NETWORK, {"comment": "已联系客户"}),
             ("pause", NETWORK, {"reason": "等待客户提供资料"}), ("resume", NETWORK, {}),
             ("transfer", NETWORK, {"department": "marketing", "reason": "非本部门问题"}),
             ("escalate", DESK, {"reason": "客户投诉到媒体"}), ("accept", DESK, {}),
             ("reassign", DESK, {}),
             ("reply", DESK, {"comment": "已处理"}), ("reopen", OPERATOR, {"reason": "客户不满意"}),
             ("accept", DESK, {}), ("reply", DESK, {"comment": "已再次处理"}),
             ("close", OPERATOR, {"satisfaction": "satisfied"})]
    when = now
    for action, actor, fields in steps:
        when += timedelta(minutes=30)
        if action == "reassign":
            with rt.uow(write=False) as uow:
                fields = {"handler": holder_for(load(uow, cid))}
        services.act_and_read(rt, cid, action, actor, now=when, **fields)
    # The timer: a repeating clock restarted, a warning, a breach that escalates, one
    # that closes (a replied complaint's auto-close).
    other = services.intake(rt, OPERATOR, complaint_values(), now=now).complaint.id
    services.act(rt, other, "assign", OPERATOR, now=now, department="network")
    services.act(rt, other, "accept", NETWORK, now=now)
    services.act(rt, other, "contact", NETWORK, now=now, comment="已联系")
    worker = worker_on(rt, FakeClock(now))
    try:
        for days in (1, 2, 3):
            sweep_at(worker, now + timedelta(days=days))
        services.act(rt, other, "accept", DESK, now=now + timedelta(days=3))     # escalated
        services.act(rt, other, "reply", DESK, now=now + timedelta(days=3, hours=1),
                     comment="已答复")
        sweep_at(worker, now + timedelta(days=12))
    finally:
        worker.close()
    with rt.uow(write=False) as uow:
        assert load(uow, other).state.value == "closed"     # the auto-close ran

    assert set(seen) >= set(ACTIONS) - {"attach"} | {"timer or intake"}
    found = {what: rule_in(sql) for what, texts in seen.items() for sql in texts if rule_in(sql)}
    assert found == {}


def test_the_search_binds_the_phrase_s_bigrams_and_no_sql_function_decides_one(rt, now):
    cid = services.intake(rt, OPERATOR, complaint_values(text="地下车库没有信号",
                                                         customer_name="周老师"),
                          now=now).complaint.id
    with rt.uow(write=False) as uow:
        compiled = select(complaints.c.id).where(search_clause("车库信号")).compile(uow.conn)
        assert rule_in(str(compiled)) == []
        stored = uow.conn.execute(select(complaints.c.search_bigrams)
                                  .where(complaints.c.id == cid)).scalar()
        if uow.conn.dialect.name == "postgresql":
            assert compiled.params["bigrams"] == ["信号", "库信", "车库"]
            assert stored == search.bigrams("地下车库没有信号", "周老师")
            assert uow.conn.execute(text("SELECT count(*) FROM pg_proc WHERE proname LIKE "
                                         "'complaint_%grams'")).scalar() == 0
        else:                   # the FTS5 table serves: its tokens come from the same rule
            assert stored is None
            assert compiled.params[compiled.positiontup[0]] == search.fts_query("车库信号")
