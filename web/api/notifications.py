"""The token's user's notifications (the inbox of the pages): list, newest first, and
mark read, one or all. Another user's entry does not exist for the caller (404)."""
from __future__ import annotations

from flask import current_app, g, request, url_for

from web.api import schemas
from web.api.blueprint import api
from web.api.represent import iso
from web.current import runtime_of
from workflow.domain.errors import FieldError, ValidationError
from workflow.domain.model import Complaint
from workflow.services import notifications as use_case
from workflow.services import read
from workflow.services.read import utcnow

PER_PAGE = 50
ENTRY = "<int(min=1, max=9223372036854775807):entry_id>"


def _entry(row) -> dict:
    number = (Complaint.number_of(row.complaint_id, row.complaint_created_at)
              if row.complaint_id is not None and row.complaint_created_at is not None
              else None)
    return {"id": row.id, "kind": row.kind, "subject": row.subject,
            "complaint_id": row.complaint_id, "complaint_number": number,
            "created_at": iso(row.created_at), "read": row.read_at is not None,
            "read_at": iso(row.read_at),
            "links": {"self": url_for("api.complaint", complaint_id=row.complaint_id)
                      if row.complaint_id else url_for("api.notifications")}}


def _cursor_and_filter() -> tuple[int | None, bool]:
    args, errors = request.args, {}
    before = None
    if "cursor" in args:
        text = args["cursor"]
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            errors["cursor"] = FieldError("cursor")
        else:
            before = int(text)
    unread = args.get("unread")
    if unread not in (None, "true", "false"):
        errors["unread"] = FieldError("boolean")
    if errors:
        raise ValidationError(errors)
    return before, unread == "true"


@api.get("/notifications")
def notifications():
    """The user's notifications, newest first; `unread=true` for unread ones only."""
    schemas.query({"cursor", "unread"})
    before, unread_only = _cursor_and_filter()
    rt, actor = runtime_of(current_app), g.api_actor
    with rt.uow(write=False) as uow:
        rows = read.notifications(uow, actor.username, unread_only=unread_only,
                                  limit=PER_PAGE + 1, before_id=before)
        unread = read.unread_count(uow, actor.username)
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    next_cursor = str(rows[-1].id) if more and rows else None
    return {"items": [_entry(r) for r in rows], "unread": unread, "next_cursor": next_cursor}


def _mark(entry_id: int | None):
    done = use_case.mark_read(runtime_of(current_app), g.api_actor.username, now=utcnow(),
                              entry_id=entry_id)
    return {"marked": done.marked, "unread": done.unread}


@api.post(f"/notifications/{ENTRY}/read")
def notification_read(entry_id: int):
    """Mark one of the user's notifications read (again: nothing changes)."""
    schemas.query(set())
    return _mark(entry_id)


@api.post("/notifications/read")
def notifications_read():
    """Mark every notification of the user read."""
    schemas.query(set())
    return _mark(None)


