"""The PostgreSQL one-statement write (workflow.store.pgwrite), pinned as text: a change
to the statement the hot path sends must show up here, read and approved, not slip in
through a refactoring. Its behaviour is tested against the database in
tests/integration/test_pgwrite.py."""
from __future__ import annotations

import re

from sqlalchemy.dialects import postgresql

from states.clocks import RULES
from workflow.store import pgwrite

CLOCK = ("id, complaint_id, kind, track, cycle, duration, status, started_at, warn_at, due_at, "
         "next_at, warned_at, breached_at, stopped_at, paused_at, paused_seconds, confirmed, run")
START = ", ".join(f"%(start_{c}_0)s" for c in CLOCK.split(", ")[2:])
UPSERT = ", ".join(f"{c} = excluded.{c}" for c in CLOCK.split(", ")[3:-1])
LOG = ("INSERT INTO clock_events (complaint_id, kind, run, at, event, policy_version, track, "
       "duration, warn_at, due_at, confirmed, seconds, reason, actor, data)")


def log(x: str, event: str, seconds: str = "NULL") -> str:
    """A clock-history insert for the rows of CTE `x`."""
    return (f"l{x} AS ({LOG} SELECT {x}.complaint_id, {x}.kind, {x}.run, %(now)s, {event}, "
            f"%(clock_version)s, {x}.track, {x}.duration, {x}.warn_at, {x}.due_at, "
            f"{x}.confirmed, {seconds}, CAST(%(ev_action)s AS VARCHAR), "
            f"CAST(%(ev_actor)s AS VARCHAR), CAST('{{}}' AS JSON) FROM {x}")


def ending(x: str, met: str) -> str:
    """The run's end as `deadlines.ending` decides it, for the rows of CTE `x`."""
    left = f"({x}.due_at - COALESCE({x}.paused_at, %(now)s))"
    return log(x, f"CASE WHEN {x}.breached_at IS NOT NULL THEN 'ended' WHEN {left} >= "
                  f"INTERVAL '0' THEN '{met}' ELSE 'missed' END",
               f"CAST(CASE WHEN {x}.breached_at IS NOT NULL THEN GREATEST(0, trunc(extract("
               f"epoch FROM (%(now)s - {x}.due_at)))) ELSE abs(trunc(extract(epoch FROM "
               f"{left}))) END AS INTEGER)") + (
        f" WHERE {x}.breached_at IS NULL OR {x}.breached_at <> %(now)s)")
CONTACT = f"""
WITH u AS (UPDATE complaints SET state = %(state)s, updated_at = %(updated_at)s,
    next_due_at = LEAST((SELECT min(d.due_at) FROM deadlines d
        WHERE d.complaint_id = complaints.id AND d.status IN ('active', 'fired')
        AND NOT d.kind IN ('first_contact', 'progress_contact')), %(start_due_0)s),
    version = complaints.version + 1
    WHERE complaints.id = %(_id)s AND complaints.version = %(_version)s
    AND complaints.policy_version = %(_policy)s RETURNING complaints.id),
e AS (INSERT INTO events (complaint_id, at, actor, actor_role, action, from_state, to_state,
    comment, data) SELECT u.id, %(ev_at)s, %(ev_actor)s, %(ev_actor_role)s, %(ev_action)s,
    %(ev_from_state)s, %(ev_to_state)s, %(ev_comment)s, %(ev_data)s::JSON FROM u),
s AS (UPDATE deadlines SET status = 'stopped', next_at = NULL, stopped_at = %(now)s
    WHERE complaint_id IN (SELECT id FROM u) AND kind IN ('first_contact')
    AND status IN ('active', 'paused', 'fired') RETURNING {CLOCK}),
{ending("s", "met")},
o AS (SELECT {", ".join("d." + c for c in CLOCK.split(", "))} FROM deadlines d
    JOIN u ON d.complaint_id = u.id WHERE d.kind IN ('progress_contact')
    AND d.status IN ('active', 'paused', 'fired')),
{ending("o", "restarted")},
i AS (INSERT INTO deadlines ({CLOCK.removeprefix("id, ")}) SELECT u.id, {START} FROM u
    ON CONFLICT (complaint_id, kind) DO UPDATE SET {UPSERT}, run = deadlines.run + 1
    RETURNING {CLOCK}),
{log("i", "'started'")})
"""
ANSWER = f"""
SELECT clocks.* FROM u LEFT JOIN (SELECT {CLOCK} FROM deadlines WHERE complaint_id = %(_id)s
    AND id NOT IN (SELECT id FROM s UNION ALL SELECT id FROM i)
    UNION ALL SELECT {CLOCK} FROM s UNION ALL SELECT {CLOCK} FROM i) AS clocks
    ON true ORDER BY clocks.due_at, clocks.id
"""


def sql(prepared) -> str:
    """The statement as psycopg receives it, whitespace collapsed."""
    return flat(str(prepared.statement.compile(dialect=postgresql.dialect())))


def flat(text: str) -> str:
    """Whitespace collapsed, none inside parentheses' edges."""
    return re.sub(r"\(\s+", "(", re.sub(r"\s+", " ", text)).strip()


def test_a_contact_is_the_pinned_statement_with_its_clocks_as_the_answer():
    statement = pgwrite.statement((), RULES["contact"], ("progress_contact",), answer=True)
    assert sql(statement) == flat(CONTACT + ANSWER)


def test_without_an_answer_a_contact_returns_only_the_complaint_id():
    statement = pgwrite.statement((), RULES["contact"], ("progress_contact",), answer=False)
    assert sql(statement) == flat(CONTACT + "SELECT u.id FROM u")


def test_only_actions_whose_clock_rule_needs_no_read_are_written_in_one_statement():
    assert {a for a, rule in RULES.items() if not pgwrite.covers(rule)} == {"resume", "escalate"}


REASSIGN = """
WITH u AS (UPDATE complaints SET state = %(state)s, updated_at = %(updated_at)s,
    handler_user = %(handler_user)s, version = complaints.version + 1
    WHERE complaints.id = %(_id)s AND complaints.version = %(_version)s
    AND complaints.policy_version = %(_policy)s RETURNING complaints.id),
e AS (INSERT INTO events (complaint_id, at, actor, actor_role, action, from_state, to_state,
    comment, data) SELECT u.id, %(ev_at)s, %(ev_actor)s, %(ev_actor_role)s, %(ev_action)s,
    %(ev_from_state)s, %(ev_to_state)s, %(ev_comment)s, %(ev_data)s::JSON FROM u)
SELECT u.id FROM u
"""


def test_a_reassignment_sets_only_the_handler_of_record_and_leaves_the_clocks_alone():
    statement = pgwrite.statement(("handler_user",), RULES["reassign"], (), answer=False)
    assert sql(statement) == flat(REASSIGN)


def test_accept_writes_the_handler_of_record_in_its_one_statement():
    statement = pgwrite.statement(("handler_user",), RULES["accept"], (), answer=False)
    assert "handler_user = %(handler_user)s" in sql(statement)
    assert "UPDATE deadlines SET status = 'stopped'" in sql(statement)
