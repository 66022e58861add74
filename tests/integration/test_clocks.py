"""What actions do to the clocks, written in the action's own transaction."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import DESK, NETWORK, OPERATOR, complaint_values
from workflow import services
from workflow.domain.errors import ValidationError
from workflow.services.actions import allowed_actions
from workflow.store import queries
from workflow.store.schema import deadlines


def clock(rt, cid, kind):
    with rt.engine.connect() as conn:
        return conn.execute(select(deadlines).where(deadlines.c.complaint_id == cid,
                                                    deadlines.c.kind == kind)).one()


@pytest.fixture
def handling(rt, now):
    cid = services.intake(rt, OPERATOR, complaint_values(), now=now).complaint.id
    services.act(rt, cid, "assign", OPERATOR, now=now, department="network")
    services.act(rt, cid, "accept", NETWORK, now=now)
    return cid


def test_intake_starts_the_normal_clocks_with_warnings_at_three_quarters(rt, now, handling):
    reply = clock(rt, handling, "reply")
    assert reply.due_at == now + timedelta(hours=48)
    assert reply.warn_at == reply.next_at == now + timedelta(hours=36)
    assert clock(rt, handling, "assign").status == "stopped"
    assert clock(rt, handling, "outer_limit").due_at == now + timedelta(days=15)


def test_a_pause_stops_the_reply_clock_and_a_resume_moves_it_on_by_the_wait(rt, now, handling):
    services.act(rt, handling, "pause", NETWORK, now=now + timedelta(hours=1), reason="等客户提供清单")
    paused = clock(rt, handling, "reply")
    assert paused.status == "paused" and paused.next_at is None
    c = services.act(rt, handling, "resume", NETWORK, now=now + timedelta(hours=7))
    resumed = clock(rt, handling, "reply")
    assert resumed.status == "active" and resumed.paused_seconds == 6 * 3600
    assert resumed.due_at == now + timedelta(hours=54)
    assert c.paused_at is None and c.paused_seconds == 6 * 3600


def test_the_reply_clock_may_wait_on_the_customer_only_as_often_as_the_policy_says(
        rt, now, handling):
    for hour in (1, 3):
        services.act(rt, handling, "pause", NETWORK, now=now + timedelta(hours=hour), reason="等客户")
        services.act(rt, handling, "resume", NETWORK, now=now + timedelta(hours=hour + 1))
    with pytest.raises(ValidationError, match="pause_count_used"):
        services.act(rt, handling, "pause", NETWORK, now=now + timedelta(hours=6), reason="等客户")


def test_a_reply_while_waiting_on_the_customer_ends_the_wait(rt, now, handling):
    services.act(rt, handling, "pause", NETWORK, now=now + timedelta(hours=1), reason="等客户")
    replied = services.act(rt, handling, "reply", NETWORK, now=now + timedelta(hours=3), comment="已解决")
    assert replied.paused_at is None and replied.paused_seconds == 2 * 3600
    assert clock(rt, handling, "reply").status == "stopped"
    services.act(rt, handling, "reopen", OPERATOR, now=now + timedelta(days=1), reason="客户不满意")
    again = services.act(rt, handling, "accept", NETWORK, now=now + timedelta(days=1, hours=1))
    assert again.is_paused() is False   # the reopened case can wait on the customer again
    services.act(rt, handling, "pause", NETWORK, now=now + timedelta(days=1, hours=2), reason="等客户")


def test_escalating_a_waiting_complaint_keeps_its_new_reply_clock_waiting(rt, now, handling):
    services.act(rt, handling, "pause", NETWORK, now=now + timedelta(hours=1), reason="等客户")
    later = now + timedelta(hours=2)
    services.act(rt, handling, "escalate", DESK, now=later, reason="客户找了媒体")
    reply = clock(rt, handling, "reply")
    assert (reply.track, reply.status, reply.next_at) == ("major", "paused", None)
    services.act(rt, handling, "accept", DESK, now=later)
    services.act(rt, handling, "resume", DESK, now=later + timedelta(hours=5))
    reply = clock(rt, handling, "reply")
    assert reply.status == "active"
    assert reply.due_at == later + timedelta(hours=5 + 24)   # a full major reply period


def test_escalation_restarts_the_running_clocks_on_the_major_track(rt, now, handling):
    later = now + timedelta(hours=3)
    services.act(rt, handling, "escalate", DESK, now=later, reason="客户多次来电")
    first_contact = clock(rt, handling, "first_contact")
    assert first_contact.track == "major" and first_contact.due_at == later + timedelta(hours=4)
    assert clock(rt, handling, "assign").status == "stopped"   # stopped clocks stay stopped


def test_close_stops_every_clock(rt, now, handling):
    services.act(rt, handling, "reply", NETWORK, now=now, comment="已解决")
    assert clock(rt, handling, "auto_close").due_at == now + timedelta(days=7)
    services.act(rt, handling, "close", OPERATOR, now=now + timedelta(hours=1), satisfaction="satisfied")
    with rt.engine.connect() as conn:
        statuses = set(conn.execute(select(deadlines.c.status)
                                    .where(deadlines.c.complaint_id == handling)).scalars())
    assert statuses == {"stopped"}


def test_pause_is_offered_only_while_the_policy_allows_another_wait(rt, now, handling):
    for n in range(rt.policy.max_pauses):
        with rt.uow(write=False) as uow:
            complaint = queries.get_complaint(uow, handling, NETWORK).complaint
            assert "pause" in allowed_actions(uow, complaint, NETWORK)
        services.act(rt, handling, "pause", NETWORK, now=now + timedelta(hours=n), reason="等客户回电")
        services.act(rt, handling, "resume", NETWORK, now=now + timedelta(hours=n, minutes=30))
    with rt.uow(write=False) as uow:
        complaint = queries.get_complaint(uow, handling, NETWORK).complaint
        assert "pause" not in allowed_actions(uow, complaint, NETWORK)
        assert "reply" in allowed_actions(uow, complaint, NETWORK)
    with pytest.raises(ValidationError, match="pause_count_used"):
        services.act(rt, handling, "pause", NETWORK, now=now + timedelta(days=1), reason="再等")


def test_escalation_stops_at_the_highest_level_the_policy_allows(rt, now, handling):
    once = services.act(rt, handling, "escalate", DESK, now=now, reason="客户多次来电")
    with rt.uow(write=False) as uow:
        assert "escalate" in allowed_actions(uow, once, DESK)
    top = services.act(rt, handling, "escalate", DESK, now=now, reason="媒体已介入,请领导督办")
    assert top.escalation_level == 2 and top.major_reasons == ["manual"]
    with rt.uow(write=False) as uow:
        assert "escalate" not in allowed_actions(uow, top, DESK)   # no form that must fail
        assert "contact" in allowed_actions(uow, top, DESK)
    with pytest.raises(ValidationError, match="escalation_at_max"):
        services.act(rt, handling, "escalate", DESK, now=now, reason="再升级")
