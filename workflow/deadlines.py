"""Deadline rows: start, stop, pause, resume and retrack the clocks of one complaint.

Called inside an action's unit of work, so the clocks change in the same transaction
as the state and the history event. The timer worker only reads `next_at` to know
when to look at a row again.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from states.clocks import CYCLE, RULES
from workflow.model import Complaint
from workflow.schema import deadlines as t

LIVE = ("active", "paused")
_UPSERT_COLUMNS = ("track", "cycle", "duration", "status", "started_at", "warn_at", "due_at",
                   "next_at", "warned_at", "breached_at", "stopped_at", "paused_at",
                   "paused_seconds", "confirmed")


def _upsert(dialect: str):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(t)
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.complaint_id, t.c.kind],
        set_={c: getattr(stmt.excluded, c) for c in _UPSERT_COLUMNS})
    # SQLAlchemy has no cache key for ON CONFLICT and would compile it on every call
    # (~1 ms, the largest cost of an escalation): compile it once, as typed text.
    names = ("complaint_id", "kind", *_UPSERT_COLUMNS)
    compiler = {"postgresql": postgresql, "sqlite": sqlite}[dialect].dialect(paramstyle="named")
    sql = str(stmt.values({n: bindparam(n) for n in names}).compile(dialect=compiler,
                                                                 for_executemany=True))
    return text(sql).bindparams(*(bindparam(n, type_=t.c[n].type) for n in names))


_UPSERTS = {name: _upsert(name) for name in ("sqlite", "postgresql")}
_STOP = (update(t).where(and_(t.c.complaint_id == bindparam("cid"),
                              t.c.kind.in_(bindparam("kinds", expanding=True)),
                              t.c.status.in_(LIVE)))
         .values(status="stopped", next_at=None, stopped_at=bindparam("now")))


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
        uow.conn.execute(_UPSERTS[uow.conn.dialect.name], rows)


def stop(uow, complaint_id: int, kinds, now: datetime) -> None:
    """Stop the clocks `kinds` if they run."""
    uow.conn.execute(_STOP, {"cid": complaint_id, "kinds": list(kinds), "now": now})


def pause(uow, complaint_id: int, kinds, now: datetime) -> None:
    """Pause running clocks: they stop counting until resumed."""
    uow.conn.execute(update(t).where(t.c.complaint_id == complaint_id, t.c.kind.in_(kinds),
                                     t.c.status == "active")
                     .values(status="paused", paused_at=now, next_at=None))


def resume(uow, complaint_id: int, kinds, now: datetime) -> int:
    """Resume paused clocks, moving their times on by the paused span; return seconds paused."""
    paused_for = 0
    rows = uow.conn.execute(select(t).where(t.c.complaint_id == complaint_id,
                                            t.c.kind.in_(kinds), t.c.status == "paused")).all()
    for row in rows:
        span = now - row.paused_at
        paused_for = max(paused_for, int(span.total_seconds()))
        warn_at = row.warn_at + span if row.warned_at is None else row.warn_at
        due_at = row.due_at + span
        uow.conn.execute(update(t).where(t.c.id == row.id).values(
            status="active", paused_at=None, warn_at=warn_at, due_at=due_at,
            next_at=warn_at if row.warned_at is None else due_at,
            paused_seconds=row.paused_seconds + int(span.total_seconds())))
    return paused_for


# Built once and without IN lists (expanding parameters are re-rendered on every call).
_LIVE_KINDS = select(t.c.kind).where(t.c.complaint_id == bindparam("cid"),
                                     or_(t.c.status == LIVE[0], t.c.status == LIVE[1]))


def retrack(uow, complaint: Complaint, now: datetime) -> None:
    """Restart every running clock of the cycle on the complaint's (new) track."""
    live = uow.conn.execute(_LIVE_KINDS, {"cid": complaint.id}).scalars()
    start(uow, complaint, [kind for kind in live if kind in CYCLE], now)


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

