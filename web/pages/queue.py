"""The work queue: what the signed-in user can act on, nearest deadline first."""
from __future__ import annotations

from flask import render_template, request
from flask_login import login_required

from states.catalogue import DEPARTMENTS, STATE_NAMES
from states.process import Role
from web.pages.common import actor, now, page_blueprint, runtime
from workflow.store import queries

bp = page_blueprint("queue", __name__)
READ_ONLY = (Role.auditor, Role.admin)
PAGE_SIZE = queries.PAGE_SIZE


def _filters(args, read_only: bool) -> tuple[queries.Filters, str]:
    scope = "all" if read_only else (args.get("scope") if args.get("scope") == "all" else "mine")
    state = args.get("state") if args.get("state") in STATE_NAMES else None
    department = args.get("department") if args.get("department") in DEPARTMENTS else None
    severity = args.get("severity") if args.get("severity") in ("normal", "major") else None
    text = (args.get("q") or "").strip()[:100] or None
    return queries.Filters(state=state, department=department, severity=severity,
                           overdue=args.get("overdue") == "1", text=text,
                           actionable_only=scope == "mine"), scope


@bp.route("/")
@login_required
def index():
    """The work queue with filters, counts per state and pagination."""
    me, at = actor(), now()
    read_only = me.role in READ_ONLY
    filters, scope = _filters(request.args, read_only)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    with runtime().uow(write=False) as uow:
        rows, total = queries.list_complaints(uow, me, filters, now=at, page=page,
                                              page_size=PAGE_SIZE)
        clocks = queries.nearest_deadlines(uow, [c.id for c, _ in rows])
        counts = queries.counts_by_state(uow, me)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("queue/index.html", rows=rows, clocks=clocks, total=total,
                           counts=counts, page=page, pages=pages, filters=filters,
                           scope=scope, read_only=read_only, now=at)
