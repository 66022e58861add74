"""The handler of record (接单人) in workflow.domain: who sets it, what clears it, who may
reassign it and to whom. Plain objects, no database."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from states.policy import load_policy
from states.process import PROCESS, Role, State
from workflow.domain.actions import allowed_actions, decide
from workflow.domain.errors import Forbidden, NotFound, ValidationError
from workflow.domain.model import SYSTEM, Actor, Complaint

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
POLICY = load_policy()
DESK = Actor("major_desk", Role.major_desk, "customer_service")
NETWORK = Actor("network", Role.handler, "network")
NETWORK_LEAD = Actor("lead", Role.handler, "network", lead=True)
MARKETING_LEAD = Actor("mlead", Role.handler, "marketing", lead=True)
#: username -> (department, role) of the active users the look-up knows.
USERS = {"network": ("network", "handler"), "network_2": ("network", "handler"),
         "lead": ("network", "handler"), "lina": ("marketing", "handler"),
         "auditor": ("network", "auditor")}


def complaint(state=State.handling, **changes) -> Complaint:
    """A network complaint in `state`."""
    values = dict(id=7, state=state, version=4, mobile="13812345678", channel="hotline",
                  source="direct", cause="coverage", text="小区信号差", routed_department="network",
                  department="network", originating_department="customer_service",
                  policy_version=1, created_by="operator", created_at=NOW, updated_at=NOW)
    values.update(changes)
    return Complaint(**values)


def act(c, action, actor, **values):
    return decide(PROCESS, POLICY, c, action, actor, now=NOW + timedelta(hours=1), values=values,
                  user_of=USERS.get)


def test_accepting_makes_the_accepting_user_the_handler_of_record():
    change = act(complaint(State.assigned), "accept", NETWORK)
    assert change.complaint.handler_user == "network"
    assert change.columns["handler_user"] == "network"


def test_a_transfer_clears_the_handler_and_records_who_held_it():
    change = act(complaint(handler_user="network"), "transfer", NETWORK, department="marketing",
                 reason="属资费问题")
    assert change.complaint.handler_user is None and "handler_user" in change.columns
    assert change.event["data"]["from_handler"] == "network"


@pytest.mark.parametrize("level", [0, 1])
def test_an_escalation_by_hand_or_by_the_timer_clears_the_handler(level):
    for actor in (DESK, SYSTEM):
        c = complaint(handler_user="network", escalation_level=level)
        change = act(c, "escalate", actor, reason="超时")
        assert change.complaint.handler_user is None
        assert change.columns["handler_user"] is None


def test_an_action_that_does_not_touch_the_handler_leaves_its_column_out():
    change = act(complaint(handler_user="network"), "contact", NETWORK, comment="已联系")
    assert "handler_user" not in change.columns and change.complaint.handler_user == "network"


def test_the_lead_reassigns_within_the_department():
    change = act(complaint(handler_user="network"), "reassign", NETWORK_LEAD,
                 handler="network_2")
    assert change.complaint.handler_user == "network_2"
    assert change.columns == {"handler_user": "network_2", "state": "handling",
                              "updated_at": NOW + timedelta(hours=1)}
    assert change.event["data"] == {"handler": "network_2", "from_handler": "network"}
    assert change.rule is not None and change.rule == type(change.rule)()   # no clock moves


def test_the_major_desk_reassigns_in_any_department():
    change = act(complaint(State.assigned), "reassign", DESK, handler="network")
    assert change.complaint.handler_user == "network" and change.complaint.state is State.assigned


def test_a_handler_who_is_not_the_lead_may_not_reassign_and_is_not_offered_it():
    assert "reassign" not in allowed_actions(PROCESS, POLICY, complaint(), NETWORK)
    assert "reassign" in allowed_actions(PROCESS, POLICY, complaint(), NETWORK_LEAD)
    with pytest.raises(Forbidden):
        act(complaint(), "reassign", NETWORK, handler="network_2")


def test_another_departments_lead_may_not_reassign():
    with pytest.raises(NotFound):            # it does not even see it
        act(complaint(), "reassign", MARKETING_LEAD, handler="lina")
    with pytest.raises(Forbidden):           # routed to it, but another department handles it
        act(complaint(routed_department="marketing"), "reassign", MARKETING_LEAD,
            handler="lina")


@pytest.mark.parametrize("handler,code", [
    ("lina", "handler_other_department"),      # a marketing user: across departments
    ("nobody", "unknown_user"),
    ("auditor", "handler_cannot_act"),
    ("network", "same_handler"),
    ("", "required"),
])
def test_a_reassignment_outside_the_department_or_to_no_one_who_can_hold_it_is_refused(
        handler, code):
    with pytest.raises(ValidationError) as refused:
        act(complaint(handler_user="network"), "reassign", DESK, handler=handler)
    assert refused.value.errors["handler"].code == code


def test_reassigning_is_not_allowed_once_replied_or_closed():
    for state in (State.received, State.replied, State.closed):
        assert "reassign" not in allowed_actions(PROCESS, POLICY, complaint(state), DESK)
