"""The PostgreSQL one-statement write of a plan (workflow.store.pgwrite), pinned as text:
a change to the statement the hot path sends must show up here, read and approved, not
slip in through a refactoring. It carries the plan's values and nothing else (see also
tests/integration/test_no_rule_in_sql.py); its behaviour is tested against the database
in tests/integration/test_pgwrite.py."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from sqlalchemy.dialects.postgresql import psycopg

from workflow.domain.clocks import ClockPlan, entry
from workflow.store import pgwrite
from workflow.store.plan import WritePlan

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)
CLOCK = ("id, complaint_id, kind, track, cycle, duration, status, started_at, warn_at, due_at, "
         "next_at, warned_at, breached_at, stopped_at, paused_at, paused_seconds, confirmed, run")
TS = "TIMESTAMP WITH TIME ZONE"
ENTRY = ("complaint_id, kind, run, at, event, policy_version, track, duration, warn_at, due_at, "
         "confirmed, seconds, reason, actor, data")
RETURNING = ", ".join("deadlines." + c for c in CLOCK.split(", "))
CONTACT = f"""
WITH u AS (UPDATE complaints SET state = %(state)s::VARCHAR, updated_at = %(updated_at)s::{TS},
    next_due_at = %(next_due_at)s::{TS}, version = complaints.version + 1
    WHERE complaints.id = %(_id)s::BIGINT AND complaints.version = %(_version)s::INTEGER
    AND complaints.policy_version = %(_policy)s::INTEGER RETURNING complaints.id),
e AS (INSERT INTO events (complaint_id, at, actor, actor_role, action, from_state, to_state,
    comment, data) SELECT u.id, %(ev_at)s::{TS}, %(ev_actor)s::VARCHAR,
    %(ev_actor_role)s::VARCHAR, %(ev_action)s::VARCHAR, %(ev_from_state)s::VARCHAR,
    %(ev_to_state)s::VARCHAR, %(ev_comment)s::VARCHAR, %(ev_data)s::JSON FROM u),
c0 AS (UPDATE deadlines SET status = v.status, next_at = v.next_at, stopped_at = v.stopped_at
    FROM json_populate_recordset(NULL::deadlines, CAST(%(c0)s::VARCHAR AS JSON))
    WITH ORDINALITY AS v WHERE deadlines.id = v.id
    AND deadlines.complaint_id IN (SELECT id FROM u) RETURNING {RETURNING}),
l AS (INSERT INTO clock_events ({ENTRY}) SELECT {", ".join("v." + c for c in ENTRY.split(", "))}
    FROM u, json_populate_recordset(NULL::clock_events, CAST(%(l)s::VARCHAR AS JSON))
    WITH ORDINALITY AS v ORDER BY v.ordinality)
"""
ANSWER = f"""
SELECT clocks.* FROM u LEFT JOIN (SELECT {CLOCK} FROM deadlines WHERE complaint_id = %(_id)s::BIGINT
    AND id NOT IN (SELECT id FROM c0) UNION ALL SELECT {CLOCK} FROM c0) AS clocks
    ON true ORDER BY clocks.due_at, clocks.id
"""


def flat(text: str) -> str:
    """Whitespace collapsed, none inside parentheses' edges."""
    return re.sub(r"\(\s+", "(", re.sub(r"\s+", " ", text)).strip()


def sql(plan: WritePlan, answer: bool) -> str:
    """The statement as psycopg receives it, whitespace collapsed."""
    prepared, values = pgwrite.compiled(plan, answer)
    return flat(prepared.sql(psycopg.dialect(), tuple(values)))


def contact_plan() -> WritePlan:
    """A contact's plan: the first-contact clock stopped (met), its entry and another."""
    clock = dict(id=3, complaint_id=7, kind="first_contact", run=1, track="normal",
                 duration="24h", warn_at=NOW, due_at=NOW + timedelta(hours=5), confirmed=True)
    entries = [entry(clock, "met", NOW, 1, seconds=18000, reason="contact", actor="zhangwei"),
               entry(clock, "started", NOW, 1, reason="contact", actor="zhangwei")]
    event = dict(complaint_id=7, at=NOW, actor="zhangwei", actor_role="handler",
                 action="contact", from_state="handling", to_state="handling", comment="已联系",
                 data={})
    return WritePlan.of(7, ClockPlan(updates=[(3, dict(status="stopped", next_at=None,
                                                       stopped_at=NOW))],
                                     entries=entries, next_due=NOW + timedelta(hours=48)),
                        dict(state="handling", updated_at=NOW), version=4, policy_version=1,
                        event=event)


def test_a_contact_plan_is_the_pinned_statement_with_its_clocks_as_the_answer():
    assert sql(contact_plan(), answer=True) == flat(CONTACT + ANSWER)


def test_without_an_answer_a_plan_returns_only_the_complaint_id():
    assert sql(contact_plan(), answer=False) == flat(CONTACT + "SELECT u.id FROM u")


def test_the_statement_binds_every_value_of_the_plan_as_the_plan_has_it():
    plan = contact_plan()
    _, values = pgwrite.compiled(plan, False)
    assert values["next_due_at"] == NOW + timedelta(hours=48)
    assert json.loads(values["c0"]) == [dict(status="stopped", next_at=None,
                                             stopped_at="2026-11-30T01:00:00+00:00", id=3)]
    assert [e["event"] for e in json.loads(values["l"])] == ["met", "started"]
    assert values["ev_comment"] == "已联系" and values["_version"] == 4


def test_more_clock_rows_travel_in_the_same_statement_text_and_binds():
    plan = contact_plan()
    more = contact_plan()
    more.clocks.entries = more.clocks.entries * 5
    assert pgwrite.compiled(plan)[0] is pgwrite.compiled(more)[0]
    text = sql(more, answer=True)
    assert len(text) < 4096 and text.count("%(") < 50   # what psycopg caches parsed


def test_a_plan_without_clock_changes_leaves_the_clocks_and_the_next_due_time_alone():
    plan = WritePlan.of(7, ClockPlan(), dict(state="handling", updated_at=NOW,
                                             handler_user="lina"), version=4, policy_version=1)
    statement = sql(plan, answer=False)
    assert "handler_user = %(handler_user)s::VARCHAR" in statement
    assert "deadlines" not in statement and "next_due_at" not in statement


def test_a_plan_updating_clocks_checks_them_as_loaded_and_writes_nothing_otherwise():
    plan = contact_plan()
    loaded = dict(run=1, status="active", due_at=NOW + timedelta(hours=5), next_at=NOW,
                  warned_at=None, breached_at=None)
    plan.clocks.loaded = {3: loaded}
    statement = sql(plan, answer=True)
    assert statement.startswith(
        "WITH k AS (SELECT id FROM complaints WHERE id = %(_id)s::BIGINT FOR UPDATE), "
        "g AS (SELECT d.id FROM k, deadlines d, json_populate_recordset(NULL::deadlines, "
        "CAST(%(g)s::VARCHAR AS JSON)) AS w WHERE d.complaint_id = k.id AND d.id = w.id AND "
        "(d.run, d.status, d.due_at, d.next_at, d.warned_at, d.breached_at) IS NOT DISTINCT "
        "FROM (w.run, w.status, w.due_at, w.next_at, w.warned_at, w.breached_at) "
        "FOR UPDATE OF d), u AS (UPDATE complaints SET ")
    assert ("AND complaints.policy_version = %(_policy)s::INTEGER "
            "AND (SELECT count(*) FROM g) = %(_n)s::INTEGER RETURNING complaints.id)") in statement
    _, values = pgwrite.compiled(plan, True)
    assert json.loads(values["g"]) == [dict(loaded, id=3, due_at="2026-11-30T06:00:00+00:00",
                                            next_at="2026-11-30T01:00:00+00:00")]
    assert values["_n"] == 1
    assert len(statement) < 4096 and statement.count("%(") < 50
