"""The complaints and their history in the database: load one, write an action's
`Change`, file a new one, find repeats. Every statement here runs in the caller's unit
of work; nothing commits.

An action's writes go the fast way: statements prepared once (`workflow.store.fastsql`),
and on PostgreSQL, for every action whose clock rule needs nothing read first, the
versioned update, the history event and the clocks as one statement
(`workflow.store.pgwrite`). SQLite, and PostgreSQL for `resume` and `escalate`, run
them one by one.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, update

from states.clocks import RULES
from states.process import ACTIONS
from workflow.domain.actions import Change
from workflow.domain.errors import Conflict, NotFound
from workflow.domain.model import Complaint
from workflow.store import deadlines, pgwrite
from workflow.store.fastsql import Prepared
from workflow.store.schema import complaints as t
from workflow.store.schema import departments, events, users

_SELECT = Prepared(select(t).where(t.c.id == bindparam("id")))
# The policy version too: a migration to another version (workflow.admin.policy) does
# not bump the complaint's version, and an action decided on the old one must not land.
_UPDATE = Prepared(update(t).where(t.c.id == bindparam("_id"),
                                   t.c.version == bindparam("_version"),
                                   t.c.policy_version == bindparam("_policy"))
                   .values(version=t.c.version + 1))
_INSERT_EVENT = Prepared(insert(events))
_DEPARTMENT = select(departments.c.code).where(departments.c.code == bindparam("code"),
                                               departments.c.active)
_USER = select(users.c.department, users.c.role).where(users.c.username == bindparam("name"),
                                                     users.c.active)
_VERSION = select(t.c.version).where(t.c.id == bindparam("id"))


def load(uow, complaint_id) -> Complaint:
    """Load a complaint or raise NotFound."""
    row = _SELECT.first(uow.conn, {"id": complaint_id})
    if row is None:
        raise NotFound("complaint", complaint_id)
    return Complaint.from_row(row)


def department_active(uow):
    """A check `code -> bool` on the active departments, for `domain.actions.decide`."""
    return lambda code: uow.conn.execute(_DEPARTMENT, {"code": code}).first() is not None


def user_of(uow):
    """A look-up `username -> (department, role)` of an active user (None when there is
    none), for `domain.actions.decide` (the handler a reassignment names)."""
    def lookup(name: str):
        row = uow.conn.execute(_USER, {"name": name}).first()
        return None if row is None else (row.department, row.role)
    return lookup


def one_statement(dialect_name: str, action: str) -> bool:
    """Whether the action's writes go to the database as a single statement
    (`workflow.store.pgwrite`), so its unit of work may run in autocommit."""
    return dialect_name == "postgresql" and action in ACTIONS and pgwrite.covers(RULES.get(action))


def write_change(uow, change: Change, now: datetime, *, want_clocks: bool = False) -> list | None:
    """Write an action's Change (versioned update, history event, clocks); return the
    complaint's clocks after it when `want_clocks` (`deadlines.rows`).

    A lost race (the version moved meanwhile) writes nothing and raises Conflict."""
    complaint = change.complaint
    params = dict(change.columns, _id=complaint.id, _version=change.version,
                  _policy=complaint.policy_version)
    action = change.event["action"]
    if one_statement(uow.conn.dialect.name, action):
        # One round trip for all of it (see workflow.store.pgwrite).
        rule = change.rule
        starts = deadlines.plan(uow, complaint, rule.start, now) if rule else []
        clocks = pgwrite.write(uow.conn, params, change.event, rule, starts, now,
                               complaint.policy_version, answer=want_clocks)
        if clocks is None:
            raise _conflict(uow, complaint.id, change.version)
        complaint.version, complaint.updated_at = change.version + 1, now
    else:
        if getattr(uow, "autocommit", False):
            raise RuntimeError(f"{action} writes several statements: not in autocommit")
        if _UPDATE.execute(uow.conn, params) != 1:
            raise _conflict(uow, complaint.id, change.version)
        complaint.version, complaint.updated_at = change.version + 1, now
        _INSERT_EVENT.execute(uow.conn, change.event)
        deadlines.apply(uow, action, complaint, now, change.event["actor"])
        clocks = deadlines.rows(uow.conn, complaint.id) if want_clocks else None
    return clocks


def _conflict(uow, complaint_id, version) -> Conflict:
    current = uow.conn.execute(_VERSION, {"id": complaint_id}).scalar()
    return Conflict(complaint_id, version, current)


def by_idempotency_key(uow, key: str):
    """(id, request_hash) of the complaint filed with this idempotency key, or None."""
    return uow.conn.execute(select(t.c.id, t.c.request_hash)
                            .where(t.c.idempotency_key == key)).first()


def repeats(uow, mobile: str, cause: str, since: datetime) -> tuple[int, int | None]:
    """How many complaints this number filed about this cause since `since`, and the
    latest of them (None when none)."""
    same_issue = (t.c.mobile == mobile, t.c.cause == cause, t.c.created_at >= since)
    count = uow.conn.execute(select(func.count()).where(*same_issue)).scalar()
    if not count:
        return 0, None
    latest = uow.conn.execute(select(t.c.id).where(*same_issue)
                              .order_by(t.c.created_at.desc(), t.c.id.desc()).limit(1)).scalar()
    return count, latest


def count_repeat(uow, complaint_id: int) -> None:
    """One more repeat of this complaint."""
    uow.conn.execute(update(t).where(t.c.id == complaint_id)
                     .values(repeat_count=t.c.repeat_count + 1))


def add(uow, row: dict, event: dict) -> Complaint:
    """Insert a new complaint and its intake event; return it with its id."""
    complaint_id = uow.conn.execute(t.insert().values(row)).inserted_primary_key[0]
    uow.conn.execute(events.insert().values(dict(event, complaint_id=complaint_id)))
    return Complaint.from_row(dict(row, id=complaint_id))
