"""The action rules of workflow.domain, on plain objects: no database anywhere."""
from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from states.fields import MAX_TEXT
from states.policy import load_policy
from states.process import PROCESS, Role, State
from workflow.domain import access
from workflow.domain.actions import allowed_actions, check_fields, decide, policy_limit
from workflow.domain.errors import (
    ActionNotAllowed,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    ValidationError,
)
from workflow.domain.model import SYSTEM, Actor, Complaint

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
POLICY = load_policy()
OPERATOR = Actor("operator", Role.operator, "customer_service")
DESK = Actor("major_desk", Role.major_desk, "customer_service")
NETWORK = Actor("network", Role.handler, "network")
MARKETING = Actor("marketing", Role.handler, "marketing")
AUDITOR = Actor("auditor", Role.auditor, "market_operations")


def complaint(state=State.handling, **changes) -> Complaint:
    """A network complaint filed by the CSC's front line, in `state`."""
    values = dict(id=7, state=state, version=4, mobile="13812345678", channel="hotline",
                  source="direct", cause="coverage", text="小区信号差", routed_department="network",
                  department="network", originating_department="customer_service",
                  policy_version="test", created_by="operator", created_at=NOW, updated_at=NOW)
    values.update(changes)
    return Complaint(**values)


def act(c, action, actor, **values):
    """decide() with every department active."""
    return decide(PROCESS, POLICY, c, action, actor, now=NOW + timedelta(hours=1),
                  values=values, data=values.pop("data", None),
                  expected_version=values.pop("expected_version", None))


def test_a_contact_changes_only_the_state_columns_and_describes_its_event():
    change = act(complaint(), "contact", NETWORK, comment="已电话联系客户")
    assert change.version == 4 and change.from_state is State.handling
    assert change.columns == {"state": "handling", "updated_at": NOW + timedelta(hours=1)}
    assert change.event["action"] == "contact" and change.event["comment"] == "已电话联系客户"
    assert change.event["actor_role"] == "handler" and change.rule.stop == ("first_contact",)


def test_a_complaint_the_actor_may_not_see_is_not_found_whatever_the_action():
    with pytest.raises(NotFound):
        act(complaint(department="logistics", routed_department="logistics"), "close", NETWORK)


def test_an_unknown_action_is_not_found():
    with pytest.raises(NotFound, match="not_found: kind='action', key='fly'"):
        act(complaint(), "fly", DESK)


def test_a_stale_version_is_a_conflict_before_anything_else_is_judged():
    with pytest.raises(Conflict) as err:
        act(complaint(), "close", NETWORK, satisfaction="satisfied", expected_version=3)
    assert (err.value.expected, err.value.current) == (3, 4)


@pytest.mark.parametrize("actor,action,origin", [
    (NETWORK, "close", "customer_service"), (OPERATOR, "accept", "customer_service"),
    (AUDITOR, "contact", "customer_service"), (MARKETING, "contact", "marketing")])
def test_a_role_that_may_never_do_it_or_a_department_that_may_not_act_is_forbidden(
        actor, action, origin):
    with pytest.raises(Forbidden):
        act(complaint(originating_department=origin), action, actor, comment="x")


def test_an_action_the_state_does_not_allow_is_not_allowed_with_what_is():
    with pytest.raises(ActionNotAllowed) as err:
        act(complaint(State.received), "accept", NETWORK)
    assert err.value.state == "received" and err.value.allowed == ["contact", "attach"]


def test_an_action_the_state_allows_but_not_for_this_role_is_forbidden():
    # A handler may reply while handling, but only the front line replies at once.
    with pytest.raises(Forbidden):
        act(complaint(State.received), "reply", NETWORK, comment="已处理")


def test_every_bad_field_is_listed_with_its_code():
    with pytest.raises(ValidationError) as err:
        check_fields(POLICY, complaint(), "transfer",
                     {"comment": "x" * (MAX_TEXT + 1), "department": "network", "reason": " "},
                     lambda code: True)
    assert {k: v.code for k, v in err.value.errors.items()} == {
        "comment": "too_long", "department": "same_department", "reason": "required"}
    assert err.value.errors["comment"].params == {"max": MAX_TEXT}


def test_an_inactive_department_and_an_unknown_satisfaction_are_refused():
    with pytest.raises(ValidationError) as err:
        check_fields(POLICY, complaint(), "assign", {"department": "sales"}, lambda code: False)
    assert err.value.errors["department"].code == "unknown_department"
    with pytest.raises(ValidationError) as err:
        check_fields(POLICY, complaint(State.replied), "close", {"satisfaction": "delighted"},
                     lambda code: True)
    assert err.value.errors["satisfaction"].code == "one_of"


def test_escalating_a_normal_complaint_hands_it_to_the_csc_with_the_reason():
    change = act(complaint(), "escalate", SYSTEM, reason="答复超时",
                 data={"criterion": "deadline:reply"})
    c = change.complaint
    assert (c.state, c.department, c.escalation_level) == (State.assigned, "customer_service", 1)
    assert c.major_reasons == ["deadline:reply"] and change.event["data"]["level"] == 1
    assert change.columns["department"] == "customer_service"


def test_at_the_highest_level_escalation_is_neither_offered_nor_accepted():
    top = complaint(escalation_level=POLICY.max_escalation_level, major_reasons=["manual"])
    assert "escalate" not in allowed_actions(PROCESS, POLICY, top, DESK)
    assert policy_limit(POLICY, top, "escalate")[1].code == "escalation_at_max"
    with pytest.raises(ValidationError) as err:
        act(top, "escalate", DESK, reason="再次升级")
    assert err.value.errors["escalation_level"].params == {"level": POLICY.max_escalation_level}


def test_a_wait_on_the_customer_counts_into_paused_seconds_when_resumed_or_replied():
    paused = act(complaint(), "pause", NETWORK, reason="等待客户提供账单").complaint
    assert paused.pause_count == 1 and paused.paused_at == NOW + timedelta(hours=1)
    later = replace(paused, state=State.handling)
    replied = decide(PROCESS, POLICY, later, "reply", NETWORK, now=NOW + timedelta(hours=3),
                     values={"comment": "已答复"}).complaint
    assert replied.paused_at is None and replied.paused_seconds == 7200


def test_pausing_more_often_than_the_policy_allows_is_refused():
    used = complaint(pause_count=POLICY.max_pauses)
    assert "pause" not in allowed_actions(PROCESS, POLICY, used, NETWORK)
    with pytest.raises(ValidationError) as err:
        act(used, "pause", NETWORK, reason="等待")
    assert err.value.errors["reason"].code == "pause_count_used"


def test_reopened_as_often_as_the_policy_says_a_complaint_becomes_major():
    c = complaint(State.closed, reopen_count=POLICY.repeat_count - 1, satisfaction="satisfied")
    change = act(c, "reopen", OPERATOR, reason="客户仍不满意")
    assert change.complaint.escalation_level == 1 and "repeated" in change.complaint.major_reasons
    assert change.event["data"]["became_major"] == "repeated"
    assert change.complaint.satisfaction is None and change.complaint.cycle == 2


def test_what_a_role_may_act_on_is_always_part_of_what_it_sees():
    for role in Role:
        sees, acts = access.SEES[role], access.ACTS[role]
        assert sees is access.ALL or (acts is not access.ALL and set(acts) <= set(sees)), role


def test_the_originating_department_sees_but_does_not_handle_a_transferred_complaint():
    c = complaint(originating_department="marketing")
    assert access.may_see(MARKETING, c) and not access.may_act(MARKETING, c)
    assert access.may_act(NETWORK, c) and access.may_see(AUDITOR, c)
    assert not access.may_act(AUDITOR, c)


def test_a_field_error_is_its_code_and_keeps_its_parameters_through_pickling():
    error = FieldError("too_long", max=100)
    assert error == "too_long" and error.code == "too_long" and error.params == {"max": 100}
    again = pickle.loads(pickle.dumps(error))
    assert (again, again.code, again.params) == (error, "too_long", {"max": 100})
    with pytest.raises(TypeError):
        ValidationError({"comment": "required"})


def test_the_effects_run_as_the_machines_callbacks_on_a_complaint_not_attached_to_it():
    c = complaint(State.received, handler_user="lisi")
    data: dict = {}
    PROCESS.fire(c, "assign", role=Role.operator, policy=POLICY, actor=OPERATOR, now=NOW,
                 values={"department": "marketing"}, data=data)
    assert (c.state, c.department, c.handler_user) == (State.assigned, "marketing", None)
    assert data == {"from_department": "network", "from_handler": "lisi"}
    assert len(PROCESS.machine.models) == 0


def test_a_shared_machine_keeps_no_reference_to_a_complaint_it_acted_on():
    import gc
    import weakref
    c = complaint(State.handling)
    act(c, "pause", NETWORK, reason="等待客户提供账单")
    ref = weakref.ref(c)
    del c
    gc.collect()
    assert ref() is None
