"""Helpers for the timer tests: a fake clock, a worker on it, and reading back rows."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from tests.conftest import NETWORK, OPERATOR, complaint_values
from timers.worker import Worker
from workflow import services
from workflow.store.schema import deadlines, events, outbox


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime):
        self.at = start

    def __call__(self) -> datetime:
        return self.at


def worker_on(rt, clock: FakeClock, **kwargs) -> Worker:
    """A started worker reading the fake clock (close it; the `worker_on` fixture does)."""
    return Worker(rt, now=clock, heartbeat_every=0, **kwargs).start()


def sweep_at(worker: Worker, when: datetime) -> int:
    """Move the worker's clock to `when` and sweep once."""
    worker.now.at = when
    return worker.sweep()


def in_handling(rt, now, **values) -> int:
    """A complaint filed, assigned to network and accepted at `now`; its id."""
    cid = services.intake(rt, OPERATOR, complaint_values(**values), now=now).complaint.id
    services.act(rt, cid, "assign", OPERATOR, now=now, department="network")
    services.act(rt, cid, "accept", NETWORK, now=now)
    return cid


def clock(rt, cid, kind):
    """One deadline row."""
    with rt.engine.connect() as conn:
        return conn.execute(select(deadlines).where(deadlines.c.complaint_id == cid,
                                                    deadlines.c.kind == kind)).one()


def _rows_of(rt, table, cid, column, value) -> list:
    query = select(table).where(table.c.complaint_id == cid).order_by(table.c.id)
    if value:
        query = query.where(table.c[column] == value)
    with rt.engine.connect() as conn:
        return conn.execute(query).all()


def history(rt, cid, action=None) -> list:
    """The complaint's events (of one action), oldest first."""
    return _rows_of(rt, events, cid, "action", action)


def notes(rt, cid, kind=None) -> list:
    """The complaint's outbox rows (of one kind), oldest first."""
    return _rows_of(rt, outbox, cid, "kind", kind)
