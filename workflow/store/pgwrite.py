"""A write plan (`workflow.store.plan.WritePlan`) as one statement on PostgreSQL.

On SQLite each statement is a call into the library in the same process; on PostgreSQL
each is a round trip that costs the server about as much again as the work it does. So
a plan goes to PostgreSQL as one data-modifying WITH that carries its values as bind
parameters and nothing else:

    WITH u AS (UPDATE complaints SET ... WHERE id = :_id AND version = :_version
               RETURNING id),
         e AS (INSERT INTO events ... SELECT ... FROM u),
         c0 AS (UPDATE deadlines SET <final values> WHERE id = :c0__id AND ... u),
         i AS (INSERT INTO deadlines ... SELECT <final values> FROM u UNION ALL ...),
         l AS (INSERT INTO clock_events ... SELECT <entries> FROM u UNION ALL ...)
    SELECT <the complaint's clocks as the statement leaves them> FROM u LEFT JOIN ...

Every part reads `u`, so when the version check fails nothing at all is written and no
row comes back (the caller raises `Conflict`). The parts and the final SELECT share one
snapshot taken before any of them ran, so the clocks answered are the unchanged rows
plus what the parts RETURN for the rows they wrote: what a read after the statement
sees. The statement text depends only on the plan's shape (which columns, how many
rows), so it is built and prepared once per shape.
"""
from __future__ import annotations

import functools

from sqlalchemy import bindparam, column, text

from workflow.store.fastsql import Prepared
from workflow.store.schema import clock_events, complaints, deadlines, events

_ALL = ", ".join(c.name for c in deadlines.columns)


def _rows_of(columns: tuple[str, ...], prefix: str, n: int) -> str:
    """`SELECT <row 0> FROM u UNION ALL ...`: `n` rows of bound values (psycopg's dialect
    casts each to its column's type: `%(x)s::TIMESTAMP WITH TIME ZONE`)."""
    return " UNION ALL ".join(
        f"SELECT {', '.join(f':{prefix}{k}_{c}' for c in columns)} FROM u" for k in range(n))


@functools.cache
def statement(columns: tuple[str, ...], versioned: bool, event: bool,
              updates: tuple[tuple[str, ...], ...], inserts: tuple[str, ...], n_inserts: int,
              entries: tuple[str, ...], n_entries: int, answer: bool) -> Prepared:
    """The one statement for a plan of this shape: the complaint `columns` it sets,
    whether its update is `versioned`, whether it has an `event`, the columns of each
    clock update, the columns and number of clock inserts and history entries; it
    answers the clocks after it, or (not `answer`) only the complaint's id."""
    t = complaints.c
    binds = [bindparam(c, type_=t[c].type) for c in columns]
    binds.append(bindparam("_id", type_=t.id.type))
    sets = [f"{c} = :{c}" for c in columns]
    where = "complaints.id = :_id"
    if versioned:
        sets.append("version = complaints.version + 1")
        where += " AND complaints.version = :_version AND complaints.policy_version = :_policy"
        binds += [bindparam("_version", type_=t.version.type),
                  bindparam("_policy", type_=t.policy_version.type)]
    if sets:
        parts = [f"u AS (UPDATE complaints SET {', '.join(sets)} WHERE {where} "
                 "RETURNING complaints.id)"]
    else:
        parts = [f"u AS (SELECT complaints.id FROM complaints WHERE {where})"]
    if event:
        names = tuple(c.name for c in events.columns if c.name not in ("id", "complaint_id"))
        parts.append(f"e AS (INSERT INTO events (complaint_id, {', '.join(names)}) "
                     f"SELECT u.id, {', '.join(':ev_' + c for c in names)} "
                     "FROM u)")
        binds += [bindparam("ev_" + c, type_=events.c[c].type) for c in names]
    written = []
    for k, changed in enumerate(updates):
        sets = ", ".join(f"{c} = :c{k}_{c}" for c in changed)
        parts.append(f"c{k} AS (UPDATE deadlines SET {sets} WHERE deadlines.id = :c{k}__id "
                     f"AND deadlines.complaint_id IN (SELECT id FROM u) RETURNING {_ALL})")
        binds += [bindparam(f"c{k}_{c}", type_=deadlines.c[c].type) for c in changed]
        binds.append(bindparam(f"c{k}__id", type_=deadlines.c.id.type))
        written.append(f"c{k}")
    if n_inserts:
        parts.append(f"i AS (INSERT INTO deadlines ({', '.join(inserts)}) "
                     f"{_rows_of(inserts, 'i', n_inserts)} RETURNING {_ALL})")
        binds += [bindparam(f"i{k}_{c}", type_=deadlines.c[c].type)
                  for k in range(n_inserts) for c in inserts]
        written.append("i")
    if n_entries:
        parts.append(f"l AS (INSERT INTO clock_events ({', '.join(entries)}) "
                     f"{_rows_of(entries, 'l', n_entries)})")
        binds += [bindparam(f"l{k}_{c}", type_=clock_events.c[c].type)
                  for k in range(n_entries) for c in entries]
    if not answer:
        sql = f"WITH {', '.join(parts)} SELECT u.id FROM u"
        return Prepared(text(sql).bindparams(*binds).columns(column("id", t.id.type)))
    unchanged = f"SELECT {_ALL} FROM deadlines WHERE complaint_id = :_id"
    if written:
        ids = " UNION ALL ".join(f"SELECT id FROM {name}" for name in written)
        unchanged += f" AND id NOT IN ({ids})"
    clocks = " UNION ALL ".join([unchanged, *(f"SELECT {_ALL} FROM {n}" for n in written)])
    # One row per clock, or one row of NULLs if the complaint has none; none at all if
    # the version check failed.
    sql = (f"WITH {', '.join(parts)} SELECT clocks.* FROM u LEFT JOIN ({clocks}) AS clocks "
           "ON true ORDER BY clocks.due_at, clocks.id")
    return Prepared(text(sql).bindparams(*binds).columns(
        *(column(c.name, c.type) for c in deadlines.columns)))


def compiled(plan, answer: bool = False) -> tuple[Prepared, dict]:
    """The plan's statement and its parameters."""
    clocks = plan.clocks
    values = dict(plan.columns, _id=plan.complaint_id)
    if plan.version is not None:
        values.update(_version=plan.version, _policy=plan.policy_version)
    if plan.event is not None:
        values.update({"ev_" + c: v for c, v in plan.event.items() if c != "complaint_id"})
    for k, (clock_id, changed) in enumerate(clocks.updates):
        values.update({f"c{k}_{c}": v for c, v in changed.items()})
        values[f"c{k}__id"] = clock_id
    inserts = tuple(clocks.inserts[0]) if clocks.inserts else ()
    for k, row in enumerate(clocks.inserts):
        values.update({f"i{k}_{c}": row[c] for c in inserts})
    entries = tuple(clocks.entries[0]) if clocks.entries else ()
    for k, row in enumerate(clocks.entries):
        values.update({f"l{k}_{c}": row[c] for c in entries})
    event = plan.event is not None
    shape = (tuple(plan.columns), plan.version is not None, event,
             tuple(tuple(changed) for _, changed in clocks.updates), inserts,
             len(clocks.inserts), entries, len(clocks.entries), answer)
    return statement(*shape), values


def write(conn, plan, *, answer: bool = False) -> list[dict] | None:
    """Write the plan as one statement; return the complaint's clocks after it (as
    `workflow.store.plan.clocks_of` reads them; [] when not `answer`), or None when the
    version check failed and nothing was written."""
    prepared, values = compiled(plan, answer)
    rows = prepared.all(conn, values)
    if not rows:
        return None
    return [] if not answer or rows[0]["id"] is None else rows
