"""Read models: one complaint with its clocks and history, and filtered, paged lists."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, false, func, or_, select, true, union

from states.fields import PAGE_SIZE
from workflow.domain import access
from workflow.domain.actions import allowed_actions
from workflow.domain.errors import NotFound
from workflow.domain.model import Actor, Complaint
from workflow.store.complaints import load
from workflow.store.schema import clock_events
from workflow.store.schema import complaints as t
from workflow.store.schema import deadlines as d
from workflow.store.schema import events as e


def _clause(rule, actor: Actor):
    if rule is access.ALL:
        return true()
    if not rule:
        return false()
    return or_(*(t.c[column] == actor.department for column in rule))


def visible_clause(actor: Actor):
    """The SQL condition selecting the complaints the actor may see (`access.SEES`)."""
    return _clause(access.SEES[actor.role], actor)


def actionable_clause(actor: Actor):
    """The SQL condition selecting complaints whose department lets the actor act
    (`access.ACTS`)."""
    return _clause(access.ACTS[actor.role], actor)


@dataclass
class ComplaintView:
    """A complaint as a page or the API shows it."""

    complaint: Complaint
    deadlines: list
    history: list
    allowed: list[str]


def get_complaint(uow, complaint_id, actor: Actor) -> ComplaintView:
    """One complaint the actor may see, with deadlines, history and allowed actions."""
    complaint = load(uow, complaint_id)
    if not access.may_see(actor, complaint):
        raise NotFound("complaint", complaint_id)
    allowed = allowed_actions(uow.process, uow.policy_for(complaint), complaint, actor)
    return ComplaintView(complaint, deadlines_of(uow, complaint.id),
                         history_of(uow, complaint.id), allowed)


_DEADLINES_OF = (select(d).where(d.c.complaint_id == bindparam("cid"))
                 .order_by(d.c.due_at, d.c.id))


def deadlines_of(uow, complaint_id) -> list:
    """The complaint's clocks, nearest due first."""
    return uow.conn.execute(_DEADLINES_OF, {"cid": complaint_id}).all()


def clock_history(uow, complaint_id) -> list:
    """Every entry of the complaint's clock history (`clock_events`), oldest first."""
    return uow.conn.execute(select(clock_events)
                            .where(clock_events.c.complaint_id == complaint_id)
                            .order_by(clock_events.c.id)).mappings().all()


def history_of(uow, complaint_id) -> list:
    """The complaint's history events, oldest first."""
    return uow.conn.execute(select(e).where(e.c.complaint_id == complaint_id)
                            .order_by(e.c.id)).all()


@dataclass
class Filters:
    """What a work queue or API list is narrowed to."""

    state: str | None = None
    department: str | None = None
    severity: str | None = None
    overdue: bool = False
    text: str | None = None
    updated_since: datetime | None = None
    actionable_only: bool = False


def like_escaped(text: str) -> str:
    """`text` for a LIKE pattern with `\\` as the escape: %, _ and \\ match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(actor: Actor, f: Filters, now: datetime):
    # What an actor may act on is always a part of what it may see (see `access`), so
    # the actionable condition alone is enough, and it is the one an index serves.
    clauses = [actionable_clause(actor) if f.actionable_only else visible_clause(actor)]
    if f.state:
        clauses.append(t.c.state == f.state)
    if f.department:
        clauses.append(t.c.department == f.department)
    if f.severity == "major":
        clauses.append(t.c.escalation_level >= 1)
    elif f.severity == "normal":
        clauses.append(t.c.escalation_level == 0)
    if f.updated_since:
        clauses.append(t.c.updated_at >= f.updated_since)
    if f.text:
        like = f"%{like_escaped(f.text)}%"
        clauses.append(or_(t.c.text.like(like, escape="\\"), t.c.mobile.like(like, escape="\\"),
                           t.c.customer_name.like(like, escape="\\")))
    if f.overdue:
        clauses.append(t.c.next_due_at <= now)
    return clauses


def list_complaints(uow, actor: Actor, filters: Filters, *, now: datetime,
                    page: int = 1, page_size: int = PAGE_SIZE) -> tuple[list, int]:
    """A page of complaints (nearest deadline first, then id) and the total count.

    Complaints with a running clock come first in `next_due_at` order, then those
    without one in id order: two index-ordered queries instead of one sort of every
    matching row (an `IS NULL` sort key would defeat the index). A text search, which
    reads every row anyway, sorts its few matches instead.
    """
    where = _where(actor, filters, now)
    offset = (max(page, 1) - 1) * page_size
    total, timed = uow.conn.execute(select(func.count(), func.count(t.c.next_due_at))
                                    .select_from(t).where(*where)).one()
    if filters.text:   # a text search scans the table anyway and matches few rows
        rows = uow.conn.execute(
            select(t).where(*where).order_by(t.c.next_due_at.is_(None), t.c.next_due_at, t.c.id)
            .limit(page_size).offset(offset)).mappings().all()
        return [(Complaint.from_row(r), r["next_due_at"]) for r in rows], total
    rows = []
    if offset < timed:
        rows = uow.conn.execute(
            select(t).where(*where, t.c.next_due_at.is_not(None))
            .order_by(t.c.next_due_at, t.c.id).limit(page_size).offset(offset)).mappings().all()
    if len(rows) < page_size and offset + len(rows) < total:
        rows += uow.conn.execute(
            select(t).where(*where, t.c.next_due_at.is_(None)).order_by(t.c.id)
            .limit(page_size - len(rows)).offset(max(offset - timed, 0))).mappings().all()
    return [(Complaint.from_row(r), r["next_due_at"]) for r in rows], total


def counts_by_state(uow, actor: Actor) -> dict[str, int]:
    """How many visible complaints are in each state."""
    rule = access.SEES[actor.role]
    if rule is access.ALL or len(rule) < 2:
        where = visible_clause(actor)
    else:   # one index search per department column, not a scan testing them all
        where = t.c.id.in_(union(*(select(t.c.id).where(t.c[column] == actor.department)
                                   for column in rule)))
    rows = uow.conn.execute(select(t.c.state, func.count()).where(where)
                            .group_by(t.c.state)).all()
    return dict(rows)


def nearest_deadlines(uow, complaint_ids) -> dict:
    """For each complaint id, its nearest running clock (a deadlines row), if any."""
    if not complaint_ids:
        return {}
    rows = uow.conn.execute(select(d).where(d.c.complaint_id.in_(list(complaint_ids)),
                                            d.c.status == "active")
                            .order_by(d.c.due_at, d.c.id)).all()
    nearest = {}
    for row in rows:
        nearest.setdefault(row.complaint_id, row)
    return nearest

def list_after(uow, actor: Actor, filters: Filters, *, now: datetime, after_id: int = 0,
               limit: int = PAGE_SIZE) -> list:
    """Up to `limit` complaints with id > `after_id`, in id order (keyset paging for the API:
    a page boundary does not move when complaints change); each with its nearest due time."""
    rows = uow.conn.execute(
        select(t).where(*_where(actor, filters, now), t.c.id > after_id)
        .order_by(t.c.id).limit(limit)).mappings().all()
    return [(Complaint.from_row(r), r["next_due_at"]) for r in rows]
