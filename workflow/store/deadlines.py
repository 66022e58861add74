"""The deadline store: every write to `deadlines`, and the timer worker's claim.

An action's clock rule (start, stop, pause, resume, retrack; `apply`) runs inside the
action's unit of work, so the clocks change in the same transaction as the state and
the history event. The timer worker claims due rows here (`claim`, `peek`) and the
"deadline due" service records what a row did (`warned`, `mark_fired`, `restart`,
`clear`, `retry_at`); a calendar load or a policy migration moves due times
(`move_due`). Only `workflow.store.pgwrite` also writes the table: an action's clocks
as one statement.

Every change of a clock also appends its entry to `clock_events` (the clock's history,
kept forever), in the same transaction: started, paused, resumed, moved, warned, and
the run's end — met (stopped before due, `seconds` of margin), missed (`seconds` late,
paused time excluded because pauses move the due time), ended (stopped after it was
missed), restarted (started again before its due time, e.g. by a transfer), elapsed
(an auto-close period ran out). `ending` decides the end; pgwrite states the same rule
in SQL.
"""
from __future__ import annotations

import functools
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, func, insert, literal_column, select, text, update

from states.clocks import CYCLE, RULES
from workflow.domain.model import Complaint
from workflow.store.fastsql import Prepared
from workflow.store.schema import clock_events, complaints
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
#: The clock's history entries (`clock_events.event`).
EVENTS = ("started", "paused", "resumed", "moved", "warned", "met", "missed", "ended",
          "restarted", "elapsed")


def _upsert():
    # Written as text because SQLAlchemy 2.0 cannot cache its dialect-specific
    # on_conflict_do_update constructs (they would be compiled again on every call);
    # this ON CONFLICT syntax is the same on SQLite (>= 3.24) and PostgreSQL.
    names = [c.name for c in t.columns if c.name != "id"]
    return text(
        f"INSERT INTO deadlines ({', '.join(names)}) "
        f"VALUES ({', '.join(':' + n for n in names)}) "
        "ON CONFLICT (complaint_id, kind) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in (*UPSERT_COLUMNS, "run"))
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
                      .values(status="stopped", next_at=None, stopped_at=bindparam("now"))
                      .returning(*t.c)),
        pause=Prepared(update(t).where(mine, t.c.status == "active")
                       .values(status="paused", paused_at=bindparam("now"), next_at=None)
                       .returning(*t.c)),
        paused=select(t).where(mine, t.c.status == "paused"),
        mine=Prepared(select(t).where(mine)),
        live=Prepared(select(t.c.kind).where(mine, _one_of(t.c.status, LIVE))),
    )


_ROWS = Prepared(select(t).where(t.c.complaint_id == bindparam("cid"))
               .order_by(t.c.due_at, t.c.id))


def rows(conn, complaint_id: int) -> list[dict]:
    """The complaint's clocks as dicts, nearest due first (one prepared statement)."""
    return _ROWS.all(conn, {"cid": complaint_id})


_RESUME = Prepared(update(t).where(t.c.id == bindparam("_id"))
                   .values(status="active", paused_at=None))
_LOG = Prepared(insert(clock_events))
_LOG_ID = Prepared(insert(clock_events).returning(clock_events.c.id))
_EFFECT = Prepared(update(clock_events).where(clock_events.c.id == bindparam("_id")))


def entry(row, event: str, at: datetime, version: int, *, seconds: int | None = None,
          reason: str = "", actor: str = "", data: dict | None = None, **changed) -> dict:
    """One `clock_events` row for the clock `row` (a deadlines row; `changed` overrides
    its values, e.g. the new due time of a move)."""
    values = dict(complaint_id=row["complaint_id"], kind=row["kind"], run=row["run"], at=at,
                  event=event, policy_version=version, track=row["track"],
                  duration=row["duration"], warn_at=row["warn_at"], due_at=row["due_at"],
                  confirmed=row["confirmed"], seconds=seconds, reason=reason, actor=actor,
                  data=data or {})
    values.update(changed)
    return values


def log(conn, entries: list[dict]) -> None:
    """Append clock history entries."""
    if entries:
        _LOG.execute(conn, entries if len(entries) > 1 else entries[0])


def ending(row, now: datetime, *, restarted: bool = False) -> tuple[str, int] | None:
    """How a run that is stopped (or `restarted`) at `now` ended: (event, seconds), or
    None when the timer worker is firing it at this very moment (it records the miss
    itself). Same rule in SQL: `workflow.store.pgwrite`."""
    if row["breached_at"] is not None:
        if row["breached_at"] == now:
            return None
        return "ended", max(0, int((now - row["due_at"]).total_seconds()))
    left = row["due_at"] - (row["paused_at"] if row["paused_at"] is not None else now)
    seconds = abs(int(left.total_seconds()))
    if left.total_seconds() >= 0:
        return ("restarted" if restarted else "met"), seconds
    return "missed", seconds


def _endings(rows, now, version, reason, actor, restarted=False) -> list[dict]:
    out = []
    for row in rows:
        end = ending(row, now, restarted=restarted)
        if end is not None:
            out.append(entry(row, end[0], now, version, seconds=end[1], reason=reason,
                             actor=actor))
    return out


def plan(uow, complaint: Complaint, kinds, now: datetime) -> list[dict]:
    """Rows for clocks `kinds` started now on the complaint's track (absent clocks skipped)."""
    rows = []
    policy = uow.policy_for(complaint)
    for kind in kinds:
        duration = policy.deadline(complaint.track, kind)
        if duration is None:
            continue
        due, confirmed = uow.calendar.add(now, duration)
        warn = now + (due - now) * policy.warning_fraction
        rows.append(dict(complaint_id=complaint.id, kind=kind, track=complaint.track,
                         cycle=complaint.cycle, duration=duration.text, status="active",
                         started_at=now, warn_at=warn, due_at=due, next_at=warn,
                         warned_at=None, breached_at=None, stopped_at=None, paused_at=None,
                         paused_seconds=0, confirmed=confirmed, run=1))
    return rows


def _emit(conn, entries: list[dict], out: list | None) -> None:
    # History entries go to `out` when the caller collects them (`apply`: one insert for
    # all of an action's), else straight into the table.
    if out is None:
        log(conn, entries)
    else:
        out.extend(entries)


def start(uow, complaint: Complaint, kinds, now: datetime, *, reason: str = "",
          actor: str = "", fresh: bool = False, out: list | None = None) -> None:
    """(Re)start the clocks `kinds` from now (`fresh`: the complaint has no clocks yet)."""
    rows = plan(uow, complaint, kinds, now)
    if not rows:
        return
    version, entries = complaint.policy_version, []
    if not fresh:
        kinds = tuple(row["kind"] for row in rows)
        old = {r["kind"]: r for r in _statements(kinds).mine.all(uow.conn, {"cid": complaint.id})}
        live = [r for r in old.values() if r["status"] in OPEN]
        entries = _endings(live, now, version, reason, actor, restarted=True)
        for row in rows:
            if row["kind"] in old:
                row["run"] = old[row["kind"]]["run"] + 1
    _UPSERT.execute(uow.conn, rows)
    _emit(uow.conn, entries + [entry(row, "started", now, version, reason=reason, actor=actor)
                               for row in rows], out)


def stop(uow, complaint: Complaint, kinds, now: datetime, *, reason: str = "",
         actor: str = "", out: list | None = None) -> None:
    """Stop the clocks `kinds` if they run; each run's end goes into its history."""
    rows = _statements(tuple(kinds)).stop.all(uow.conn, {"cid": complaint.id, "now": now})
    _emit(uow.conn, _endings(rows, now, complaint.policy_version, reason, actor), out)


def pause(uow, complaint: Complaint, kinds, now: datetime, *, reason: str = "",
          actor: str = "", out: list | None = None) -> None:
    """Pause running clocks: they stop counting until resumed."""
    rows = _statements(tuple(kinds)).pause.all(uow.conn, {"cid": complaint.id, "now": now})
    _emit(uow.conn, [entry(row, "paused", now, complaint.policy_version, reason=reason,
                           actor=actor) for row in rows], out)


def resume(uow, complaint: Complaint, kinds, now: datetime, *, reason: str = "",
           actor: str = "", out: list | None = None) -> int:
    """Resume paused clocks, moving their times on by the paused span; return seconds paused."""
    paused_for, entries = 0, []
    rows = uow.conn.execute(_statements(tuple(kinds)).paused, {"cid": complaint.id}).all()
    for row in rows:
        # Whole seconds, as `paused_seconds` counts them: the due time stays what the
        # clock's history replays to (`workflow.domain.clocks.recompute`).
        span = timedelta(seconds=int((now - row.paused_at).total_seconds()))
        paused_for = max(paused_for, int(span.total_seconds()))
        warn_at = row.warn_at + span if row.warned_at is None else row.warn_at
        due_at = row.due_at + span
        _RESUME.execute(uow.conn, dict(
            _id=row.id, warn_at=warn_at, due_at=due_at,
            next_at=warn_at if row.warned_at is None else due_at,
            paused_seconds=row.paused_seconds + int(span.total_seconds())))
        entries.append(entry(row._mapping, "resumed", now, complaint.policy_version,
                             seconds=int(span.total_seconds()), reason=reason, actor=actor,
                             data={"due_before": row.due_at.isoformat()},
                             warn_at=warn_at, due_at=due_at))
    _emit(uow.conn, entries, out)
    return paused_for


def retrack(uow, complaint: Complaint, now: datetime, *, reason: str = "",
            actor: str = "", out: list | None = None) -> None:
    """Restart every running clock of the cycle on the complaint's (new) track."""
    live = _statements(CYCLE).live.all(uow.conn, {"cid": complaint.id})
    start(uow, complaint, [row["kind"] for row in live], now, reason=reason, actor=actor,
          out=out)
    if complaint.paused_at is not None:  # still waiting on the customer: the new clock waits too
        pause(uow, complaint, RULES["pause"].pause, now, reason=reason, actor=actor, out=out)


def apply(uow, action: str, complaint: Complaint, now: datetime, actor: str = "") -> None:
    """Apply the clock rule of `action` (see `states.clocks.RULES`)."""
    rule = RULES.get(action)
    if rule is None:
        return
    out: list[dict] = []
    how = dict(reason=action, actor=actor, out=out)
    if rule.stop:
        stop(uow, complaint, rule.stop, now, **how)
    if rule.pause:
        pause(uow, complaint, rule.pause, now, **how)
    if rule.resume:
        resume(uow, complaint, rule.resume, now, **how)
    if rule.retrack:
        retrack(uow, complaint, now, **how)
    if rule.start:
        start(uow, complaint, rule.start, now, fresh=action == "intake", **how)
    log(uow.conn, out)
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


_DUE_NOW = Prepared(select(complaints, *(t.c[c].label("clock_" + c) for c in _FIRING))
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
    _FIRED.execute(conn, {"_id": clock.id, "_started": clock.started_at, "now": now})
    refresh_next_due(conn, clock.complaint_id)


def restart(uow, complaint: Complaint, kind: str, now: datetime) -> None:
    """A repeating clock came due: start it again for another period from `now`."""
    start(uow, complaint, [kind], now, reason="repeat", actor="system")
    refresh_next_due(uow.conn, complaint.id)


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
    _MOVE.execute(conn, dict(changed, _id=clock["id"]))
    refresh_next_due(conn, clock["complaint_id"])
    moved = int((due_at - clock["due_at"]).total_seconds())
    changed.pop("next_at")
    log(conn, [entry(clock, "moved", now, version, seconds=moved, reason=reason, actor=actor,
                     data={"due_before": clock["due_at"].isoformat()}, **changed)])
