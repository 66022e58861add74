"""The inbox (我的消息): the warnings and escalations that concern the signed-in user,
newest first, each linking to its complaint; marking one or all read is the user's own.
The page header's unread count is one indexed count per page (`unread_in_header`)."""
from __future__ import annotations

import logging

from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from web.pages.common import actor, now, page_blueprint, runtime
from workflow.domain.errors import NotFound
from workflow.domain.model import Complaint
from workflow.services import notifications, read

log = logging.getLogger(__name__)
bp = page_blueprint("inbox", __name__)
PAGE_SIZE = 50


def unread_in_header() -> int | None:
    """The signed-in user's unread count for the page header (None when signed out)."""
    if not current_user.is_authenticated:
        return None
    try:
        with runtime().uow(write=False) as uow:
            return read.unread_count(uow, actor().username)
    except SQLAlchemyError:     # an error page for a database fault still renders
        log.warning("the unread count could not be read", exc_info=True)
        return None


def number_of(entry) -> str | None:
    """The complaint number an entry links to."""
    if entry.complaint_id is None or entry.complaint_created_at is None:
        return None
    return Complaint.number_of(entry.complaint_id, entry.complaint_created_at)


@bp.route("/inbox")
@login_required
def index():
    """The user's notifications, newest first (unread only with ?unread=1)."""
    unread_only = request.args.get("unread") == "1"
    before = request.args.get("before", type=int)
    with runtime().uow(write=False) as uow:
        rows = read.notifications(uow, actor().username, unread_only=unread_only,
                                  limit=PAGE_SIZE + 1, before_id=before)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return render_template("inbox/index.html", rows=rows, number_of=number_of,
                           unread_only=unread_only,
                           next_before=rows[-1].id if more and rows else None)


@bp.route("/inbox/<int:entry_id>/read", methods=["POST"])
@login_required
def read_one(entry_id: int):
    """Mark one entry read; go on to its complaint when asked (`open=1`)."""
    try:
        entry = notifications.mark_read(runtime(), actor().username, now=now(),
                                        entry_id=entry_id).entry
    except NotFound:        # another user's entry, or none: nothing to open
        entry = None
    if request.form.get("open") == "1" and entry is not None and entry.complaint_id:
        return redirect(url_for("complaint.show", complaint_id=entry.complaint_id))
    return redirect(url_for("inbox.index"))


@bp.route("/inbox/read-all", methods=["POST"])
@login_required
def read_all():
    """Mark every entry of the user read."""
    notifications.mark_read(runtime(), actor().username, now=now())
    return redirect(url_for("inbox.index"))
