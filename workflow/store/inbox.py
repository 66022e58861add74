"""Notifications inside the app: each outbox row also reaches the people it concerns.

Who: the complaint's handler of record (接单人) when it has one, else the active users
of the department handling it who can act on complaints (operators, handlers, the
major-complaint desk: not auditors or administrators), as the complaint stood when the
message was made. The entries are written by INSERT … SELECT from `users` in the
caller's transaction (`workflow.store.outbox.write`), so they commit with the warning or
escalation and its outbox row, once. Each entry has its person's own
read mark; the unread count is one count on a partial index.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, text, update

from workflow.domain.access import NOTIFIED
from workflow.store.schema import complaints, inbox, users

#: The keys of an outbox message (`workflow.store.outbox.message`) that say whom its
#: entries go to: the handler of record then, else the department handling it then.
HOLDER, DEPARTMENT = "_holder", "_department"
KEYS = (HOLDER, DEPARTMENT)

_u = users.c
_ENTRY = (bindparam("complaint_id", type_=inbox.c.complaint_id.type),
          bindparam("kind", type_=inbox.c.kind.type),
          bindparam("subject", type_=inbox.c.subject.type),
          bindparam("created_at", type_=inbox.c.created_at.type))
_COLUMNS = ["username", "complaint_id", "kind", "subject", "created_at"]
_TO_HOLDER = inbox.insert().from_select(_COLUMNS, select(
    _u.username, *_ENTRY).where(_u.username == bindparam("holder"), _u.active))
_TO_DEPARTMENT = inbox.insert().from_select(_COLUMNS, select(
    _u.username, *_ENTRY).where(
        _u.department == bindparam("department"), _u.active,
        # inline, not an expanding IN: the statement runs as an executemany
        text(f"users.role IN ({', '.join(repr(r) for r in NOTIFIED)})")))
_UNREAD = (select(func.count()).select_from(inbox)
           .where(inbox.c.username == bindparam("username"), inbox.c.read_at.is_(None)))


def deliver(conn, notes: list[dict]) -> None:
    """Write the inbox entries of these outbox messages (`workflow.store.outbox.message`):
    at most two statements, however many messages."""
    held, unheld = [], []
    for n in notes:
        if not n.get("complaint_id") or DEPARTMENT not in n:
            continue
        row = dict(complaint_id=n["complaint_id"], kind=n["kind"], subject=n["subject"],
                   created_at=n["created_at"])
        if n[HOLDER]:
            held.append(dict(row, holder=n[HOLDER]))
        else:
            unheld.append(dict(row, department=n[DEPARTMENT]))
    if held:
        conn.execute(_TO_HOLDER, held)
    if unheld:
        conn.execute(_TO_DEPARTMENT, unheld)


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
