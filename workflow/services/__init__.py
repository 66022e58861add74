"""The use cases, one transaction each: what the web, the API and the CLI call.

Each function opens a unit of work, calls the domain code and commits; on any error
the transaction rolls back and nothing is written.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from workflow.services.actions import (allowed_actions, apply_action, apply_and_read_clocks,
                              one_statement)
from workflow.services.filing import IntakeResult, file_complaint
from workflow.domain.model import Actor, Complaint
from workflow.store.runtime import Runtime


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
    """Fire one action on one complaint; see `workflow.services.actions.apply_action` for the fields."""
    with rt.uow() as uow:
        complaint = apply_action(uow, complaint_id, action, actor, now=now, **fields)
        uow.commit()
        return complaint


@dataclass
class Acted:
    """An action's outcome as an API answer shows it, all read in the action's transaction."""

    complaint: Complaint
    deadlines: list[dict]     # `workflow.store.deadlines.rows`: the clocks, nearest due first
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
