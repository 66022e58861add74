"""The transition table, checked pair by pair against the process as DOMAIN.md describes it."""
from __future__ import annotations

import itertools
import threading

import pytest
from transitions import MachineError

from states.fields import ACTION_FIELDS
from states.process import ACTIONS, PROCESS, TRANSITIONS, ProcessModel, Role, State

S, R = State, Role
ACTIVE = {S.received, S.assigned, S.handling, S.reopened}


class Case(ProcessModel):
    """The smallest model the shared machine can act on."""

    def __init__(self, state=S.received, major=False, paused=False):
        self.state = state
        self.escalation_level = 1 if major else 0
        self.paused_at = "2026-11-30T09:00" if paused else None


def expected_destination(state, action, major, paused):
    """The process written out independently of the table: where `action` leads, or None."""
    if action == "assign":
        return S.assigned if state in {S.received, S.reopened, S.assigned} else None
    if action == "accept":
        return S.handling if state in {S.assigned, S.reopened} else None
    if action == "transfer":
        return S.assigned if state in {S.assigned, S.handling} else None
    if action == "reassign":   # the handler of record, within the department: stays
        return state if state in {S.assigned, S.handling, S.reopened} else None
    if action == "contact":
        return state if state in ACTIVE else None
    if action == "pause":
        return state if state is S.handling and not paused else None
    if action == "resume":
        return state if state is S.handling and paused else None
    if action == "reply":
        return S.replied if state in {S.handling, S.received} else None
    if action == "close":
        return S.closed if state is S.replied else None
    if action == "reopen":
        return S.reopened if state in {S.replied, S.closed} else None
    if action == "escalate":
        if major:  # one level higher, in place
            return state if state in ACTIVE | {S.replied} else None
        return S.assigned if state in ACTIVE else None
    if action == "attach":     # evidence, while the complaint is open; the state stays
        return state if state is not S.closed else None
    raise AssertionError(action)


PAIRS = list(itertools.product(State, ACTIONS, (False, True), (False, True)))


@pytest.mark.parametrize("state,action,major,paused", PAIRS,
                         ids=[f"{s.value}-{a}-{'major' if m else 'normal'}-{'paused' if p else 'running'}"
                              for s, a, m, p in PAIRS])
def test_every_state_and_action_is_allowed_with_the_right_destination_or_refused(
        state, action, major, paused):
    case = Case(state, major, paused)
    expected = expected_destination(state, action, major, paused)
    step = PROCESS.step_for(case, action)
    if expected is None:
        assert step is None
        assert action not in PROCESS.allowed(case)
        with pytest.raises(MachineError):
            PROCESS.fire(case, action)
        assert case.state is state
    else:
        assert step is not None and (step.dest or state) is expected
        assert action in PROCESS.allowed(case)
        PROCESS.fire(case, action)
        assert case.state is expected


ROLES = {
    "assign": {R.operator, R.major_desk},
    "accept": {R.handler, R.major_desk},
    "transfer": {R.handler, R.major_desk},
    "reassign": {R.handler, R.major_desk},
    "contact": {R.operator, R.handler, R.major_desk},
    "pause": {R.operator, R.handler, R.major_desk},
    "resume": {R.operator, R.handler, R.major_desk, R.system},
    "reply": {R.operator, R.handler, R.major_desk},
    "close": {R.operator, R.major_desk, R.system},
    "reopen": {R.operator, R.major_desk, R.system},
    "escalate": {R.major_desk, R.system},
    "attach": {R.operator, R.handler, R.major_desk},
}


@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_may_be_fired_only_by_the_roles_its_rows_name(action):
    rows = [t for t in TRANSITIONS if t["trigger"] == action]
    assert set().union(*(set(t["roles"]) for t in rows)) == ROLES[action]


def test_only_the_front_line_and_the_major_desk_may_reply_straight_from_received():
    step = PROCESS.step_for(Case(S.received), "reply")
    assert step.roles == {R.operator, R.major_desk}
    assert "reply" not in PROCESS.allowed(Case(S.received), R.handler)
    assert "reply" in PROCESS.allowed(Case(S.handling), R.handler)


def test_an_auditor_and_an_administrator_may_fire_nothing_in_any_state():
    for state, major, paused in itertools.product(State, (False, True), (False, True)):
        case = Case(state, major, paused)
        assert PROCESS.allowed(case, R.auditor) == []
        assert PROCESS.allowed(case, R.admin) == []


def test_a_closed_complaint_can_only_be_reopened():
    assert PROCESS.allowed(Case(S.closed)) == ["reopen"]
    assert PROCESS.allowed(Case(S.closed, major=True)) == ["reopen"]


def test_every_action_says_which_fields_it_needs():
    assert set(ACTION_FIELDS) == set(ACTIONS)


def test_the_shared_machine_never_gets_a_model_attached():
    machine = PROCESS.machine
    before = len(machine.models)
    case = Case(S.received)
    for action in ("assign", "accept", "contact", "pause", "resume", "reply", "close", "reopen"):
        PROCESS.fire(case, action)
        case.paused_at = "now" if action == "pause" else None
        PROCESS.allowed(case, R.operator)
    assert case.state is S.reopened
    assert before == 0 and len(machine.models) == 0


def test_an_event_of_the_shared_machine_can_be_triggered_for_an_unattached_model():
    # Pins the undocumented API `Process.fire` relies on: machine.events[name].trigger(obj).
    event = PROCESS.machine.events["accept"]
    case = Case(S.assigned)
    assert event.trigger(case) is True
    assert case.state is S.handling
    paused = Case(S.handling, paused=True)
    assert PROCESS.machine.events["pause"].trigger(paused) is False  # guard refuses
    assert paused.state is S.handling
    with pytest.raises(MachineError):
        event.trigger(Case(S.closed))
    assert len(PROCESS.machine.models) == 0


def test_an_unknown_action_is_refused_by_name():
    with pytest.raises(MachineError, match="unknown action 'fly'"):
        PROCESS.fire(Case(), "fly")


LIFECYCLE = [("assign", S.assigned), ("accept", S.handling), ("contact", S.handling),
             ("pause", S.handling), ("resume", S.handling), ("reply", S.replied),
             ("reopen", S.reopened), ("escalate", S.assigned), ("accept", S.handling),
             ("reply", S.replied), ("close", S.closed)]


def test_four_threads_fire_lifecycles_on_the_shared_machine_at_once_without_error():
    errors, barrier = [], threading.Barrier(4)

    def run(n):
        barrier.wait()
        try:
            for _ in range(n):
                case = Case()
                for action, dest in LIFECYCLE:
                    PROCESS.fire(case, action)
                    if action == "pause":
                        case.paused_at = "now"
                    elif action == "resume":
                        case.paused_at = None
                    elif action == "escalate":
                        case.escalation_level = 1
                    assert case.state is dest, (action, case.state, dest)
        except Exception as exc:  # collected, the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(1500,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(PROCESS.machine.models) == 0


def _attached(case):
    """The documented way: a machine of the same rows with the model attached to it."""
    from transitions import Machine
    Machine(model=case, states=State, transitions=PROCESS.rows, initial=case.state,
            auto_transitions=False, send_event=True)
    return case


@pytest.mark.parametrize("role", [None, *Role])
def test_what_the_shared_machine_allows_is_what_may_trigger_answers_on_an_attached_model(role):
    # Pins `Process.step_for` (conditions checked on an EventData for an unattached model)
    # against the documented `may_<trigger>()`, with and without a role and a policy.
    from states.policy import load_policy
    policy = load_policy()
    for state, major, paused, at_limit in itertools.product(State, *[(False, True)] * 3):
        case = Case(state, major, paused)
        case.pause_count = policy.max_pauses if at_limit else 0
        case.escalation_level = policy.max_escalation_level if at_limit and major else case.escalation_level
        model = _attached(Case(state, major, paused))
        model.pause_count, model.escalation_level = case.pause_count, case.escalation_level
        for action in ACTIONS:
            documented = getattr(model, f"may_{action}")(role=role, policy=policy)
            assert PROCESS.may(case, action, role=role, policy=policy) is documented, (
                state, action, major, paused, at_limit)
        assert PROCESS.allowed(case, role, policy) == [
            a for a in ACTIONS if getattr(model, f"may_{a}")(role=role, policy=policy)]


def test_the_role_and_the_policy_limit_are_conditions_of_the_machine():
    from states.policy import load_policy
    policy = load_policy()
    assert PROCESS.may(Case(S.received), "reply", role=R.operator)
    assert not PROCESS.may(Case(S.received), "reply", role=R.handler)   # the row's roles
    used = Case(S.handling)
    used.pause_count = policy.max_pauses
    assert PROCESS.may(used, "pause") and not PROCESS.may(used, "pause", policy=policy)
    with pytest.raises(MachineError):
        PROCESS.fire(used, "pause", policy=policy)
    with pytest.raises(MachineError):
        PROCESS.fire(Case(S.received), "reply", role=R.handler)


def test_every_effect_the_table_names_is_a_method_of_the_process_model():
    from states.process import EFFECTS, ProcessModel
    assert set(EFFECTS) == {t["before"] for t in TRANSITIONS if "before" in t}
    assert all(callable(getattr(ProcessModel, name)) for name in EFFECTS)
