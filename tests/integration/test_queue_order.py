"""The work queue's order and filters rest on complaints.next_due_at, kept by every action."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.conftest import NETWORK, OPERATOR, complaint_values
from workflow import services
from workflow.store import queries
from workflow.store.schema import complaints, deadlines


def stored_next_due(rt, cid):
    with rt.engine.connect() as conn:
        stored = conn.execute(select(complaints.c.next_due_at)
                              .where(complaints.c.id == cid)).scalar()
        running = conn.execute(select(func.min(deadlines.c.due_at)).where(
            deadlines.c.complaint_id == cid, deadlines.c.status == "active")).scalar()
    return stored, running


def test_next_due_follows_the_running_clocks_through_every_action(rt, now):
    cid = services.intake(rt, OPERATOR, complaint_values(), now=now).complaint.id
    stored, running = stored_next_due(rt, cid)
    assert stored == running == now + timedelta(hours=2)            # assign by
    services.act(rt, cid, "assign", OPERATOR, now=now, department="network")
    services.act(rt, cid, "accept", NETWORK, now=now)
    assert stored_next_due(rt, cid)[0] == now + timedelta(hours=24)  # first contact by
    services.act(rt, cid, "pause", NETWORK, now=now, reason="等客户回电")
    stored, running = stored_next_due(rt, cid)
    assert stored == running
    services.act(rt, cid, "resume", NETWORK, now=now + timedelta(hours=1))
    services.act(rt, cid, "reply", NETWORK, now=now + timedelta(hours=2), comment="已处理")
    assert stored_next_due(rt, cid)[0] == now + timedelta(hours=2, days=7)   # auto-close
    services.act(rt, cid, "close", OPERATOR, now=now + timedelta(hours=3), satisfaction="satisfied")
    assert stored_next_due(rt, cid) == (None, None)


def test_the_queue_pages_put_running_clocks_first_nearest_first_then_the_rest(rt, now):
    ids = [services.intake(rt, OPERATOR, complaint_values(mobile=f"1380000000{i}"),
                           now=now - timedelta(minutes=i)).complaint.id for i in range(5)]
    done = ids[0]
    services.act(rt, done, "reply", OPERATOR, now=now, comment="已答复")
    services.act(rt, done, "close", OPERATOR, now=now, satisfaction="satisfied")
    listed = []
    with rt.uow(write=False) as uow:
        for page in (1, 2, 3):
            rows, total, _ = queries.list_complaints(uow, OPERATOR, queries.Filters(), now=now,
                                                  page=page, page_size=2)
            listed += [c.id for c, _ in rows]
    assert total == 5
    assert listed == [ids[4], ids[3], ids[2], ids[1], done]


def test_the_overdue_filter_and_text_search_use_the_stored_next_due(rt, now):
    late = services.intake(rt, OPERATOR, complaint_values(mobile="13800000001"),
                           now=now - timedelta(hours=3)).complaint.id
    services.intake(rt, OPERATOR, complaint_values(mobile="13800000002"), now=now)
    with rt.uow(write=False) as uow:
        overdue, total, _ = queries.list_complaints(uow, OPERATOR, queries.Filters(overdue=True),
                                                 now=now)
        found, _, _ = queries.list_complaints(uow, OPERATOR, queries.Filters(text="0002"),
                                             now=now)
    assert [c.id for c, _ in overdue] == [late] and total == 1
    assert [c.mobile for c, _ in found] == ["13800000002"]
