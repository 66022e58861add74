"""The dashboard each role lands on after signing in: counts by state within the user's
own work and all they may see, what is overdue now, warned now and due in the next
hours, and, for the customer service centre and administrators, the timer worker's
heartbeat and lag."""
from __future__ import annotations

from datetime import timedelta

from flask import render_template
from flask_login import login_required

from states.catalogue import CUSTOMER_SERVICE
from states.process import Role
from web.pages.common import actor, now, page_blueprint, runtime
from web.pages.queue import scopes_for
from workflow.services import read

bp = page_blueprint("dashboard", __name__)
#: "Due soon" on the dashboard: due within this many hours.
SOON_HOURS = 4
#: What the dashboard counts: the user's own work and everything they may see (the
#: department's scope is one click away in the queue; each scope is a pass over the table).
DASHBOARD_SCOPES = ("mine", "all")


def sees_workers(me) -> bool:
    """The CSC (who answers for every deadline) and administrators watch the timer worker."""
    return me.role is Role.admin or me.department == CUSTOMER_SERVICE


@bp.route("/dashboard")
@login_required
def index():
    """Counts within each of the user's scopes, and the timer worker's health."""
    me, at = actor(), now()
    soon = at + timedelta(hours=SOON_HOURS)
    with runtime().uow(write=False) as uow:
        scopes = [(scope, read.dashboard(uow, me, scope, at, soon))
                  for scope in scopes_for(me.role) if scope in DASHBOARD_SCOPES]
        workers = read.worker_health(uow, at) if sees_workers(me) else None
    return render_template("dashboard/index.html", scopes=scopes, workers=workers,
                           soon_hours=SOON_HOURS, stale_after=read.WORKER_STALE_AFTER, now=at)
