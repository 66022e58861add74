"""The complaint process: states, roles and one table of transitions.

The table is the single source of truth: the `transitions` machine, the role checks,
the "what may happen now" answers, the diagram and the JSON definition are all built
from it. The machine is built once per process (`PROCESS`) and never modified at run
time, so many threads can fire events on it at once; each complaint is passed to the
event rather than attached to the machine (see `Process.fire`).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from transitions import Machine, MachineError


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
#: transition). `conditions` / `unless` name guard methods of `ProcessGuards`.
TRANSITIONS: list[dict] = [
    dict(trigger="assign", source=[State.received, State.reopened, State.assigned],
         dest=State.assigned, roles=[R.operator, R.major_desk]),
    dict(trigger="accept", source=[State.assigned, State.reopened], dest=State.handling,
         roles=[R.handler, R.major_desk]),
    dict(trigger="transfer", source=[State.assigned, State.handling], dest=State.assigned,
         roles=[R.handler, R.major_desk]),
    # A handler only as the department's lead (workflow.domain.access.LEADS_ONLY).
    dict(trigger="reassign", source=[State.assigned, State.handling, State.reopened],
         dest=None, roles=[R.handler, R.major_desk]),
    dict(trigger="contact", source=list(ACTIVE), dest=None,
         roles=[R.operator, R.handler, R.major_desk]),
    dict(trigger="pause", source=[State.handling], dest=None, unless="is_paused",
         roles=[R.operator, R.handler, R.major_desk]),
    dict(trigger="resume", source=[State.handling], dest=None, conditions="is_paused",
         roles=[R.operator, R.handler, R.major_desk, R.system]),
    dict(trigger="reply", source=[State.handling], dest=State.replied,
         roles=[R.operator, R.handler, R.major_desk]),
    dict(trigger="reply", source=[State.received], dest=State.replied,
         roles=[R.operator, R.major_desk]),
    dict(trigger="close", source=[State.replied], dest=State.closed,
         roles=[R.operator, R.major_desk, R.system]),
    dict(trigger="reopen", source=[State.replied, State.closed], dest=State.reopened,
         roles=[R.operator, R.major_desk, R.system]),
    dict(trigger="escalate", source=list(ACTIVE), dest=State.assigned, unless="is_major",
         roles=[R.major_desk, R.system]),
    dict(trigger="escalate", source=[*ACTIVE, State.replied], dest=None,
         conditions="is_major", roles=[R.major_desk, R.system]),
    # Evidence files (call recordings, bill screenshots, the regulator's letter): kept
    # with the complaint while it is open; the state stays (workflow.services.attaching).
    dict(trigger="attach", source=sorted(OPEN, key=list(State).index), dest=None,
         roles=[R.operator, R.handler, R.major_desk]),
]

#: Every action a complaint can take after intake, in the order forms are shown.
ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t["trigger"] for t in TRANSITIONS))

#: Roles that may file a complaint.
INTAKE_ROLES = frozenset({R.operator, R.major_desk, R.system})


class ProcessGuards:
    """Named guards the transition table refers to; the complaint model inherits them."""

    escalation_level: int = 0
    paused_at: object = None

    def is_major(self, event=None) -> bool:
        """True once the complaint is on the major-complaint track."""
        return self.escalation_level >= 1

    def is_paused(self, event=None) -> bool:
        """True while the reply clock waits on the customer."""
        return self.paused_at is not None


@dataclass(frozen=True)
class Step:
    """One row of the transition table, resolved."""

    action: str
    source: State
    dest: State | None
    roles: frozenset[Role]
    conditions: tuple[str, ...]
    unless: tuple[str, ...]

    def guards_pass(self, model) -> bool:
        """Whether this row's guards hold for the model."""
        return all(getattr(model, c)() for c in self.conditions) and not any(
            getattr(model, u)() for u in self.unless)


def _names(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


class Process:
    """The process definition built once: a shared machine plus indexed steps."""

    def __init__(self, transitions: list[dict] = TRANSITIONS):
        self.transitions = transitions
        self.machine = Machine(
            model=None, states=State, initial=State.received, auto_transitions=False,
            transitions=[{k: v for k, v in t.items() if k != "roles"} for t in transitions],
        )
        self.steps: dict[tuple[State, str], list[Step]] = {}
        self._roles: dict[str, frozenset[Role]] = {}
        for t in transitions:
            for source in t["source"]:
                step = Step(t["trigger"], source, t["dest"], frozenset(t["roles"]),
                            _names(t.get("conditions")), _names(t.get("unless")))
                self.steps.setdefault((source, t["trigger"]), []).append(step)
            self._roles[t["trigger"]] = self._roles.get(t["trigger"], frozenset()) | set(t["roles"])

    def roles_for(self, action: str) -> frozenset[Role]:
        """Every role that may fire `action` from some state (empty for an unknown one)."""
        return self._roles.get(action, frozenset())

    def step_for(self, model, action: str) -> Step | None:
        """The table row that `action` would take from the model's state, if any."""
        for step in self.steps.get((model.state, action), ()):
            if step.guards_pass(model):
                return step
        return None

    def allowed(self, model, role: Role | None = None) -> list[str]:
        """The actions the machine allows now, optionally only those `role` may fire."""
        out = []
        for action in ACTIONS:
            step = self.step_for(model, action)
            if step and (role is None or role in step.roles):
                out.append(action)
        return out

    def fire(self, model, action: str) -> None:
        """Fire `action` on the shared machine without attaching the model to it.

        Raises `transitions.MachineError` when the state does not allow it.
        """
        event = self.machine.events.get(action)
        if event is None:
            raise MachineError(f"unknown action {action!r}")
        if not event.trigger(model):
            raise MachineError(f"guards refused {action!r} from {model.state.value!r}")


PROCESS = Process()
