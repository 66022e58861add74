"""The deadline store: every write to `deadlines`, and the timer worker's claim.

An action's clock rule (start, stop, pause, resume, retrack; `apply`) runs inside the
action's unit of work, so the clocks change in the same transaction as the state and
the history event. The timer worker claims due rows here (`claim`, `peek`) and the
"deadline due" service records what a row did (`warned`, `mark_fired`, `restart`,
`clear`, `retry_at`); a calendar load moves due times (`move_due`). Only
`workflow.store.pgwrite` also writes the table: an action's clocks as one statement.
"""
from __future__ import annotations

import functools
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, func, literal_column, select, text, update

from states.clocks import CYCLE, RULES
from workflow.domain.model import Complaint
from workflow.store.fastsql import Prepared
from workflow.store.schema import complaints
from workflow.store.schema import deadlines as t

LIVE = ("active", "paused")
#: A fired clock whose step was never done stays open (overdue) until its step stops it.
OPEN = (*LIVE, "fired")
#: The clocks whose due time counts for `complaints.next_due_at` (see `refresh_next_due`).
DUE = ("active", "fired")
#: What restarting a clock overwrites (everything but its complaint and kind).
UPSERT_COLUMNS = ("track", "cycle", "duration", "status", "started_at", "warn_at", "due_at",
                   "next_at", "warned_at", "breached_at", "stopped_at", "paused_at",
                   "paused_seconds", "confirmed")


def _upsert():
    # Written as text because SQLAlchemy 2.0 cannot cache its dialect-specific
    # on_conflict_do_update constructs (they would be compiled again on every call);
    # this ON CONFLICT syntax is the same on SQLite (>= 3.24) and PostgreSQL.
    names = [c.name for c in t.columns if c.name != "id"]
    return text(
        f"INSERT INTO deadlines ({', '.join(names)}) "
        f"VALUES ({', '.join(':' + n for n in names)}) "
        "ON CONFLICT (complaint_id, kind) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in UPSERT_COLUMNS)
    ).bindparams(*(bindparam(n, type_=t.c[n].type) for n in names))


_UPSERT = Prepared(_upsert())


def _one_of(column, values):
    # Known constants rendered inline: an IN list of bound values would be expanded
    # ("post-compiled") again on every execution.
    if not all(v.isidentifier() for v in values):
        raise ValueError(f"not clock or status names: {values!r}")
    return column.in_([literal_column(f"'{v}'") for v in values])


@functools.cache
def _statements(kinds: tuple[str, ...]):
    """The stop / pause / resume statements for one set of clock kinds, built once."""
    mine = and_(t.c.complaint_id == bindparam("cid"), _one_of(t.c.kind, kinds))
    return SimpleNamespace(
        stop=Prepared(update(t).where(mine, _one_of(t.c.status, OPEN))
                      .values(status="stopped", next_at=None, stopped_at=bindparam("now"))),
        pause=Prepared(update(t).where(mine, t.c.status == "active")
                       .values(status="paused", paused_at=bindparam("now"), next_at=None)),
        paused=select(t).where(mine, t.c.status == "paused"),
        live=Prepared(select(t.c.kind).where(mine, _one_of(t.c.status, LIVE))),
    )


_ROWS = Prepared(select(t).where(t.c.complaint_id == bindparam("cid"))
               .order_by(t.c.due_at, t.c.id))


def rows(conn, complaint_id: int) -> list[dict]:
    """The complaint's clocks as dicts, nearest due first (one prepared statement)."""
    return _ROWS.all(conn, {"cid": complaint_id})


_RESUME = Prepared(update(t).where(t.c.id == bindparam("_id"))
                   .values(status="active", paused_at=None))


def plan(uow, complaint: Complaint, kinds, now: datetime) -> list[dict]:
    """Rows for clocks `kinds` started now on the complaint's track (absent clocks skipped)."""
    rows = []
    for kind in kinds:
        duration = uow.policy.deadline(complaint.track, kind)
        if duration is None:
            continue
        due, confirmed = uow.calendar.add(now, duration)
        warn = now + (due - now) * uow.policy.warning_fraction
        rows.append(dict(complaint_id=complaint.id, kind=kind, track=complaint.track,
                         cycle=complaint.cycle, duration=duration.text, status="active",
                         started_at=now, warn_at=warn, due_at=due, next_at=warn,
                         warned_at=None, breached_at=None, stopped_at=None, paused_at=None,
                         paused_seconds=0, confirmed=confirmed))
    return rows


def start(uow, complaint: Complaint, kinds, now: datetime) -> None:
    """(Re)start the clocks `kinds` from now."""
    rows = plan(uow, complaint, kinds, now)
    if rows:
        _UPSERT.execute(uow.conn, rows)


def stop(uow, complaint_id: int, kinds, now: datetime) -> None:
    """Stop the clocks `kinds` if they run."""
    _statements(tuple(kinds)).stop.execute(uow.conn, {"cid": complaint_id, "now": now})


def pause(uow, complaint_id: int, kinds, now: datetime) -> None:
    """Pause running clocks: they stop counting until resumed."""
    _statements(tuple(kinds)).pause.execute(uow.conn, {"cid": complaint_id, "now": now})


def resume(uow, complaint_id: int, kinds, now: datetime) -> int:
    """Resume paused clocks, moving their times on by the paused span; return seconds paused."""
    paused_for = 0
    rows = uow.conn.execute(_statements(tuple(kinds)).paused, {"cid": complaint_id}).all()
    for row in rows:
        span = now - row.paused_at
        paused_for = max(paused_for, int(span.total_seconds()))
        warn_at = row.warn_at + span if row.warned_at is None else row.warn_at
        due_at = row.due_at + span
        _RESUME.execute(uow.conn, dict(
            _id=row.id, warn_at=warn_at, due_at=due_at,
            next_at=warn_at if row.warned_at is None else due_at,
            paused_seconds=row.paused_seconds + int(span.total_seconds())))
    return paused_for


def retrack(uow, complaint: Complaint, now: datetime) -> None:
    """Restart every running clock of the cycle on the complaint's (new) track."""
    live = _statements(CYCLE).live.all(uow.conn, {"cid": complaint.id})
    start(uow, complaint, [row["kind"] for row in live], now)
    if complaint.paused_at is not None:  # still waiting on the customer: the new clock waits too
        pause(uow, complaint.id, RULES["pause"].pause, now)


def apply(uow, action: str, complaint: Complaint, now: datetime) -> None:
    """Apply the clock rule of `action` (see `states.clocks.RULES`)."""
    rule = RULES.get(action)
    if rule is None:
        return
    if rule.stop:
        stop(uow, complaint.id, rule.stop, now)
    if rule.pause:
        pause(uow, complaint.id, rule.pause, now)
    if rule.resume:
        resume(uow, complaint.id, rule.resume, now)
    if rule.retrack:
        retrack(uow, complaint, now)
    if rule.start:
        start(uow, complaint, rule.start, now)
    refresh_next_due(uow.conn, complaint.id)


_NEXT_DUE = (select(func.min(t.c.due_at))
             .where(t.c.complaint_id == complaints.c.id, _one_of(t.c.status, DUE))
             .scalar_subquery())
_REFRESH = Prepared(update(complaints).where(complaints.c.id == bindparam("cid"))
                    .values(next_due_at=_NEXT_DUE))


def refresh_next_due(conn, complaint_id: int) -> None:
    """Copy the complaint's nearest open due time onto `complaints.next_due_at`.

    Open means running, or fired (missed) and not yet stopped by the step it waits for,
    so a missed clock keeps the complaint overdue in the queue until the step is done.

    Called after every change of a complaint's clocks in this module.
    """
    _REFRESH.execute(conn, {"cid": complaint_id})


#: What a claimed row carries: which clock is due (`due_now` reads it as it stands).
CLAIMED = (t.c.id, t.c.complaint_id, t.c.kind, t.c.due_at, t.c.next_at)
#: What `due_now` reads of the clock: what firing it looks at.
_FIRING = ("id", "complaint_id", "kind", "duration", "status", "started_at", "due_at", "next_at")


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


_DUE_NOW = Prepared(select(complaints, *(t.c[c].label("clock_" + c) for c in _FIRING))
                    .join_from(t, complaints, complaints.c.id == t.c.complaint_id)
                    .where(t.c.id == bindparam("id")))


def due_now(conn, deadline_id: int) -> tuple[SimpleNamespace, Complaint] | None:
    """One clock (what firing it looks at) and its complaint as they are now, read in one
    statement; None if the clock is gone."""
    row = _DUE_NOW.first(conn, {"id": deadline_id})
    if row is None:
        return None
    clock = SimpleNamespace(**{c: row["clock_" + c] for c in _FIRING})
    return clock, Complaint.from_row(row)


_WARNED = Prepared(update(t).where(t.c.id == bindparam("_id"), t.c.status == "active")
                   .values(warned_at=bindparam("now"), next_at=t.c.due_at))
# Only the clock as claimed: an escalation that restarted it on a new track leaves it live.
_FIRED = Prepared(update(t).where(t.c.id == bindparam("_id"),
                                  t.c.started_at == bindparam("_started"))
                  .values(status="fired", next_at=None, breached_at=bindparam("now")))
_NEXT_AT = Prepared(update(t).where(t.c.id == bindparam("_id")).values(next_at=bindparam("at")))
_MOVE = Prepared(update(t).where(t.c.id == bindparam("_id")))


def warned(conn, deadline_id: int, now: datetime) -> None:
    """The clock warned at `now`; it is looked at again when due."""
    _WARNED.execute(conn, {"_id": deadline_id, "now": now})


def mark_fired(conn, clock, now: datetime) -> None:
    """The clock (as read, `started_at` unchanged since) breached at `now` and is done."""
    _FIRED.execute(conn, {"_id": clock.id, "_started": clock.started_at, "now": now})
    refresh_next_due(conn, clock.complaint_id)


def restart(uow, complaint: Complaint, kind: str, now: datetime) -> None:
    """A repeating clock came due: start it again for another period from `now`."""
    start(uow, complaint, [kind], now)
    refresh_next_due(uow.conn, complaint.id)


def clear(conn, deadline_id: int) -> None:
    """A clock that is not running: the worker no longer looks at it."""
    _NEXT_AT.execute(conn, {"_id": deadline_id, "at": None})


def retry_at(conn, deadline_id: int, at: datetime) -> None:
    """Look at the clock again at `at` (firing it failed)."""
    _NEXT_AT.execute(conn, {"_id": deadline_id, "at": at})


def move_due(conn, clock, *, warn_at: datetime, due_at: datetime, next_at: datetime | None,
             confirmed: bool) -> None:
    """Give a clock new warning and due times (recomputed on a newly loaded calendar)."""
    _MOVE.execute(conn, dict(_id=clock.id, warn_at=warn_at, due_at=due_at, next_at=next_at,
                             confirmed=confirmed))
    refresh_next_due(conn, clock.complaint_id)
