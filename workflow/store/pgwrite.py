"""An action's writes as one statement on PostgreSQL.

On SQLite an action's writes are separate statements (`workflow.services.actions`, then
`workflow.store.deadlines.apply`), each a call into the library in the same process. On
PostgreSQL each statement is a round trip and costs the server about as much again
as the work it does, so for the actions whose clock rule needs nothing read first
(everything but `resume` and `escalate`, see `covers`) the versioned complaint update,
the history insert, the clock stop / pause / (re)start and the next-due time go to the
server as one data-modifying WITH:

    WITH u AS (UPDATE complaints ... WHERE id = :_id AND version = :_version RETURNING id),
         e AS (INSERT INTO events ... SELECT ... FROM u),
         s AS (UPDATE deadlines SET status = 'stopped' WHERE complaint_id IN (SELECT id FROM u)),
         p AS (UPDATE deadlines SET status = 'paused' ...),
         i AS (INSERT INTO deadlines ... SELECT ... FROM u ... ON CONFLICT ... DO UPDATE ...)
    SELECT <the complaint's clocks as the statement leaves them> FROM u LEFT JOIN ...

Everything but `u` reads `u`'s RETURNING, so when the version check fails nothing at all
is written and no row comes back (the caller raises `Conflict`, as on the
statement-by-statement path). Each part is the statement the other path runs, with the
same conditions. What differs: the parts and the final SELECT share one snapshot, taken
before any of them ran, so
- `next_due_at` cannot be read back from the changed clocks (as
  `deadlines.refresh_next_due` does): it is worked out from the clocks as they were and
  what this action does to them (see `_next_due`);
- the clocks answered are the unchanged rows plus what the parts RETURN for the rows
  they changed: what `deadlines.rows` would read after the statement.
`workflow.services.act_and_read` runs it in autocommit (it is atomic by itself), so an
API action is three round trips (token, complaint, this) instead of ten. SQLite's path
is unchanged.
"""
from __future__ import annotations

import functools

from sqlalchemy import bindparam, column, text

from states.clocks import ClockRule
from workflow.store.deadlines import DUE, OPEN, UPSERT_COLUMNS
from workflow.store.fastsql import Prepared
from workflow.store.schema import complaints, deadlines, events

_ALL = ", ".join(c.name for c in deadlines.columns)

_EVENT_COLUMNS = ("at", "actor", "actor_role", "action", "from_state", "to_state", "comment",
                  "data")
_CLOCK_COLUMNS = ("kind", *UPSERT_COLUMNS, "run")
_LOG_COLUMNS = ("complaint_id", "kind", "run", "at", "event", "policy_version", "track",
                "duration", "warn_at", "due_at", "confirmed", "seconds", "reason", "actor",
                "data")


def _log(source: str, event: str, seconds: str = "NULL", where: str = "") -> str:
    """An INSERT of clock history entries for the rows of CTE `source` (see
    `workflow.store.deadlines.entry`; `event` and `seconds` are SQL on `source`'s row)."""
    x = source
    values = (f"{x}.complaint_id, {x}.kind, {x}.run, :now, {event}, :clock_version, "
              f"{x}.track, {x}.duration, {x}.warn_at, {x}.due_at, {x}.confirmed, {seconds}, "
              f"CAST(:ev_action AS VARCHAR), CAST(:ev_actor AS VARCHAR), CAST('{{}}' AS JSON)")
    return (f"l{x} AS (INSERT INTO clock_events ({', '.join(_LOG_COLUMNS)}) "
            f"SELECT {values} FROM {x}{where})")


def _ending(x: str, met: str) -> tuple[str, str, str]:
    """`workflow.store.deadlines.ending` in SQL, for the rows of CTE `x`: (event,
    seconds, the condition that leaves out a run the worker is firing right now)."""
    left = f"({x}.due_at - COALESCE({x}.paused_at, :now))"
    event = (f"CASE WHEN {x}.breached_at IS NOT NULL THEN 'ended' "
             f"WHEN {left} >= INTERVAL '0' THEN '{met}' ELSE 'missed' END")
    seconds = (f"CAST(CASE WHEN {x}.breached_at IS NOT NULL "
               f"THEN GREATEST(0, trunc(extract(epoch FROM (:now - {x}.due_at)))) "
               f"ELSE abs(trunc(extract(epoch FROM {left}))) END AS INTEGER)")
    return event, seconds, f" WHERE {x}.breached_at IS NULL OR {x}.breached_at <> :now"


def covers(rule: ClockRule | None) -> bool:
    """Whether this module writes an action with this clock rule (no read needed first)."""
    if rule is None:
        return True
    touched = [*rule.stop, *rule.pause, *rule.start]
    return not (rule.resume or rule.retrack) and len(touched) == len(set(touched))


def _names(kinds) -> str:
    if not all(k.isidentifier() for k in kinds):
        raise ValueError(f"not clock or status names: {kinds!r}")
    return ", ".join(f"'{k}'" for k in kinds)


def _next_due(rule: ClockRule, started: tuple[str, ...]) -> str:
    """The nearest open due time once the action is done, from the clocks before it.

    Open is active or fired, as in `deadlines.refresh_next_due`. Stopped kinds are no
    longer open; a paused kind's active clocks are not (its fired ones still are);
    started kinds count with their new due times (`:start_due_N`), not their old rows.
    (A kind the rule starts that has no duration on this track is not started, and its
    row, if any, counts as it is; the policy requires every kind these rules start.)
    """
    gone = []
    if rule.stop or started:
        gone.append(f"d.kind IN ({_names((*rule.stop, *started))})")
    if rule.pause:
        gone.append(f"(d.kind IN ({_names(rule.pause)}) AND d.status = 'active')")
    old = ("(SELECT min(d.due_at) FROM deadlines d WHERE d.complaint_id = complaints.id "
           f"AND d.status IN ({_names(DUE)}){''.join(f' AND NOT {g}' for g in gone)})")
    if not started:
        return old
    return f"LEAST({old}, {', '.join(f':start_due_{n}' for n in range(len(started)))})"


@functools.cache
def statement(changed: tuple[str, ...], rule: ClockRule, started: tuple[str, ...],
              answer: bool = True) -> Prepared:
    """The one statement for an action that sets `changed` complaint columns (besides
    state and updated_at) and does `rule` to the clocks, (re)starting the kinds `started`;
    it answers the clocks after it, or (not `answer`) only the complaint's id."""
    n_start = len(started)
    sets = ", ".join(f"{c} = :{c}" for c in ("state", "updated_at", *changed))
    if rule != ClockRule():     # an action without a clock rule leaves the clocks alone
        sets += f", next_due_at = {_next_due(rule, started)}"
    parts = [
        f"u AS (UPDATE complaints SET {sets}, version = complaints.version + 1 "
        "WHERE complaints.id = :_id AND complaints.version = :_version "
        "AND complaints.policy_version = :_policy RETURNING complaints.id)",
        f"e AS (INSERT INTO events (complaint_id, {', '.join(_EVENT_COLUMNS)}) "
        f"SELECT u.id, {', '.join(':ev_' + c for c in _EVENT_COLUMNS)} FROM u)",
    ]
    if rule.stop:
        parts.append(
            "s AS (UPDATE deadlines SET status = 'stopped', next_at = NULL, stopped_at = :now "
            f"WHERE complaint_id IN (SELECT id FROM u) AND kind IN ({_names(rule.stop)}) "
            f"AND status IN ({_names(OPEN)}) RETURNING {_ALL})")
        parts.append(_log("s", *_ending("s", "met")))
    if rule.pause:
        parts.append(
            "p AS (UPDATE deadlines SET status = 'paused', paused_at = :now, next_at = NULL "
            f"WHERE complaint_id IN (SELECT id FROM u) AND kind IN ({_names(rule.pause)}) "
            f"AND status = 'active' RETURNING {_ALL})")
        parts.append(_log("p", "'paused'"))
    if n_start:
        # The runs these starts replace, as they were before the statement (every part
        # reads the same snapshot): their end goes into the history.
        parts.append(
            f"o AS (SELECT {', '.join('d.' + c.name for c in deadlines.columns)} "
            "FROM deadlines d JOIN u ON d.complaint_id = u.id "
            f"WHERE d.kind IN ({_names(started)}) AND d.status IN ({_names(OPEN)}))")
        parts.append(_log("o", *_ending("o", "restarted")))
        rows = " UNION ALL ".join(
            f"SELECT u.id, {', '.join(f':start_{c}_{n}' for c in _CLOCK_COLUMNS)} FROM u"
            for n in range(n_start))
        parts.append(
            f"i AS (INSERT INTO deadlines (complaint_id, {', '.join(_CLOCK_COLUMNS)}) {rows} "
            "ON CONFLICT (complaint_id, kind) DO UPDATE SET "
            f"{', '.join(f'{c} = excluded.{c}' for c in UPSERT_COLUMNS)}, "
            f"run = deadlines.run + 1 RETURNING {_ALL})")
        parts.append(_log("i", "'started'"))
    t, ev, d = complaints.c, events.c, deadlines.c
    binds = [bindparam(c, type_=t[c].type) for c in ("state", "updated_at", *changed)]
    binds += [bindparam("_id", type_=t.id.type), bindparam("_version", type_=t.version.type),
              bindparam("_policy", type_=t.policy_version.type)]
    binds += [bindparam(f"ev_{c}", type_=ev[c].type) for c in _EVENT_COLUMNS]
    if rule.stop or rule.pause or n_start:
        binds.append(bindparam("now", type_=d.stopped_at.type))
        binds.append(bindparam("clock_version", type_=t.policy_version.type))
    for n in range(n_start):
        binds += [bindparam(f"start_{c}_{n}", type_=d[c].type) for c in _CLOCK_COLUMNS]
        binds.append(bindparam(f"start_due_{n}", type_=d.due_at.type))
    if not answer:
        sql = f"WITH {', '.join(parts)} SELECT u.id FROM u"
        return Prepared(text(sql).bindparams(*binds).columns(column("id", t.id.type)))
    changed_rows = [name for name, present in (("s", rule.stop), ("p", rule.pause),
                                               ("i", n_start)) if present]
    unchanged = f"SELECT {_ALL} FROM deadlines WHERE complaint_id = :_id"
    if changed_rows:
        ids = " UNION ALL ".join(f"SELECT id FROM {name}" for name in changed_rows)
        unchanged += f" AND id NOT IN ({ids})"
    clocks = " UNION ALL ".join([unchanged, *(f"SELECT {_ALL} FROM {n}" for n in changed_rows)])
    # One row per clock, or one row of NULLs if the complaint has none; none at all if
    # the version check failed.
    sql = (f"WITH {', '.join(parts)} SELECT clocks.* FROM u LEFT JOIN ({clocks}) AS clocks "
           "ON true ORDER BY clocks.due_at, clocks.id")
    return Prepared(text(sql).bindparams(*binds).columns(
        *(column(c.name, c.type) for c in deadlines.columns)))


def write(conn, params: dict, event: dict, rule: ClockRule | None, starts: list[dict],
          now, version: int, answer: bool = True) -> list[dict] | None:
    """Write one action (see the module docstring); return the complaint's clocks after it
    (as `deadlines.rows` reads them; [] when not `answer`), or None when the version check
    failed.

    `params`: the complaint columns to set plus `_id` and `_version`, as the
    statement-by-statement path binds them; `event`: the history row; `starts`: the clock
    rows to (re)start (`workflow.store.deadlines.plan`); `version`: the policy version the
    complaint is pinned to, for the clocks' history entries."""
    rule = rule or ClockRule()
    changed = tuple(c for c in params
                    if c not in ("state", "updated_at", "_id", "_version", "_policy"))
    values = dict(params)
    values.update({f"ev_{c}": event[c] for c in _EVENT_COLUMNS})
    if rule.stop or rule.pause or starts:
        values["now"], values["clock_version"] = now, version
    for n, row in enumerate(starts):
        values.update({f"start_{c}_{n}": row[c] for c in _CLOCK_COLUMNS})
        values[f"start_due_{n}"] = row["due_at"]
    started = tuple(row["kind"] for row in starts)
    rows = statement(changed, rule, started, answer).all(conn, values)
    if not rows:
        return None
    return [] if not answer or rows[0]["id"] is None else rows
