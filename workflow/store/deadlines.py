"""The deadline store: the timer worker's claim and what firing a clock writes, and the
moves of due times.

An action's clocks are decided by the domain (`workflow.domain.clocks.Clocks`) and
written with the action as one plan (`workflow.store.plan`). The timer worker claims
due rows here (`claim`, `peek`) and the "deadline due" service records what a row did
(`warned`, `breaching`, `mark_fired`, `restart`, `clear`, `retry_at`); a calendar load
or a policy migration moves due times (`move_due`). Where a clock's times or the
complaint's next due time change, the values are the domain's too, written as a plan.

Every change of a clock also appends its entry to `clock_events` (the clock's history,
kept forever), in the same transaction: started, paused, resumed, moved, warned, and
the run's end (`workflow.domain.clocks.ending`), or elapsed (an auto-close period ran
out).
"""
from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update

from workflow.domain import clocks as rules
from workflow.domain.clocks import DUE, LIVE, OPEN, ClockPlan, Clocks, entry
from workflow.domain.model import Complaint
from workflow.store import plan
from workflow.store.fastsql import Prepared
from workflow.store.schema import clock_events, complaint_columns, complaints
from workflow.store.schema import deadlines as t

__all__ = ["DUE", "LIVE", "OPEN", "EVENTS", "entry", "rows", "claim", "peek", "due_now",
           "warned", "breaching", "breach_did", "mark_fired", "restart", "clear",
           "retry_at", "move_due"]

#: The clock's history entries (`clock_events.event`).
EVENTS = ("started", "paused", "resumed", "moved", "warned", "met", "missed", "ended",
          "restarted", "elapsed")

rows = plan.clocks_of

_LOG = Prepared(insert(clock_events))
_LOG_ID = Prepared(insert(clock_events).returning(clock_events.c.id))
_EFFECT = Prepared(update(clock_events).where(clock_events.c.id == bindparam("_id")))


def log(conn, entries: list[dict]) -> None:
    """Append clock history entries."""
    if entries:
        _LOG.execute(conn, entries if len(entries) > 1 else entries[0])


#: What a claimed row carries: which clock is due (`due_now` reads it as it stands).
CLAIMED = (t.c.id, t.c.complaint_id, t.c.kind, t.c.due_at, t.c.next_at)
#: What `due_now` reads of the clock: what firing it looks at.
_FIRING = ("id", "complaint_id", "kind", "run", "track", "duration", "status", "started_at",
           "warn_at", "due_at", "next_at", "confirmed", "breached_at")


@functools.cache
def claim_query(dialect: str, batch: int):
    """The sweep's claim: live rows due by `:now`, oldest first (uses ix_deadlines_next_at)."""
    query = (select(*CLAIMED).where(t.c.next_at.is_not(None), t.c.next_at <= bindparam("now"))
             .order_by(t.c.next_at).limit(batch))
    if dialect == "postgresql":
        # Lock the complaint too, before any write: an action locks the complaint first
        # and its clocks after, so taking both here in that order cannot deadlock with
        # it, and a complaint being acted on right now is simply skipped this pass.
        query = (query.join(complaints, complaints.c.id == t.c.complaint_id)
                 .with_for_update(of=(t, complaints), skip_locked=True))
    return query


def claim(conn, now: datetime, batch: int) -> list:
    """Up to `batch` live rows due by `now`, oldest first (`CLAIMED` columns); on PostgreSQL
    locked with their complaints (`FOR UPDATE SKIP LOCKED`): workers never share a row."""
    return conn.execute(claim_query(conn.dialect.name, batch), {"now": now}).all()


_PEEK = select(t.c.next_at).where(t.c.next_at.is_not(None)).order_by(t.c.next_at).limit(1)


def peek(conn) -> datetime | None:
    """The oldest live `next_at`, or None: one index probe, no lock."""
    return conn.execute(_PEEK).scalar()


_DUE_NOW = Prepared(select(*complaint_columns, *(t.c[c].label("clock_" + c) for c in _FIRING))
                    .join_from(t, complaints, complaints.c.id == t.c.complaint_id)
                    .where(t.c.id == bindparam("id")))


def due_now(conn, deadline_id: int) -> tuple["_Clock", Complaint] | None:
    """One clock (what firing it looks at) and its complaint as they are now, read in one
    statement; None if the clock is gone."""
    row = _DUE_NOW.first(conn, {"id": deadline_id})
    if row is None:
        return None
    return _Clock({c: row["clock_" + c] for c in _FIRING}), Complaint.from_row(row)


class _Clock(dict):
    """A clock as `due_now` read it: its columns as attributes and as keys."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


_WARNED = Prepared(update(t).where(t.c.id == bindparam("_id"), t.c.status == "active")
                   .values(warned_at=bindparam("now"), next_at=t.c.due_at))
# Only the clock as claimed: an escalation that restarted it on a new track leaves it live.
_FIRED = Prepared(update(t).where(t.c.id == bindparam("_id"),
                                  t.c.started_at == bindparam("_started"))
                  .values(status="fired", next_at=None, breached_at=bindparam("now")))
_NEXT_AT = Prepared(update(t).where(t.c.id == bindparam("_id")).values(next_at=bindparam("at")))
# The worker is firing this run now: set before the breach's action, so that a stop or
# restart the action does to it is not taken for the run's end (see `ending`).
_BREACHING = Prepared(update(t).where(t.c.id == bindparam("_id"),
                                      t.c.started_at == bindparam("_started"))
                      .values(breached_at=bindparam("now")))
_MOVE = Prepared(update(t).where(t.c.id == bindparam("_id")))


def warned(conn, clock, complaint: Complaint, now: datetime) -> None:
    """The clock warned at `now`; it is looked at again when due."""
    _WARNED.execute(conn, {"_id": clock.id, "now": now})
    log(conn, [entry(clock, "warned", now, complaint.policy_version, reason="timer",
                     actor="system")])


def breaching(conn, clock, complaint: Complaint, now: datetime) -> int:
    """The worker fires the clock at `now`: record the miss (an auto-close period:
    elapsed) before the breach's action; return the entry's id, for `breach_did`."""
    _BREACHING.execute(conn, {"_id": clock.id, "_started": clock.started_at, "now": now})
    event = "elapsed" if clock.kind == "auto_close" else "missed"
    late = max(0, int((now - clock.due_at).total_seconds()))
    values = entry(clock, event, now, complaint.policy_version, seconds=late, reason="timer",
                   actor="system")
    return _LOG_ID.first(conn, values)["id"]


def breach_did(conn, entry_id: int, effect: dict) -> None:
    """What the breach recorded by `breaching` did (escalated to which level, notified
    whom, closed), filled in in the same transaction: committed, the entry is whole."""
    _EFFECT.execute(conn, {"_id": entry_id, "data": {"effect": effect}})


def mark_fired(conn, clock, now: datetime) -> None:
    """The clock (as read, `started_at` unchanged since) breached at `now` and is done."""
    clocks = plan.clocks_for(conn, clock.complaint_id, {clock.kind})
    row = next((r for r in clocks if r["id"] == clock.id), None)
    if row is None or row["started_at"] != clock.started_at:
        return
    changed = dict(status="fired", next_at=None, breached_at=now)
    row.update(changed)
    plan.write(conn, plan.WritePlan.of(clock.complaint_id, ClockPlan(
        updates=[(clock.id, changed)], next_due=rules.next_due(clocks))))


def restart(uow, complaint: Complaint, kind: str, now: datetime) -> None:
    """A repeating clock came due: start it again for another period from `now`."""
    work = Clocks(complaint, plan.clocks_for(uow.conn, complaint.id, {kind}),
                  uow.policy_for(complaint), uow.calendar, now, reason="repeat", actor="system")
    work.start([kind])
    plan.write(uow.conn, plan.WritePlan.of(complaint.id, work.plan()))


def clear(conn, deadline_id: int) -> None:
    """A clock that is not running: the worker no longer looks at it."""
    _NEXT_AT.execute(conn, {"_id": deadline_id, "at": None})


def retry_at(conn, deadline_id: int, at: datetime) -> None:
    """Look at the clock again at `at` (firing it failed)."""
    _NEXT_AT.execute(conn, {"_id": deadline_id, "at": at})


def move_due(conn, clock, *, warn_at: datetime, due_at: datetime, next_at: datetime | None,
             confirmed: bool, now: datetime, version: int, reason: str, actor: str,
             duration: str | None = None) -> None:
    """Give a clock new warning and due times (recomputed on a newly loaded calendar, or
    on another policy version: `reason` "calendar" or "policy"), with its history entry."""
    changed = dict(warn_at=warn_at, due_at=due_at, next_at=next_at, confirmed=confirmed)
    if duration is not None:
        changed["duration"] = duration
    clocks = plan.clocks_for(conn, clock["complaint_id"], ())
    for row in clocks:
        if row["id"] == clock["id"]:
            row.update(changed)
    moved = int((due_at - clock["due_at"]).total_seconds())
    logged = {k: v for k, v in changed.items() if k != "next_at"}
    history = entry(clock, "moved", now, version, seconds=moved, reason=reason, actor=actor,
                    data={"due_before": clock["due_at"].isoformat()}, **logged)
    plan.write(conn, plan.WritePlan.of(clock["complaint_id"], ClockPlan(
        updates=[(clock["id"], changed)], entries=[history], next_due=rules.next_due(clocks))))
