"""The complaints and their history in the database: load one (with its clocks, for an
action), write an action's plan, file a new one, find repeats. Every statement here
runs in the caller's unit of work; nothing commits.

An action's writes are the domain's decision written as it stands: the versioned
update, the history event and the clocks as one `workflow.store.plan.WritePlan`,
compiled for the connection's dialect (statements prepared once,
`workflow.store.fastsql`; on PostgreSQL one statement, `workflow.store.pgwrite`).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, update

from states.process import ACTIONS
from workflow.domain.actions import Change
from workflow.domain.clocks import ClockPlan
from workflow.domain.errors import Conflict, NotFound, StaleClocks
from workflow.domain.model import Complaint
from workflow.store import plan, search
from workflow.store.fastsql import Prepared
from workflow.store.schema import complaint_columns as loaded
from workflow.store.schema import complaints as t
from workflow.store.schema import deadlines, departments, events, users

_SELECT = Prepared(select(*loaded).where(t.c.id == bindparam("id")))
#: The complaint and its clocks in one statement: one row per clock (or one without).
_WITH_CLOCKS = Prepared(
    select(*loaded, *(deadlines.c[c.name].label("clock_" + c.name) for c in deadlines.columns))
    .outerjoin(deadlines, deadlines.c.complaint_id == t.c.id)
    .where(t.c.id == bindparam("id")))
_N = len(loaded)                # the complaint's columns come first in `_WITH_CLOCKS`
_COMPLAINT = tuple(range(_N))
_DEPARTMENT = select(departments.c.code).where(departments.c.code == bindparam("code"),
                                               departments.c.active)
_USER = select(users.c.department, users.c.role).where(users.c.username == bindparam("name"),
                                                     users.c.active)
_VERSION = select(t.c.version, t.c.policy_version).where(t.c.id == bindparam("id"))


def load(uow, complaint_id) -> Complaint:
    """Load a complaint or raise NotFound."""
    row = _SELECT.first(uow.conn, {"id": complaint_id})
    if row is None:
        raise NotFound("complaint", complaint_id)
    return Complaint.from_row(row)


def load_for_action(uow, complaint_id, kinds=frozenset()) -> tuple[Complaint, list[dict]]:
    """Load a complaint and its clocks (`deadlines` rows) in one statement, or raise
    NotFound. Clocks of `kinds` come whole, the others brief (`plan.pick_clocks`)."""
    found, picker = _WITH_CLOCKS.fetch(uow.conn, {"id": complaint_id})
    if not found:
        raise NotFound("complaint", complaint_id)
    complaint = Complaint.from_row(picker(_COMPLAINT)(found[0]))
    if found[0][_N] is None:           # no clock: one row, the join's NULLs
        return complaint, []
    return complaint, plan.pick_clocks(found, picker, _N, kinds)


def clocks_of(uow, complaint_id: int, kinds=frozenset()) -> list[dict]:
    """The complaint's clocks (`deadlines` rows): of `kinds` whole, of the others `BRIEF`."""
    return plan.clocks_for(uow.conn, complaint_id, kinds)


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
    return dialect_name == "postgresql" and action in ACTIONS and plan.ONE_STATEMENT


def write_change(uow, change: Change, clocks: ClockPlan, *,
                 want_clocks: bool = False) -> list | None:
    """Write an action's Change and what it does to the clocks (as the domain decided
    them) as one plan; return the complaint's clocks after it when `want_clocks`.

    A lost race writes nothing and raises Conflict: the version moved meanwhile, or
    (StaleClocks) only a clock the plan updates is no longer as loaded."""
    complaint = change.complaint
    if getattr(uow, "autocommit", False) and not one_statement(uow.conn.dialect.name,
                                                                change.event["action"]):
        raise RuntimeError(f"{change.event['action']} writes several statements: "
                           "not in autocommit")
    written = plan.write(uow.conn, plan.WritePlan.of(
        complaint.id, clocks, change.columns, version=change.version,
        policy_version=complaint.policy_version, event=change.event), answer=want_clocks)
    if written is None:
        raise _conflict(uow, complaint.id, change.version, complaint.policy_version)
    complaint.version, complaint.updated_at = change.version + 1, change.columns["updated_at"]
    return written if want_clocks else None


def _conflict(uow, complaint_id, version, policy_version) -> Conflict:
    """StaleClocks when only the clocks moved; Conflict when the version did, or the
    policy version (a migration re-decides the clocks: what the action was decided on
    is not what stands, and whoever acted should see it first)."""
    current = uow.conn.execute(_VERSION, {"id": complaint_id}).one_or_none()
    if current is not None and tuple(current) == (version, policy_version):
        return StaleClocks(complaint_id, version, version)
    return Conflict(complaint_id, version, current[0] if current else None)


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
    bigrams = search.stored(uow.conn.dialect.name, row.get("text"), row.get("customer_name"))
    complaint_id = uow.conn.execute(t.insert().values({**row, **bigrams})).inserted_primary_key[0]
    uow.conn.execute(events.insert().values(dict(event, complaint_id=complaint_id)))
    return Complaint.from_row(dict(row, id=complaint_id))


def write_clocks(uow, complaint: Complaint, clocks: ClockPlan) -> None:
    """Write what the domain decided for a complaint's clocks (and its next due time),
    outside an action's version check (intake, after `add`)."""
    plan.write(uow.conn, plan.WritePlan.of(complaint.id, clocks))
