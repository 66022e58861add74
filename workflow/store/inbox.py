"""Notifications inside the app: each outbox row also reaches the people it concerns.

Who: the complaint's handler of record (接单人) when it has one, else the active users
of the department handling it who can act on complaints (operators, handlers, the
major-complaint desk: not auditors or administrators). The entries are written by one
INSERT … SELECT per outbox row in the caller's transaction (`workflow.store.outbox.write`),
so they commit with the warning or escalation, once. Each entry has its person's own
read mark; the unread count is one count on a partial index.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select, text, update

from workflow.store.schema import complaints, inbox, users

#: Roles whose users receive a department's notifications when nobody holds the complaint.
RECEIVING_ROLES = ("operator", "handler", "major_desk")

_c, _u = complaints.c, users.c
_RECIPIENTS = (
    select(_u.username, _c.id, bindparam("kind"), bindparam("subject"), bindparam("created_at"))
    .select_from(complaints.join(users, or_(
        and_(_c.handler_user.is_not(None), _u.username == _c.handler_user),
        and_(_c.handler_user.is_(None), _u.department == _c.department,
             # inline, not an expanding IN: the statement runs as an executemany
             text(f"users.role IN ({', '.join(repr(r) for r in RECEIVING_ROLES)})")))))
    .where(_c.id == bindparam("complaint_id"), _u.active))
_DELIVER = inbox.insert().from_select(
    ["username", "complaint_id", "kind", "subject", "created_at"], _RECIPIENTS)
_UNREAD = (select(func.count()).select_from(inbox)
           .where(inbox.c.username == bindparam("username"), inbox.c.read_at.is_(None)))


def deliver(conn, notes: list[dict]) -> None:
    """Write the inbox entries of these outbox rows (`workflow.store.outbox.message`)."""
    rows = [dict(complaint_id=n["complaint_id"], kind=n["kind"], subject=n["subject"],
                 created_at=n["created_at"]) for n in notes if n.get("complaint_id")]
    if rows:
        conn.execute(_DELIVER, rows)


def unread_count(conn, username: str) -> int:
    """How many of the user's entries are unread (the page header's count)."""
    return conn.execute(_UNREAD, {"username": username}).scalar()


def entries(conn, username: str, *, unread_only: bool = False, limit: int = 50,
            before_id: int | None = None) -> list:
    """The user's entries, newest first, with the complaint's creation time (for its
    number); `before_id` pages on."""
    query = (select(inbox, complaints.c.created_at.label("complaint_created_at"))
             .select_from(inbox.outerjoin(complaints, complaints.c.id == inbox.c.complaint_id))
             .where(inbox.c.username == username))
    if unread_only:
        query = query.where(inbox.c.read_at.is_(None))
    if before_id is not None:
        query = query.where(inbox.c.id < before_id)
    return conn.execute(query.order_by(inbox.c.id.desc()).limit(limit)).all()


def mark_read(conn, username: str, *, now: datetime, entry_id: int | None = None) -> int:
    """Mark one of the user's entries (or, without `entry_id`, all of them) read; return
    how many changed. Another user's entry is never touched."""
    query = update(inbox).where(inbox.c.username == username, inbox.c.read_at.is_(None))
    if entry_id is not None:
        query = query.where(inbox.c.id == entry_id)
    return conn.execute(query.values(read_at=now)).rowcount


def get(conn, username: str, entry_id: int):
    """One of the user's entries (read or not), or None (unknown, or another user's)."""
    return conn.execute(select(inbox).where(inbox.c.id == entry_id,
                                            inbox.c.username == username)).first()
