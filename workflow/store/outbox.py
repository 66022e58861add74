"""Notifications: outbox rows written in the caller's transaction.

The rows commit (or roll back) together with the warning or escalation that caused
them; a sender (`timers.notify`) delivers them later and marks them sent.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from workflow.domain.model import Complaint
from workflow.store.schema import outbox

_INSERT = insert(outbox)


def recipients_for(complaint: Complaint, *extra: str) -> list[str]:
    """The departments to tell: the one handling it, the one that accepted it, then `extra`."""
    return list(dict.fromkeys((complaint.department, complaint.originating_department, *extra)))


def message(complaint: Complaint, kind: str, subject: str, body: str, *, now: datetime,
            recipients: list[str] | None = None) -> dict:
    """An outbox row about `complaint`, to be written with `write`."""
    return dict(complaint_id=complaint.id, kind=kind,
                recipients=recipients or recipients_for(complaint), subject=subject[:200],
                body=body, created_at=now, attempts=0, next_attempt_at=now)


def write(uow, rows: list[dict]) -> None:
    """Queue outbox rows in the unit of work's transaction (one statement for many)."""
    if rows:
        uow.conn.execute(_INSERT, rows)
