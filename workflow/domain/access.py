"""Who may see and who may act on a complaint, beyond the roles in the transition table.

The rules are data: for each role, which of a complaint's department columns must be
the actor's own department (`ALL`: every complaint; an empty tuple: none). The Python
checks below and the SQL filters of the work queue and the API list
(`workflow.store.queries`) are both built from these two tables.

First-contact responsibility: the originating department always sees its complaints.
A department handler acts only on complaints assigned to its department.
"""
from __future__ import annotations

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


def may_see(actor: Actor, complaint: Complaint) -> bool:
    """Whether the actor may see the complaint at all (else it is "not found" to them)."""
    return _holds(SEES[actor.role], actor, complaint)


def may_act(actor: Actor, complaint: Complaint) -> bool:
    """Whether the actor's department lets them act on it (the role table decides what)."""
    return _holds(ACTS[actor.role], actor, complaint)

