"""Notifications: an outbox row written in the caller's transaction.

The row commits (or rolls back) together with the warning or escalation that caused
it; a sender (`timers.notify`) delivers it later and marks it sent.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from workflow.model import Complaint
from workflow.schema import outbox

_INSERT = insert(outbox)


def recipients_for(complaint: Complaint, *extra: str) -> list[str]:
    """The departments to tell: the one handling it, the one that accepted it, then `extra`."""
    return list(dict.fromkeys((complaint.department, complaint.originating_department, *extra)))


def notify(uow, complaint: Complaint, kind: str, subject: str, body: str, *,
           now: datetime, recipients: list[str] | None = None) -> None:
    """Queue a notification about `complaint` in the unit of work's transaction."""
    uow.conn.execute(_INSERT, dict(
        complaint_id=complaint.id, kind=kind,
        recipients=recipients or recipients_for(complaint), subject=subject[:200], body=body,
        created_at=now, attempts=0, next_attempt_at=now))
