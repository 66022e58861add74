"""The workflow services against a real SQLite file and a real PostgreSQL database."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from states.process import State
from tests.conftest import DESK, NETWORK, OPERATOR, complaint_values
from workflow import services
from workflow.domain.errors import ActionNotAllowed, Conflict, ValidationError
from workflow.store.schema import complaints, deadlines, events


def count(rt, table):
    with rt.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_a_complaint_runs_from_intake_to_closure_with_its_history(rt, now):
    result = services.intake(rt, OPERATOR, complaint_values(), now=now)
    cid = result.complaint.id
    assert result.complaint.department == "network"
    assert result.complaint.originating_department == "customer_service"
    services.act(rt, cid, "assign", OPERATOR, now=now, department="network")
    services.act(rt, cid, "accept", NETWORK, now=now + timedelta(minutes=5))
    services.act(rt, cid, "contact", NETWORK, now=now + timedelta(hours=1), comment="已联系客户")
    services.act(rt, cid, "reply", NETWORK, now=now + timedelta(hours=3), comment="已加装室分")
    closed = services.act(rt, cid, "close", OPERATOR, now=now + timedelta(days=1),
                            satisfaction="satisfied")
    assert closed.state is State.closed and closed.version == 6
    with rt.engine.connect() as conn:
        actions = conn.execute(select(events.c.action).where(events.c.complaint_id == cid)
                               .order_by(events.c.id)).scalars().all()
        live = conn.execute(select(func.count()).select_from(deadlines).where(
            deadlines.c.complaint_id == cid, deadlines.c.status == "active")).scalar()
    assert actions == ["intake", "assign", "accept", "contact", "reply", "close"]
    assert live == 0


def test_an_action_against_a_stale_version_fails_and_changes_nothing(rt, now):
    cid = services.intake(rt, OPERATOR, complaint_values(), now=now).complaint.id
    services.act(rt, cid, "assign", OPERATOR, now=now, department="network", expected_version=1)
    with pytest.raises(Conflict):
        services.act(rt, cid, "assign", OPERATOR, now=now, department="marketing", expected_version=1)
    assert count(rt, events) == 2


def test_an_action_the_state_does_not_allow_names_the_state_and_the_allowed_actions(rt, now):
    cid = services.intake(rt, OPERATOR, complaint_values(), now=now).complaint.id
    with pytest.raises(ActionNotAllowed) as err:
        services.act(rt, cid, "close", OPERATOR, now=now, satisfaction="satisfied")
    assert err.value.state == "received"
    assert "assign" in err.value.allowed and "close" not in err.value.allowed
    assert "received" in str(err.value)


def test_bad_intake_lists_every_bad_field_and_writes_nothing(rt, now):
    with pytest.raises(ValidationError) as err:
        services.intake(rt, OPERATOR, complaint_values(mobile="12345", cause="weather", text="  "),
                        now=now)
    assert set(err.value.errors) == {"mobile", "cause", "text"}
    assert count(rt, complaints) == 0 and count(rt, events) == 0


def test_escalation_moves_the_complaint_to_the_major_desk_on_the_major_track(rt, now):
    cid = services.intake(rt, OPERATOR, complaint_values(), now=now).complaint.id
    services.act(rt, cid, "assign", OPERATOR, now=now, department="network")
    services.act(rt, cid, "accept", NETWORK, now=now)
    later = now + timedelta(hours=2)
    c = services.act(rt, cid, "escalate", DESK, now=later, reason="客户多次来电")
    assert (c.state, c.department, c.severity) == (State.assigned, "customer_service", "major")
    with rt.engine.connect() as conn:
        reply = conn.execute(select(deadlines).where(deadlines.c.complaint_id == cid,
                                                     deadlines.c.kind == "reply")).one()
    assert reply.track == "major" and reply.due_at == later + timedelta(hours=24)
