"""A write as a plan: what the domain decided, written as it is.

A `WritePlan` is one complaint's writes with every value already final: the complaint's
columns (with the version check of an action), the history event, the clock rows to
insert and to update, their history entries. The store does not interpret it: no rule,
no value worked out, no row read to decide something. `write` compiles it for the
connection's dialect from this one description:

- SQLite (and PostgreSQL with `ONE_STATEMENT` off): statements one by one, each
  prepared once per shape (`workflow.store.fastsql`), in this order: the complaint
  update (nothing else runs when its version check fails, or when a clock row the plan
  updates is no longer as the domain loaded it: `ClockPlan.loaded`), the event, the
  clock inserts and updates, the history entries;
- PostgreSQL: the same writes as one data-modifying WITH (`workflow.store.pgwrite`).

Either way the answer is the complaint's clocks after the write (`answer`), read, not
worked out, or None when the version check failed and nothing was written.

The check on the clocks as loaded compares values, as the version check does: the timer
worker warns, fires, restarts and moves clocks without bumping the complaint's version,
and a plan decided on a clock it changed meanwhile must not overwrite it.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

from sqlalchemy import bindparam, exists, insert, select, update

from workflow.domain.clocks import AS_LOADED, BRIEF, ClockPlan
from workflow.store import pgwrite
from workflow.store.fastsql import Prepared
from workflow.store.schema import clock_events, complaints, deadlines, events


@dataclass
class WritePlan:
    """One complaint's writes, every value final."""

    complaint_id: int
    columns: dict = field(default_factory=dict)   # complaint columns -> values
    version: int | None = None      # set: only on this version (and policy), bumping it
    policy_version: int | None = None
    event: dict | None = None       # an `events` row
    clocks: ClockPlan = field(default_factory=ClockPlan)

    @classmethod
    def of(cls, complaint_id: int, clocks: ClockPlan, columns: dict | None = None,
           **parts) -> "WritePlan":
        """A plan writing `clocks`, with the complaint's next due time among `columns`
        whenever the clocks change."""
        columns = dict(columns or {})
        if clocks:
            columns["next_due_at"] = clocks.next_due
        return cls(complaint_id, columns, clocks=clocks, **parts)


#: Whether PostgreSQL gets a plan as one statement (the differential test turns it off).
ONE_STATEMENT = True


def write(conn, plan: WritePlan, *, answer: bool = False) -> list[dict] | None:
    """Write the plan in the caller's transaction; return the complaint's clocks after it
    when `answer` (else []), or None when the version check failed or a clock it updates
    is no longer as loaded (nothing written)."""
    if ONE_STATEMENT and conn.dialect.name == "postgresql":
        return pgwrite.write(conn, plan, answer=answer)
    return separately(conn, plan, answer=answer)


@functools.cache
def _complaint_update(versioned: bool, checked: int = 0) -> Prepared:
    """The complaint's update; `checked`: on that many clock rows still as loaded."""
    t, d = complaints.c, deadlines.c
    statement = update(complaints).where(t.id == bindparam("_id"))
    if versioned:
        # The policy version too: a migration to another version (workflow.admin.policy)
        # does not bump the complaint's version, and an action decided on the old one
        # must not land.
        statement = statement.where(t.version == bindparam("_version"),
                                    t.policy_version == bindparam("_policy"))
        statement = statement.values(version=t.version + 1)
    for k in range(checked):
        statement = statement.where(exists().where(
            d.id == bindparam(f"_c{k}"),
            *(d[c].is_not_distinct_from(bindparam(f"_c{k}_{c}", type_=d[c].type))
              for c in AS_LOADED)))
    return Prepared(statement)


def _as_loaded(loaded: dict[int, dict]) -> dict:
    """The binds of `_complaint_update(..., len(loaded))`."""
    params = {}
    for k, (clock_id, values) in enumerate(loaded.items()):
        params[f"_c{k}"] = clock_id
        params.update({f"_c{k}_{c}": values[c] for c in AS_LOADED})
    return params


_INSERT_EVENT = Prepared(insert(events))
_INSERT_CLOCKS = Prepared(insert(deadlines))
_UPDATE_CLOCK = Prepared(update(deadlines).where(deadlines.c.id == bindparam("_id")))
_INSERT_ENTRIES = Prepared(insert(clock_events))
_CLOCKS = Prepared(select(deadlines).where(deadlines.c.complaint_id == bindparam("cid"))
                   .order_by(deadlines.c.due_at, deadlines.c.id))


_CLOCKS_FOR = Prepared(select(deadlines).where(deadlines.c.complaint_id == bindparam("cid")))
_NAMES = tuple(c.name for c in deadlines.columns)
_WHOLE = tuple(range(len(_NAMES)))
_BRIEF = tuple(_NAMES.index(c) for c in BRIEF)
_KIND = _NAMES.index("kind")


def clocks_of(conn, complaint_id: int) -> list[dict]:
    """The complaint's clocks as dicts, nearest due first (one prepared statement)."""
    return _CLOCKS.all(conn, {"cid": complaint_id})


def clocks_for(conn, complaint_id: int, kinds) -> list[dict]:
    """The complaint's clocks for the domain to plan on: of `kinds` whole, the others
    brief (see `pick_clocks`)."""
    rows, picker = _CLOCKS_FOR.fetch(conn, {"cid": complaint_id})
    return pick_clocks(rows, picker, 0, kinds)


def pick_clocks(rows, picker, offset: int, kinds) -> list[dict]:
    """`deadlines` rows fetched unconverted (`Prepared.fetch`; their columns from
    `offset` on): of `kinds` every column, of the others only what the domain reads of a
    clock an action leaves alone (`workflow.domain.clocks.BRIEF`). SQLite's times are
    text: converting all of them costs more than the rest of reading the row."""
    if not rows:
        return []
    whole = picker(tuple(offset + i for i in _WHOLE), _NAMES)
    brief = picker(tuple(offset + i for i in _BRIEF), BRIEF)
    kind = offset + _KIND
    return [(whole if row[kind] in kinds else brief)(row) for row in rows]


def statements(plan: WritePlan, dialect, *, answer: bool = False) -> list[str]:
    """The SQL texts `write` sends for this plan on `dialect`, in order: for review, and
    for the test that no rule is in them."""
    if ONE_STATEMENT and dialect.name == "postgresql":
        prepared, values = pgwrite.compiled(plan, answer)
        return [prepared.sql(dialect, tuple(values))]
    params = dict(plan.columns, _id=plan.complaint_id, **_as_loaded(plan.clocks.loaded))
    out = []
    versioned = plan.version is not None
    if versioned:
        params.update(_version=plan.version, _policy=plan.policy_version)
    if versioned or plan.columns:
        update_ = _complaint_update(versioned, len(plan.clocks.loaded))
        out.append(update_.sql(dialect, tuple(params)))
    if plan.event is not None:
        out.append(_INSERT_EVENT.sql(dialect, tuple(plan.event)))
    clocks = plan.clocks
    out += [_INSERT_CLOCKS.sql(dialect, tuple(row)) for row in clocks.inserts[:1]]
    out += [_UPDATE_CLOCK.sql(dialect, (*values, "_id")) for _, values in clocks.updates]
    out += [_INSERT_ENTRIES.sql(dialect, tuple(row)) for row in clocks.entries[:1]]
    if answer:
        out.append(_CLOCKS.sql(dialect, ("cid",)))
    return out


def _many(prepared: Prepared, conn, rows: list[dict]) -> None:
    if rows:
        prepared.execute(conn, rows if len(rows) > 1 else rows[0])


def separately(conn, plan: WritePlan, *, answer: bool = False) -> list[dict] | None:
    """The plan as one statement per part (see the module)."""
    checked = plan.clocks.loaded
    params = dict(plan.columns, _id=plan.complaint_id, **_as_loaded(checked))
    versioned = plan.version is not None
    if versioned:
        params.update(_version=plan.version, _policy=plan.policy_version)
    if versioned or plan.columns:
        written = _complaint_update(versioned, len(checked)).execute(conn, params)
        if (versioned or checked) and written != 1:
            return None
    if plan.event is not None:
        _INSERT_EVENT.execute(conn, plan.event)
    clocks = plan.clocks
    _many(_INSERT_CLOCKS, conn, clocks.inserts)
    # Consecutive updates of the same columns (a close stopping every clock) as one
    # executemany.
    batch: list[dict] = []
    for clock_id, values in clocks.updates:
        row = dict(values, _id=clock_id)
        if batch and row.keys() != batch[0].keys():
            _many(_UPDATE_CLOCK, conn, batch)
            batch = []
        batch.append(row)
    _many(_UPDATE_CLOCK, conn, batch)
    _many(_INSERT_ENTRIES, conn, clocks.entries)
    return clocks_of(conn, plan.complaint_id) if answer else []
