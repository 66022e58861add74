"""The complaint process: states, roles and one table of transitions.

The table is the single source of truth: the `transitions` machine, the diagram and the
JSON definition are built from it, and the machine answers "what may happen now" and
"who may", checks the guards (roles, policy limits) and runs each action's effect. It is
built once per process (`PROCESS`) and never modified at run time, so many threads can
fire events on it at once; each complaint is passed to the event rather than attached
to the machine (see `Process.fire`).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from transitions import EventData, Machine, MachineError


class State(str, enum.Enum):
    """Where a complaint is in its life."""

    received = "received"
    assigned = "assigned"
    handling = "handling"
    replied = "replied"
    closed = "closed"
    reopened = "reopened"


class Role(str, enum.Enum):
    """Who a user is; the transition table names the roles that may fire each action."""

    operator = "operator"          # front-line window: hotline, business hall, web
    handler = "handler"            # a responsible department's handler
    major_desk = "major_desk"      # the CSC's major-complaint desk
    auditor = "auditor"            # market operations: reads everything, acts on nothing
    admin = "admin"                # users and departments
    system = "system"              # timers and automatic rules


OPEN = frozenset(s for s in State if s is not State.closed)
ACTIVE = (State.received, State.assigned, State.handling, State.reopened)
R = Role

#: The whole process. `dest: None` is an action that keeps the state (an internal
#: transition). `roles` become a condition of the row; `conditions` / `unless` name guard
#: methods of `ProcessModel`; `before` names the effect the row has on the complaint (a
#: method of the model, given by the domain: `workflow.domain.effects`).
TRANSITIONS: list[dict] = [
    dict(trigger="assign", source=[State.received, State.reopened, State.assigned],
         dest=State.assigned, roles=[R.operator, R.major_desk], before="move_department"),
    dict(trigger="accept", source=[State.assigned, State.reopened], dest=State.handling,
         roles=[R.handler, R.major_desk], before="take_on"),
    dict(trigger="transfer", source=[State.assigned, State.handling], dest=State.assigned,
         roles=[R.handler, R.major_desk], before="move_department"),
    # A handler only as the department's lead (workflow.domain.access.LEADS_ONLY).
    dict(trigger="reassign", source=[State.assigned, State.handling, State.reopened],
         dest=None, roles=[R.handler, R.major_desk], before="hand_over"),
    dict(trigger="contact", source=list(ACTIVE), dest=None,
         roles=[R.operator, R.handler, R.major_desk]),
    dict(trigger="pause", source=[State.handling], dest=None,
         unless=["is_paused", "at_policy_limit"], roles=[R.operator, R.handler, R.major_desk],
         before="start_wait"),
    dict(trigger="resume", source=[State.handling], dest=None, conditions="is_paused",
         roles=[R.operator, R.handler, R.major_desk, R.system], before="end_wait"),
    dict(trigger="reply", source=[State.handling], dest=State.replied,
         roles=[R.operator, R.handler, R.major_desk], before="end_wait"),
    dict(trigger="reply", source=[State.received], dest=State.replied,
         roles=[R.operator, R.major_desk]),
    dict(trigger="close", source=[State.replied], dest=State.closed,
         roles=[R.operator, R.major_desk, R.system], before="record_satisfaction"),
    dict(trigger="reopen", source=[State.replied, State.closed], dest=State.reopened,
         roles=[R.operator, R.major_desk, R.system], before="start_cycle"),
    dict(trigger="escalate", source=list(ACTIVE), dest=State.assigned,
         unless=["is_major", "at_policy_limit"], roles=[R.major_desk, R.system],
         before="escalate_level"),
    dict(trigger="escalate", source=[*ACTIVE, State.replied], dest=None,
         conditions="is_major", unless="at_policy_limit", roles=[R.major_desk, R.system],
         before="escalate_level"),
    # Evidence files (call recordings, bill screenshots, the regulator's letter): kept
    # with the complaint while it is open; the state stays (workflow.services.attaching).
    dict(trigger="attach", source=sorted(OPEN, key=list(State).index), dest=None,
         roles=[R.operator, R.handler, R.major_desk]),
]

#: Every action a complaint can take after intake, in the order forms are shown.
ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t["trigger"] for t in TRANSITIONS))

#: Roles that may file a complaint.
INTAKE_ROLES = frozenset({R.operator, R.major_desk, R.system})
#: The effects the table names (`before`): the model the machine acts on has each.
EFFECTS: tuple[str, ...] = tuple(dict.fromkeys(t["before"] for t in TRANSITIONS if "before" in t))


def policy_limit_reached(policy, model, action: str) -> tuple[str, str, dict] | None:
    """(field, error code, parameters) when the policy's limits refuse `action` now: an
    escalation at the highest level, a pause once the waits are used up; else None."""
    if action == "escalate" and model.escalation_level >= policy.max_escalation_level:
        return "escalation_level", "escalation_at_max", {"level": policy.max_escalation_level}
    if action == "pause":
        if model.pause_count >= policy.max_pauses:
            return "reason", "pause_count_used", {"max": policy.max_pauses}
        if model.paused_seconds >= policy.max_pause_total.seconds:
            return "reason", "pause_total_used", {"total": policy.max_pause_total.text}
    return None


class ProcessModel:
    """What the machine needs of a model: the guards the table names and its effects.

    The guards read the model and the event's keyword arguments (`role`, `policy`); one
    that is not given does not refuse, so "may this happen in this state at all" is the
    same call with fewer arguments. The effects here do nothing: the domain's complaint
    (`workflow.domain.effects.ComplaintEffects`) gives them."""

    escalation_level: int = 0
    paused_at: object = None
    pause_count: int = 0
    paused_seconds: int = 0

    def is_major(self, event=None) -> bool:
        """True once the complaint is on the major-complaint track."""
        return self.escalation_level >= 1

    def is_paused(self, event=None) -> bool:
        """True while the reply clock waits on the customer."""
        return self.paused_at is not None

    def at_policy_limit(self, event=None) -> bool:
        """True when the event's policy (if given) refuses the action whatever its fields."""
        policy = event.kwargs.get("policy") if event is not None else None
        return policy is not None and policy_limit_reached(policy, self, event.event.name) is not None


def _no_effect(self, event=None) -> None:
    """An effect the bare process model does not have."""


for _name in EFFECTS:
    setattr(ProcessModel, _name, _no_effect)


class RoleGuard:
    """A row's roles as a machine condition: passes for a role the row names, or when the
    event gives no `role`."""

    __slots__ = ("roles",)

    def __init__(self, roles):
        self.roles = frozenset(roles)

    def __call__(self, event) -> bool:
        role = event.kwargs.get("role")
        return role is None or role in self.roles


@dataclass(frozen=True)
class Step:
    """One row of the transition table, resolved for one source state."""

    action: str
    source: State
    dest: State | None
    roles: frozenset[Role]


def guard_names(value) -> list[str]:
    """A row's `conditions` or `unless` as a list of guard names."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


class Process:
    """The process definition built once: one shared machine that answers and fires.

    The machine never has a model attached (`Machine(model=None)`): each call passes the
    complaint to the event, so one machine serves every thread and keeps no references.
    Guards are the machine's conditions (the row's roles, the named guards, the policy's
    limits); effects are its `before` callbacks. Keyword arguments go to both: `role`,
    `policy`, and for firing `actor`, `now`, `values`, `data`."""

    def __init__(self, transitions: list[dict] = TRANSITIONS):
        self.transitions = transitions
        rows = []
        for t in transitions:
            row = {k: v for k, v in t.items() if k not in ("roles", "conditions")}
            row["conditions"] = [RoleGuard(t["roles"]), *guard_names(t.get("conditions"))]
            rows.append(row)
        self.rows = rows        # the machine's transitions (a benchmark builds its own from them)
        self.machine = Machine(model=None, states=State, initial=State.received,
                               auto_transitions=False, send_event=True, transitions=rows)
        self._roles: dict[str, frozenset[Role]] = {}
        for t in transitions:
            self._roles[t["trigger"]] = self._roles.get(t["trigger"], frozenset()) | set(t["roles"])
        # The machine's answers that never change, asked once: its triggers per state, and
        # its transitions per (action, source), each with its row as a Step.
        self._triggers = {s: tuple(self.machine.get_triggers(s.name)) for s in State}
        self._steps: dict[tuple[str, State], list[tuple[object, Step]]] = {}
        for action, event in self.machine.events.items():
            for source, found in event.transitions.items():
                self._steps[(action, State[source])] = [
                    (tr, Step(action, State[source], State(tr.dest) if tr.dest else None,
                              tr.conditions[0].func.roles)) for tr in found]

    def roles_for(self, action: str) -> frozenset[Role]:
        """Every role that may fire `action` from some state (empty for an unknown one)."""
        return self._roles.get(action, frozenset())

    def _passing(self, found, event) -> Step | None:
        for transition, step in found:
            event.transition = transition
            if all(c.check(event) for c in transition.conditions):
                return step
        return None

    def step_for(self, model, action: str, **kwargs) -> Step | None:
        """The row that `action` would take from the model's state now, if the machine's
        conditions let it (given `role` / `policy`: theirs too); else None.

        The machine's own `may_<trigger>` check (`Machine._can_trigger`) for a model that
        is not attached: the event's transitions from the state, their conditions checked
        on an `EventData` (a test pins it against `may_<trigger>` of an attached model)."""
        found = self._steps.get((action, model.state))
        if not found:
            return None
        return self._passing(found, EventData(None, self.machine.events[action], self.machine,
                                              model, (), kwargs))

    def may(self, model, action: str, **kwargs) -> bool:
        """Whether the machine would fire `action` on the model now (`may_<trigger>`)."""
        return self.step_for(model, action, **kwargs) is not None

    def allowed(self, model, role: Role | None = None, policy=None) -> list[str]:
        """The actions the machine allows now (for `role`, within `policy`'s limits), in
        the table's order: the state's triggers whose conditions pass."""
        event = EventData(None, None, self.machine, model, (), {"role": role, "policy": policy})
        out = []
        for action in self._triggers[model.state]:
            event.event = self.machine.events[action]
            if self._passing(self._steps[(action, model.state)], event):
                out.append(action)
        return out

    def fire(self, model, action: str, **kwargs) -> None:
        """Fire `action` on the shared machine without attaching the model to it: the
        conditions are checked and the row's effect runs with `kwargs`.

        Raises `transitions.MachineError` when the state or the guards refuse it."""
        event = self.machine.events.get(action)
        if event is None:
            raise MachineError(f"unknown action {action!r}")
        if not event.trigger(model, **kwargs):
            raise MachineError(f"guards refused {action!r} from {model.state.value!r}")


PROCESS = Process()
