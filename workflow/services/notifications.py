"""The user's own notifications (我的消息): marking one or all of them read.

The pages and the API call the same use case; reading the list and the unread count is
in `workflow.services.read`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from workflow.domain.errors import NotFound
from workflow.store import inbox


@dataclass(frozen=True)
class Marked:
    """What marking did: how many entries changed, how many stay unread, and the entry
    marked (None when all were)."""

    marked: int
    unread: int
    entry: object | None = None


def mark_read(rt, username: str, *, now: datetime, entry_id: int | None = None) -> Marked:
    """Mark one of the user's entries (or, without `entry_id`, all of them) read; another
    user's entry does not exist for them (NotFound). Marking again changes nothing."""
    with rt.uow() as uow:
        entry = None
        if entry_id is not None:
            entry = inbox.get(uow.conn, username, entry_id)
            if entry is None:
                raise NotFound("notification", entry_id)
        marked = inbox.mark_read(uow.conn, username, now=now, entry_id=entry_id)
        unread = inbox.unread_count(uow.conn, username)
        uow.commit()
    return Marked(marked, unread, entry)
