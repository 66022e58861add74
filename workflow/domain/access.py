"""Who may see and who may act on a complaint, beyond the roles in the transition table.

The rules are data: for each role, which of a complaint's department columns must be
the actor's own department (`ALL`: every complaint; an empty tuple: none), and whose
turn a complaint waits on (`TURNS`, the work queue's "waiting on me"). The Python
checks below and the SQL filters of the work queue and the API list
(`workflow.store.queries`) are both built from these tables.

First-contact responsibility: the originating department always sees its complaints.
A department handler acts only on complaints assigned to its department.
"""
from __future__ import annotations

from dataclasses import dataclass

from states.process import Role
from workflow.domain.model import Actor, Complaint

#: Every complaint.
ALL = None
_ANY_OF_ITS = ("originating_department", "department", "routed_department")

#: Which complaints a role sees: those where one of these columns is the actor's department.
SEES: dict[Role, tuple[str, ...] | None] = {
    Role.system: ALL, Role.major_desk: ALL, Role.auditor: ALL, Role.admin: ALL,
    Role.operator: _ANY_OF_ITS, Role.handler: _ANY_OF_ITS,
}
#: Which complaints a role's department lets it act on (the role table decides what).
#: Always a part of what the role sees.
ACTS: dict[Role, tuple[str, ...] | None] = {
    Role.system: ALL, Role.major_desk: ALL, Role.auditor: (), Role.admin: (),
    Role.operator: ("originating_department", "department"), Role.handler: ("department",),
}


def _holds(rule: tuple[str, ...] | None, actor: Actor, complaint: Complaint) -> bool:
    if rule is ALL:
        return True
    return any(getattr(complaint, column) == actor.department for column in rule)


#: Actions that, for these roles, only a department's lead (`Actor.lead`) may fire:
#: reassigning the handler of record within the department.
LEADS_ONLY: dict[str, frozenset[Role]] = {"reassign": frozenset({Role.handler})}


def may_fire(actor: Actor, action: str) -> bool:
    """Whether the actor's standing lets them fire `action` (a lead's action needs a lead)."""
    return actor.lead or actor.role not in LEADS_ONLY.get(action, ())


def may_see(actor: Actor, complaint: Complaint) -> bool:
    """Whether the actor may see the complaint at all (else it is "not found" to them)."""
    return _holds(SEES[actor.role], actor, complaint)


def may_act(actor: Actor, complaint: Complaint) -> bool:
    """Whether the actor's department lets them act on it (the role table decides what)."""
    return _holds(ACTS[actor.role], actor, complaint)


# --- Who may use which pages and reports (every role list of the application) ----------

#: Roles that see complaints but act on none of them.
READ_ONLY: tuple[Role, ...] = (Role.auditor, Role.admin)
#: Users, departments, tokens, calendar data and loading a policy: administrators.
ADMINS: tuple[Role, ...] = (Role.admin,)
#: Who reads the personal-data access log: market operations and administrators.
ACCESS_LOG_READERS: tuple[Role, ...] = (Role.auditor, Role.admin)
#: The CSC keeps the escalated-complaint liaison list current.
LIAISON_KEEPERS: tuple[Role, ...] = (Role.admin, Role.major_desk)
#: The CSC answers for the notifications (the outbox page, sending one again).
OUTBOX_WATCHERS: tuple[Role, ...] = (Role.admin, Role.major_desk)
#: Who reads the policy versions: administrators, the major desk and market operations.
POLICY_READERS: tuple[Role, ...] = (Role.admin, Role.major_desk, Role.auditor)
#: Who reads the reports: the market operations auditors, the major-complaint desk (the
#: CSC coordinates and reports upward) and the administrators.
REPORT_READERS: tuple[Role, ...] = (Role.auditor, Role.major_desk, Role.admin)
#: Who sees the hot issues: the roles that see every complaint (the CSC's major desk,
#: market operations, administrators); an operator or handler sees only part of them.
HOT_READERS: tuple[Role, ...] = (Role.major_desk, Role.auditor, Role.admin)
#: Who escalates a hot-issue cluster as a joint complaint: the major-complaint desk.
HOT_ESCALATORS: tuple[Role, ...] = (Role.major_desk,)
#: The roles that may hold a complaint as its handler of record, as role values.
HOLDERS: tuple[str, ...] = tuple(r.value for r in (Role.handler, Role.major_desk, Role.operator))
#: The roles a user account may be given (the system role is the timers' own).
#: Whose users receive a department's notifications when nobody holds the complaint:
#: those who act on complaints (not auditors or administrators).
NOTIFIED: tuple[str, ...] = HOLDERS
ASSIGNABLE: tuple[Role, ...] = tuple(r for r in Role if r is not Role.system)


@dataclass(frozen=True)
class Turn:
    """Complaints that wait on a role: in one of `states`, where one of `columns` is the
    actor's department (`ALL`: any), on the major track or not (`major`, None: either),
    and only those straight from the customer when `direct_only`."""

    states: tuple[str, ...]
    columns: tuple[str, ...] | None = ALL
    major: bool | None = None
    direct_only: bool = False


_OPEN = ("received", "assigned", "handling", "reopened", "replied")

#: Whose turn it is: the work queue's "mine" scope. A complaint is an actor's work when
#: one of its role's turns holds. Every turn is a part of what the role may act on now
#: (`allowed_actions` is never empty there; a test holds it), but not everything it may
#: act on is its work: a closed complaint can be reopened and an operator may reply to a
#: complaint in a department's hands, yet neither waits on them.
#: - the front line dispatches what it received or got back, and closes what was
#:   answered, on the normal track (major and escalated complaints are the desk's);
#: - a department accepts and answers what is assigned to it;
#: - the major-complaint desk works every open major complaint, and every open complaint
#:   in the customer service centre's own hands (escalated complaints go there first).
TURNS: dict[Role, tuple[Turn, ...]] = {
    Role.operator: (Turn(("received", "reopened", "replied"),
                         ("originating_department", "department"), major=False,
                         direct_only=True),),
    Role.handler: (Turn(("assigned", "handling", "reopened"), ("department",)),),
    Role.major_desk: (Turn(_OPEN, ("department",)), Turn(_OPEN, ALL, major=True)),
    Role.auditor: (), Role.admin: (), Role.system: (),
}


def _turn_holds(turn: Turn, actor: Actor, complaint: Complaint) -> bool:
    return (complaint.state.value in turn.states
            and _holds(turn.columns, actor, complaint)
            and (turn.major is None or (complaint.escalation_level >= 1) == turn.major)
            and not (turn.direct_only and complaint.source != "direct"))


def is_my_turn(actor: Actor, complaint: Complaint) -> bool:
    """Whether the complaint waits on this actor (the work queue's "mine")."""
    return any(_turn_holds(turn, actor, complaint) for turn in TURNS[actor.role])
