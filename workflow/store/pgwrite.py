"""A write plan (`workflow.store.plan.WritePlan`) as one statement on PostgreSQL.

On SQLite each statement is a call into the library in the same process; on PostgreSQL
each is a round trip that costs the server about as much again as the work it does. So
a plan goes to PostgreSQL as one data-modifying WITH that carries its values as bind
parameters and nothing else (the clock rows and history entries as a JSON document per
part, their final values as the plan has them):

    WITH k AS (SELECT id FROM complaints WHERE id = :_id FOR UPDATE),
         g AS (SELECT d.id FROM k, deadlines d, json_populate_recordset(..., :g) AS w
               WHERE d.id = w.id AND (d.status, ...) IS NOT DISTINCT FROM (w.status, ...)
               FOR UPDATE OF d),
         u AS (UPDATE complaints SET ... WHERE id = :_id AND version = :_version
               AND (SELECT count(*) FROM g) = :_n RETURNING id),
         e AS (INSERT INTO events ... SELECT ... FROM u),
         c0 AS (UPDATE deadlines SET status = v.status, ... FROM
                json_populate_recordset(NULL::deadlines, :c0) AS v WHERE id = v.id ...),
         i AS (INSERT INTO deadlines ... SELECT v.* FROM u, json_populate_recordset(...)),
         l AS (INSERT INTO clock_events ... SELECT v.* FROM u, json_populate_recordset(...))
    SELECT <the complaint's clocks as the statement leaves them> FROM u LEFT JOIN ...

Every part reads `u`, so when the version check fails nothing at all is written and no
row comes back (the caller raises `Conflict`). So too when a clock row the plan updates
is no longer as the domain loaded it (`ClockPlan.loaded`: `g` finds fewer rows than the
plan carries): the timer worker changes clocks without bumping the version. `k` locks
the complaint first (the order of the worker's claim and of an action), and `g` locks
the clock rows: a locking read compares the latest committed row, not the statement's
snapshot, so a change the worker committed while this statement waited is seen.
The parts and the final SELECT share one snapshot taken before any of them ran, so
the clocks answered are the unchanged rows plus what the parts RETURN for the rows they
wrote: what a read after the statement sees. The statement text depends only on the
plan's shape (which columns, how many rows), so it is built and prepared once per shape.
"""
from __future__ import annotations

import functools
import json
from datetime import datetime

from sqlalchemy import String, bindparam, column, text

from workflow.domain.clocks import AS_LOADED
from workflow.store.fastsql import Prepared
from workflow.store.schema import complaints, deadlines, events

_ALL = ", ".join(c.name for c in deadlines.columns)
_RETURNING = ", ".join("deadlines." + c.name for c in deadlines.columns)
_AS_LOADED = (f"({', '.join('d.' + c for c in AS_LOADED)}) IS NOT DISTINCT FROM "
              f"({', '.join('w.' + c for c in AS_LOADED)})")


def _json(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not a value a plan carries: {value!r}")


def _rows(rows: list[dict]) -> str:
    """Rows of values as one JSON document (`json_populate_recordset` unpacks it)."""
    return json.dumps(rows, default=_json, ensure_ascii=False)


def _recordset(table: str, bind: str) -> str:
    return f"json_populate_recordset(NULL::{table}, CAST(:{bind} AS JSON)) WITH ORDINALITY AS v"


@functools.cache
def statement(columns: tuple[str, ...], versioned: bool, event: bool,
              updates: tuple[tuple[str, ...], ...], inserts: tuple[str, ...],
              entries: tuple[str, ...], answer: bool, checked: bool = False) -> Prepared:
    """The one statement for a plan of this shape: the complaint `columns` it sets,
    whether its update is `versioned` and `checked` on clocks as loaded, whether it has
    an `event`, the column sets of its clock updates (each set one part, its rows a JSON
    document), the columns of its clock inserts and history entries (none: no such
    part); it answers the clocks after it, or
    (not `answer`) only the complaint's id. The rows travel as one JSON document per
    part, so that the text and the number of binds do not grow with them (psycopg
    parses a statement again on every call past 4,096 characters or 50 binds)."""
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
    parts = []
    if checked:
        parts += ["k AS (SELECT id FROM complaints WHERE id = :_id FOR UPDATE)",
                  "g AS (SELECT d.id FROM k, deadlines d, json_populate_recordset("
                  "NULL::deadlines, CAST(:g AS JSON)) AS w WHERE d.complaint_id = k.id "
                  f"AND d.id = w.id AND {_AS_LOADED} FOR UPDATE OF d)"]
        where += " AND (SELECT count(*) FROM g) = :_n"
        binds += [bindparam("g", type_=String()), bindparam("_n", type_=t.version.type)]
    if sets:
        parts += [f"u AS (UPDATE complaints SET {', '.join(sets)} WHERE {where} "
                 "RETURNING complaints.id)"]
    else:
        parts += [f"u AS (SELECT complaints.id FROM complaints WHERE {where})"]
    if event:
        names = tuple(c.name for c in events.columns if c.name not in ("id", "complaint_id"))
        parts.append(f"e AS (INSERT INTO events (complaint_id, {', '.join(names)}) "
                     f"SELECT u.id, {', '.join(':ev_' + c for c in names)} FROM u)")
        binds += [bindparam("ev_" + c, type_=events.c[c].type) for c in names]
    written = []
    for k, changed in enumerate(updates):
        sets = ", ".join(f"{c} = v.{c}" for c in changed)
        parts.append(f"c{k} AS (UPDATE deadlines SET {sets} FROM {_recordset('deadlines', f'c{k}')} "
                     "WHERE deadlines.id = v.id AND deadlines.complaint_id IN (SELECT id FROM u) "
                     f"RETURNING {_RETURNING})")
        binds.append(bindparam(f"c{k}", type_=String()))
        written.append(f"c{k}")
    if inserts:
        parts.append(f"i AS (INSERT INTO deadlines ({', '.join(inserts)}) "
                     f"SELECT {', '.join('v.' + c for c in inserts)} "
                     f"FROM u, {_recordset('deadlines', 'i')} ORDER BY v.ordinality "
                     f"RETURNING {_ALL})")
        binds.append(bindparam("i", type_=String()))
        written.append("i")
    if entries:
        parts.append(f"l AS (INSERT INTO clock_events ({', '.join(entries)}) "
                     f"SELECT {', '.join('v.' + c for c in entries)} "
                     f"FROM u, {_recordset('clock_events', 'l')} ORDER BY v.ordinality)")
        binds.append(bindparam("l", type_=String()))
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
    groups: dict[tuple, list] = {}
    for clock_id, changed in clocks.updates:
        groups.setdefault(tuple(changed), []).append(dict(changed, id=clock_id))
    for k, rows in enumerate(groups.values()):
        values[f"c{k}"] = _rows(rows)
    if clocks.loaded:
        values["g"] = _rows([dict(loaded, id=clock_id)
                             for clock_id, loaded in clocks.loaded.items()])
        values["_n"] = len(clocks.loaded)
    inserts = tuple(clocks.inserts[0]) if clocks.inserts else ()
    if inserts:
        values["i"] = _rows(clocks.inserts)
    entries = tuple(clocks.entries[0]) if clocks.entries else ()
    if entries:
        values["l"] = _rows(clocks.entries)
    shape = (tuple(plan.columns), plan.version is not None, plan.event is not None,
             tuple(groups), inserts, entries, answer, bool(clocks.loaded))
    return statement(*shape), values


def write(conn, plan, *, answer: bool = False) -> list[dict] | None:
    """Write the plan as one statement; return the complaint's clocks after it (as
    `workflow.store.plan.clocks_of` reads them; [] when not `answer`), or None when the
    version check failed, or a clock was not as loaded, and nothing was written."""
    prepared, values = compiled(plan, answer)
    rows = prepared.all(conn, values)
    if not rows:
        return None
    return [] if not answer or rows[0]["id"] is None else rows
