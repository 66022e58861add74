"""Which running clocks a change would move, and moving them with their history.

A new policy version (if complaints are migrated to it) or a newly loaded calendar
year changes the due times of running clocks. `plan` works out, without writing, every
running clock whose times would change: old due, new due, the difference, whether it
would be overdue at once and whether that would escalate at once. `move` writes one
complaint's moves (each with a "moved" entry in the clock's history) in the caller's
transaction. Used by `workflow.admin.policy` and `workflow.admin.calendar`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from states.calendar import BusinessCalendar
from workflow.domain.clocks import Times, recompute
from workflow.domain.model import Complaint
from workflow.store import deadlines
from workflow.store.schema import complaints as c
from workflow.store.schema import deadlines as t

#: What a plan reads of a clock and its complaint.
_COLUMNS = (t.c.id, t.c.complaint_id, t.c.kind, t.c.run, t.c.track, t.c.duration,
            t.c.status, t.c.started_at, t.c.warn_at, t.c.due_at, t.c.warned_at,
            t.c.breached_at, t.c.paused_at, t.c.paused_seconds, t.c.confirmed,
            c.c.created_at, c.c.department, c.c.escalation_level, c.c.policy_version)


@dataclass(frozen=True)
class Move:
    """One running clock whose times a change would move."""

    complaint_id: int
    created_at: datetime
    department: str
    kind: str
    old_due: datetime
    new_due: datetime
    overdue_at_once: bool      # due before the change, not overdue now: due at once after it
    escalates_at_once: bool    # and its miss escalates (the policy's on_breach, below max level)
    times: Times = field(repr=False, compare=False)
    clock: dict = field(repr=False, compare=False, default_factory=dict)

    @property
    def number(self) -> str:
        return Complaint.number_of(self.complaint_id, self.created_at)

    @property
    def seconds(self) -> int:
        """How far the due time moves (negative: earlier)."""
        return int((self.new_due - self.old_due).total_seconds())


@dataclass
class Plan:
    """Every move a change would make, with totals by clock and by department."""

    moves: list[Move]
    clocks_looked_at: int

    @property
    def complaints(self) -> list[int]:
        return sorted({m.complaint_id for m in self.moves})

    def by_clock(self) -> Counter:
        return Counter(m.kind for m in self.moves)

    def by_department(self) -> Counter:
        return Counter(m.department for m in self.moves)

    def overdue_at_once(self) -> list[Move]:
        return [m for m in self.moves if m.overdue_at_once]

    def escalates_at_once(self) -> list[Move]:
        return [m for m in self.moves if m.escalates_at_once]


def _open(where, complaint_ids):
    clauses = [t.c.status.in_(deadlines.LIVE), c.c.state != "closed", *where]
    if complaint_ids is not None:
        clauses.append(t.c.complaint_id.in_(list(complaint_ids)))
    return clauses


def running(conn, *, where=(), complaint_ids=None, groups=None):
    """The running (active or paused) clocks of open complaints, with their complaints;
    only those of `groups` ((policy version, track, kind) triples) when given."""
    clauses = _open(where, complaint_ids)
    if groups is not None:
        if not groups:
            return []
        clauses.append(or_(*(and_(c.c.policy_version == v, t.c.track == track, t.c.kind == k)
                             for v, track, k in groups)))
    query = (select(*_COLUMNS).join_from(t, c, c.c.id == t.c.complaint_id)
             .where(*clauses).order_by(t.c.complaint_id, t.c.id))
    return conn.execute(query).mappings().all()


def groups(conn, *, where=(), complaint_ids=None) -> dict[tuple[int, str, str], int]:
    """How many running clocks of open complaints there are per (policy version the
    complaint is pinned to, track, kind)."""
    query = (select(c.c.policy_version, t.c.track, t.c.kind, func.count())
             .join_from(t, c, c.c.id == t.c.complaint_id).where(*_open(where, complaint_ids))
             .group_by(c.c.policy_version, t.c.track, t.c.kind))
    return {(v, track, k): n for v, track, k, n in conn.execute(query)}


def plan(rows, policy_of, calendar: BusinessCalendar, now: datetime,
         looked: int = 0) -> Plan:
    """The moves for `rows` (from `running`) if each were computed under `policy_of(row)`
    and `calendar`; `looked`: running clocks left out beforehand as unable to move."""
    moves = []
    for row in rows:
        looked += 1
        policy = policy_of(row)
        times = recompute(row, policy, calendar)
        if times is None or (times.due_at == row["due_at"] and times.warn_at == row["warn_at"]
                             and times.confirmed == row["confirmed"]):
            continue
        overdue = row["status"] == "active" and times.due_at <= now < row["due_at"]
        escalates = (overdue and row["kind"] in policy.escalate_on_breach
                     and row["escalation_level"] < policy.max_escalation_level)
        moves.append(Move(row["complaint_id"], row["created_at"], row["department"],
                          row["kind"], row["due_at"], times.due_at, overdue, escalates, times,
                          row))
    return Plan(moves, looked)


def move(conn, moves: list[Move], *, version: int, reason: str, by: str,
         now: datetime) -> int:
    """Write `moves` (one complaint's, in the caller's transaction): new times and a
    history entry each. Return how many clocks moved."""
    for m in moves:
        deadlines.move_due(conn, m.clock, warn_at=m.times.warn_at, due_at=m.times.due_at,
                           next_at=m.times.next_at, confirmed=m.times.confirmed, now=now,
                           version=version, reason=reason, actor=by,
                           duration=m.times.duration)
    return len(moves)
