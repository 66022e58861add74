"""Notifications: outbox rows written in the caller's transaction.

The rows commit (or roll back) together with the warning or escalation that caused
them, and so do their inbox entries (`workflow.store.inbox`); a sender (`timers.notify`)
delivers them later and marks them sent.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, insert, select, update

from workflow.domain.model import Complaint
from workflow.store import inbox
from workflow.store.schema import outbox

_INSERT = insert(outbox)


def recipients_for(complaint: Complaint, *extra: str) -> list[str]:
    """The departments to tell: the one handling it, the one that accepted it, then `extra`."""
    return list(dict.fromkeys((complaint.department, complaint.originating_department, *extra)))


def message(complaint: Complaint, kind: str, subject: str, body: str, *, now: datetime,
            recipients: list[str] | None = None) -> dict:
    """An outbox row about `complaint`, to be written with `write`; it also names whom
    the inbox entries go to, as the complaint stands now (`inbox.HOLDER`, `inbox.DEPARTMENT`):
    a batch may change the complaint again before its rows are written."""
    return {"complaint_id": complaint.id, "kind": kind,
            "recipients": recipients or recipients_for(complaint), "subject": subject[:200],
            "body": body, "created_at": now, "attempts": 0, "next_attempt_at": now,
            inbox.HOLDER: complaint.handler_user, inbox.DEPARTMENT: complaint.department}


def write(uow, rows: list[dict]) -> None:
    """Queue outbox rows in the unit of work's transaction (one statement for many), and
    the inbox entries of the people each concerns (`workflow.store.inbox`)."""
    if rows:
        uow.conn.execute(_INSERT, [{k: v for k, v in row.items() if k not in inbox.KEYS}
                                   for row in rows])
        inbox.deliver(uow.conn, rows)


#: The outbox page's views of the rows: waiting for their first send, failed at least
#: once and not sent since (retrying, or given up when no next attempt is due), sent.
STATUSES = ("pending", "failed", "sent")


def _status_clause(status: str):
    if status == "sent":
        return outbox.c.sent_at.is_not(None)
    if status == "failed":
        return and_(outbox.c.sent_at.is_(None), outbox.c.last_error.is_not(None))
    return and_(outbox.c.sent_at.is_(None), outbox.c.last_error.is_(None))


def counts(conn) -> dict[str, int]:
    """How many notifications are pending, failed and sent."""
    return {status: conn.execute(select(func.count()).select_from(outbox)
                                 .where(_status_clause(status))).scalar()
            for status in STATUSES}


def rows(conn, status: str, *, limit: int = 50, offset: int = 0) -> list:
    """A page of notifications in one of `STATUSES`, newest first."""
    return conn.execute(select(outbox).where(_status_clause(status))
                        .order_by(outbox.c.id.desc()).limit(limit).offset(offset)).all()


def send_again(conn, notification_id: int, now: datetime) -> bool:
    """Make an unsent notification due now (the sender picks it up on its next pass,
    even one it had given up on); False when there is no such unsent row."""
    result = conn.execute(update(outbox).where(outbox.c.id == notification_id,
                                               outbox.c.sent_at.is_(None))
                          .values(next_attempt_at=now))
    return result.rowcount == 1
