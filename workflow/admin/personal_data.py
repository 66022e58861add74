"""Who saw a customer's full mobile number (PIPL): one row per view, on a page or in the API.

Only the roles that work a complaint see the full number (`may_see_full_mobile`: the
actor's department lets it act on the complaint); everyone else sees it masked
(138****1234) and nothing is recorded. Auditors and administrators read the log,
filtered by user, complaint and time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import desc, insert, select

from workflow.domain import access
from workflow.domain.model import Actor, Complaint
from workflow.store.schema import personal_data_views as v

#: Most rows one read of the log returns.
MAX_ROWS = 500


def may_see_full_mobile(actor: Actor, complaint: Complaint) -> bool:
    """Whether the actor works this complaint and so may see the customer's full number."""
    return access.may_act(actor, complaint)


def record_view(conn, actor: Actor, complaint_id: int, channel: str, *, now: datetime) -> None:
    """Record that `actor` was shown the complaint's full mobile number (`channel`: page, api)."""
    conn.execute(insert(v).values(at=now, username=actor.username, role=actor.role.value,
                                  complaint_id=complaint_id, channel=channel, field="mobile"))


@dataclass
class ViewFilter:
    """What the access log is narrowed to (None: no condition)."""

    username: str | None = None
    complaint_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def views(conn, f: ViewFilter, *, limit: int = MAX_ROWS) -> list:
    """The log's rows matching `f`, newest first."""
    query = select(v).order_by(desc(v.c.id)).limit(min(limit, MAX_ROWS))
    if f.username:
        query = query.where(v.c.username == f.username)
    if f.complaint_id is not None:
        query = query.where(v.c.complaint_id == f.complaint_id)
    if f.since is not None:
        query = query.where(v.c.at >= f.since)
    if f.until is not None:
        query = query.where(v.c.at < f.until)
    return conn.execute(query).all()
