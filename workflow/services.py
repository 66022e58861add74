"""The use cases, one transaction each: what the web, the API and the CLI call.

Each function opens a unit of work, calls the domain code and commits; on any error
the transaction rolls back and nothing is written.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from workflow.actions import (allowed_actions, apply_action, apply_and_read_clocks,
                              one_statement)
from workflow.intake import IntakeResult, file_complaint
from workflow.model import Actor, Complaint
from workflow.runtime import Runtime


def intake(rt: Runtime, actor: Actor, values: dict, *, now: datetime,
           idempotency_key: str | None = None) -> IntakeResult:
    """File a new complaint (or return the first result of a retried idempotent intake)."""
    try:
        with rt.uow() as uow:
            result = file_complaint(uow, actor, values, now=now, idempotency_key=idempotency_key)
            uow.commit()
            return result
    except IntegrityError:
        if not idempotency_key:
            raise
        # Another request with the same key won the race: answer as its retry.
        with rt.uow(write=False) as uow:
            return file_complaint(uow, actor, values, now=now, idempotency_key=idempotency_key)


def act(rt: Runtime, complaint_id: int, action: str, actor: Actor, *, now: datetime,
        **fields) -> Complaint:
    """Fire one action on one complaint; see `workflow.actions.apply_action` for the fields."""
    with rt.uow() as uow:
        complaint = apply_action(uow, complaint_id, action, actor, now=now, **fields)
        uow.commit()
        return complaint


@dataclass
class Acted:
    """An action's outcome as an API answer shows it, all read in the action's transaction."""

    complaint: Complaint
    deadlines: list[dict]     # `workflow.deadlines.rows`: the clocks, nearest due first
    allowed: list[str]        # what the actor may fire next


def act_and_read(rt: Runtime, complaint_id: int, action: str, actor: Actor, *,
                 now: datetime, **fields) -> Acted:
    """`act`, also reading the changed complaint's clocks and the actor's next actions
    before the commit: one unit of work instead of a second one to read them back.

    On PostgreSQL, when the action's writes are one statement (`actions.one_statement`),
    that unit of work runs in autocommit: no BEGIN and COMMIT round trips. The statement
    is atomic by itself; what could fail after it is building the answer, and then the
    action stands, as it would if the answer were lost on its way to the caller."""
    with rt.uow(autocommit=one_statement(rt.engine.dialect.name, action)) as uow:
        complaint, clocks = apply_and_read_clocks(uow, complaint_id, action, actor, now=now,
                                                  **fields)
        acted = Acted(complaint, clocks, allowed_actions(uow, complaint, actor))
        uow.commit()
        return acted


def assign(rt, complaint_id, actor, *, now, department, comment="", expected_version=None):
    """Assign the complaint to the department that must handle it."""
    return act(rt, complaint_id, "assign", actor, now=now, department=department,
               comment=comment, expected_version=expected_version)


def accept(rt, complaint_id, actor, *, now, comment="", expected_version=None):
    """The assigned department takes the complaint on."""
    return act(rt, complaint_id, "accept", actor, now=now, comment=comment,
               expected_version=expected_version)


def transfer(rt, complaint_id, actor, *, now, department, reason, comment="",
             expected_version=None):
    """Hand the complaint to another department, saying why."""
    return act(rt, complaint_id, "transfer", actor, now=now, department=department,
               reason=reason, comment=comment, expected_version=expected_version)


def contact(rt, complaint_id, actor, *, now, comment, expected_version=None):
    """Log a contact with the customer."""
    return act(rt, complaint_id, "contact", actor, now=now, comment=comment,
               expected_version=expected_version)


def reply(rt, complaint_id, actor, *, now, comment, expected_version=None):
    """Give the customer the final answer."""
    return act(rt, complaint_id, "reply", actor, now=now, comment=comment,
               expected_version=expected_version)


def close(rt, complaint_id, actor, *, now, satisfaction, comment="", expected_version=None):
    """Close the complaint with the customer's satisfaction."""
    return act(rt, complaint_id, "close", actor, now=now, satisfaction=satisfaction,
               comment=comment, expected_version=expected_version)


def reopen(rt, complaint_id, actor, *, now, reason, comment="", expected_version=None):
    """Reopen a replied or closed complaint: the customer is not satisfied."""
    return act(rt, complaint_id, "reopen", actor, now=now, reason=reason, comment=comment,
               expected_version=expected_version)


def escalate(rt, complaint_id, actor, *, now, reason, comment="", expected_version=None,
             criterion=None):
    """Escalate to major-complaint handling (or one level higher if already major)."""
    return act(rt, complaint_id, "escalate", actor, now=now, reason=reason, comment=comment,
               expected_version=expected_version,
               data={"criterion": criterion} if criterion else None)


def pause(rt, complaint_id, actor, *, now, reason, comment="", expected_version=None):
    """Pause the reply clock while waiting on the customer."""
    return act(rt, complaint_id, "pause", actor, now=now, reason=reason, comment=comment,
               expected_version=expected_version)


def resume(rt, complaint_id, actor, *, now, comment="", expected_version=None):
    """Resume the reply clock."""
    return act(rt, complaint_id, "resume", actor, now=now, comment=comment,
               expected_version=expected_version)
