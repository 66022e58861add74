"""A missed clock keeps its complaint overdue in the queue until the missed step is done."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.conftest import OPERATOR, complaint_values
from tests.timers.helpers import FakeClock, clock
from workflow import services
from workflow.store.schema import complaints


def next_due(rt, cid):
    with rt.engine.connect() as conn:
        return conn.execute(select(complaints.c.next_due_at)
                            .where(complaints.c.id == cid)).scalar()


def test_a_missed_assign_clock_stays_overdue_after_the_timer_fires_until_the_complaint_is_assigned(
        rt, now, worker_on):
    cid = services.intake(rt, OPERATOR, complaint_values(), now=now).complaint.id
    assign_due = clock(rt, cid, "assign").due_at
    assert next_due(rt, cid) == assign_due
    worker = worker_on(rt, FakeClock(now + timedelta(hours=3)))
    worker.sweep()                                       # warns, then fires the missed clock
    assert clock(rt, cid, "assign").status == "fired"
    assert next_due(rt, cid) == assign_due               # still shown overdue

    services.act(rt, cid, "assign", OPERATOR, now=now + timedelta(hours=3), department="network")
    assert clock(rt, cid, "assign").status == "stopped"
    assert next_due(rt, cid) == clock(rt, cid, "first_contact").due_at
