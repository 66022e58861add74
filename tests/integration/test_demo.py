"""The demo data: about 300 realistic complaints in every state, major and escalated among them."""
from __future__ import annotations

from sqlalchemy import func, select

from states.process import State
from tests.conftest import make_runtime
from workflow.admin import demo
from workflow.store.schema import complaints, events, users


def test_the_demo_fills_every_state_with_normal_major_and_escalated_complaints(
        sqlite_url, now, caplog):
    rt = make_runtime(sqlite_url)
    assert demo.is_empty(rt)
    assert demo.populate(rt, count=300, now=now) == 300
    assert [r.getMessage() for r in caplog.records if r.name == "workflow.admin.demo"] == []
    with rt.engine.connect() as conn:
        by_state = dict(conn.execute(select(complaints.c.state, func.count())
                                     .group_by(complaints.c.state)).all())
        major = dict(conn.execute(select(complaints.c.state, func.count())
                                  .where(complaints.c.escalation_level >= 1)
                                  .group_by(complaints.c.state)).all())
        escalated = conn.execute(select(func.count()).where(complaints.c.source != "direct")).scalar()
        paused = conn.execute(select(func.count()).where(complaints.c.paused_at.is_not(None))).scalar()
        texts = conn.execute(select(complaints.c.text).limit(20)).scalars().all()
        logins = set(conn.execute(select(users.c.username)).scalars())
        history = conn.execute(select(func.count()).select_from(events)).scalar()
    assert set(by_state) == {s.value for s in State}
    assert all(n >= 10 for n in by_state.values()), by_state
    assert set(major) == {s.value for s in State}, major
    assert escalated >= 5 and paused >= 1
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in texts)
    assert {"operator", "major_desk", "network", "auditor", "admin"} <= logins
    assert history > 300 * 2
    assert not demo.is_empty(rt)
    rt.engine.dispose()
