"""Who may see and who may act on a complaint, beyond the roles in the transition table.

First-contact responsibility: the originating department always sees its complaints.
A department handler acts only on complaints assigned to its department.
"""
from __future__ import annotations

from sqlalchemy import or_, true

from states.process import Role
from workflow.domain.model import Actor, Complaint
from workflow.store.schema import complaints as t

SEE_ALL = frozenset({Role.system, Role.major_desk, Role.auditor, Role.admin})
ACT_ANYWHERE = frozenset({Role.system, Role.major_desk})


def may_see(actor: Actor, complaint: Complaint) -> bool:
    """Whether the actor may see the complaint at all (else it is "not found" to them)."""
    if actor.role in SEE_ALL:
        return True
    return actor.department in (complaint.originating_department, complaint.department,
                                complaint.routed_department)


def may_act(actor: Actor, complaint: Complaint) -> bool:
    """Whether the actor's department lets them act on it (the role table decides what)."""
    if actor.role in ACT_ANYWHERE:
        return True
    if actor.role is Role.operator:
        return actor.department in (complaint.originating_department, complaint.department)
    if actor.role is Role.handler:
        return actor.department == complaint.department
    return False


def visible_clause(actor: Actor):
    """The SQL condition selecting the complaints the actor may see."""
    if actor.role in SEE_ALL:
        return true()
    d = actor.department
    return or_(t.c.originating_department == d, t.c.department == d, t.c.routed_department == d)


def actionable_clause(actor: Actor):
    """The SQL condition selecting complaints whose department lets the actor act."""
    if actor.role in ACT_ANYWHERE:
        return true()
    d = actor.department
    if actor.role is Role.operator:
        return or_(t.c.originating_department == d, t.c.department == d)
    if actor.role is Role.handler:
        return t.c.department == d
    return ~true()
