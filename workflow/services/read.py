"""The read side: the one module through which the pages, the API and the CLI read.

Nothing here writes. Each function takes the read-only unit of work its caller opened
(`rt.uow(write=False)`, so that a page's reads agree with each other) or the runtime,
and returns rows or plain values; the adapters never hold a connection themselves. The
use cases that write are the other modules of `workflow.services`.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime

from states.catalogue import CAUSES
from workflow.admin import calendar as calendar_admin
from workflow.admin import directory, health, liaisons, personal_data, signin
from workflow.admin import tokens as token_admin
from workflow.domain.model import Actor, Complaint
from workflow.services import reports
from workflow.store import attachments, deadlines, hot, inbox, outbox, policies, queries
from workflow.store import reports as figures
from workflow.store.complaints import load as load_complaint
from workflow.store.queries import PAGE_SIZE, SCOPES, SORTS, ComplaintView, Filters
from workflow.store.reports import Period
from workflow.store.schema import utcnow

__all__ = ["CLUSTER_KINDS", "OUTBOX_STATUSES", "PAGE_SIZE", "SCOPES", "SORTS",
           "WORKER_STALE_AFTER", "ComplaintView", "Filters", "Period", "utcnow"]
CLUSTER_KINDS = hot.CLUSTER_KINDS
OUTBOX_STATUSES = outbox.STATUSES
#: A timer worker whose heartbeat is older than this is shown as stale.
WORKER_STALE_AFTER = health.STALE_AFTER

# Complaints: one, its history and clocks, and lists of them (`workflow.store.queries`).
get_complaint = queries.get_complaint
clock_history = queries.clock_history
history_of = queries.history_of
list_after = queries.list_after
queue_page = queries.queue_page
open_clocks = queries.open_clocks
dashboard = queries.dashboard
customer_history = queries.customer_history


def complaint(uow, complaint_id: int) -> Complaint:
    """The complaint as stored (NotFound when there is none)."""
    return load_complaint(uow, complaint_id)


def clocks_of(uow, complaint_id: int) -> list[dict]:
    """The complaint's clocks as stored."""
    return deadlines.rows(uow.conn, complaint_id)


def attachments_of(uow, complaint_id: int) -> list:
    """The evidence files kept with a complaint."""
    return attachments.of_complaint(uow.conn, complaint_id)


# The user's notifications.
def unread_count(uow, username: str) -> int:
    """How many of the user's notifications are unread."""
    return inbox.unread_count(uow.conn, username)


def notifications(uow, username: str, *, unread_only: bool = False, limit: int = 50,
                  before_id: int | None = None) -> list:
    """The user's notifications, newest first; `before_id` pages on."""
    return inbox.entries(uow.conn, username, unread_only=unread_only, limit=limit,
                         before_id=before_id)


# The directory.
def actor_for(uow, username: str) -> Actor:
    """The active user `username` as an actor (NotFound otherwise)."""
    return directory.actor_for(uow.conn, username)


def session_user(uow, username: str):
    """(actor, session generation) of an active user, or None."""
    return directory.session_user(uow.conn, username)


def display_names(uow, usernames) -> dict[str, str]:
    """username -> display name."""
    return directory.display_names(uow.conn, usernames)


def holders_in(uow, department: str) -> list:
    """The department's users who may hold a complaint."""
    return directory.holders_in(uow.conn, department)


def active_departments(uow) -> list:
    """The departments a complaint may be sent to."""
    return directory.active_departments(uow.conn)


def users(uow) -> list:
    """Every user, by department then username."""
    return directory.list_users(uow.conn)


def departments(uow) -> list:
    """Every department, active or not, in catalogue order."""
    return directory.list_departments(uow.conn)


def locked_accounts(uow, *, now: datetime) -> dict:
    """username -> wait left, for every account locked now."""
    return signin.locked_accounts(uow.conn, now=now)


def sign_ins(uow, *, username: str | None = None) -> list:
    """The latest rows of the sign-in log."""
    return signin.history(uow.conn, username=username)


def full_number_views(uow, f: personal_data.ViewFilter) -> list:
    """The personal-data access log's rows matching `f`, newest first."""
    return personal_data.views(uow.conn, f)


def liaison_list(uow) -> list:
    """The authorities' liaisons."""
    return liaisons.list_liaisons(uow.conn)


def token_list(uow) -> list:
    """Every API token with its user, newest first (never the hash)."""
    return token_admin.list_tokens(uow.conn)


# Operations: the outbox, policy versions, the calendar, the timer worker.
def outbox_counts(uow) -> dict[str, int]:
    """How many notifications are in each status."""
    return outbox.counts(uow.conn)


def outbox_rows(uow, status: str, *, limit: int, offset: int) -> list:
    """A page of notifications in one status, newest first."""
    return outbox.rows(uow.conn, status, limit=limit, offset=offset)


def policy_versions(uow) -> list:
    """Every stored policy version, newest first."""
    return policies.listing(uow.conn)


def calendar_status(uow, calendar, today: date) -> dict:
    """Which years have confirmed calendar data, and the deadlines on fallback data."""
    return calendar_admin.status(uow.conn, calendar, today)


def worker_health(uow, now: datetime) -> dict:
    """The timer workers' heartbeat and lag."""
    return health.report(uow.conn, now)


def worker_rows(uow) -> list:
    """The timer workers' rows."""
    return health.worker_rows(uow.conn)


def unconfirmed_clocks(uow) -> int:
    """How many live deadlines were computed on fallback calendar data."""
    return health.unconfirmed_clocks(uow.conn)


# Hot issues.
def hot_members(uow, kind: str | None, cause: str | None, place: str, of: str, cluster: str,
                period: Period, actor: Actor) -> list | None:
    """The complaints behind one hot-issue figure that the actor may see, or None when
    the arguments name no figure."""
    if kind == "cause" and cause in CAUSES:
        where = hot.where_cause(cause, period.start, period.end)
    elif kind in hot.CLUSTER_KINDS and cause in CAUSES and place:
        where = hot.where_cluster(kind, cause, place, period.start, period.end)
    elif kind == "number" and of.isdigit():
        where = hot.where_same_number(uow.conn, int(of), period.start, period.end)
    elif kind == "escalated" and cluster.isdigit():
        where = hot.where_escalated_cluster(int(cluster))
    else:
        return None
    if where is None:
        return None
    return hot.members(uow.conn, where, visible=queries.visible_clause(actor))


# Reports: the figures on one connection per page (as the sheet and its charts agree).
@contextmanager
def _figures(rt):
    with rt.engine.connect() as conn:
        yield conn


def report_sheet(rt, grouping: str, period: Period, *, at_now: datetime, trend: bool = False):
    """The reports table of a period per group (and, with `trend`, the received and
    closed series per day)."""
    with _figures(rt) as conn:
        sheet = reports.report_sheet(conn, grouping, period, at_now=at_now)
        if not trend:
            return sheet
        return sheet, {code: sorted(figures.counts(conn, code, "day", period).items())
                       for code in ("received", "closed")}


def scorecard_sheet(rt, period: Period, *, by: str, at_now: datetime):
    """The scorecard of a month, one row per department."""
    with _figures(rt) as conn:
        return reports.scorecard_sheet(conn, period, by=by, at_now=at_now)


def fact_rows(rt, code: str, grouping: str, key: str, period: Period, *, at_now: datetime):
    """The complaints behind one figure of one group."""
    with _figures(rt) as conn:
        return reports.fact_rows(conn, code, grouping, key, period, at_now=at_now)


def figure_counts(rt, codes, grouping: str, period: Period) -> dict[str, dict[str, int]]:
    """code -> {group: count} of stored figures over the period."""
    with _figures(rt) as conn:
        return {code: figures.counts(conn, code, grouping, period) for code in codes}
