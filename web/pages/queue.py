"""The work queue: what waits on the signed-in user (or their department's, or all they
may see), with filters, sorts, search, counts per state within the scope, and the clock
that colours each row named on it."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import render_template, request
from flask_login import login_required

from states.calendar import SHANGHAI
from states.catalogue import AUTHORITIES, CAUSES, CHANNELS, DEPARTMENTS, STATE_NAMES
from web.pages.common import READ_ONLY, actor, now, page_blueprint, runtime
from web.pages.i18n import _
from workflow.domain import clockview
from workflow.services import read

bp = page_blueprint("queue", __name__)
PAGE_SIZE = read.PAGE_SIZE
SOURCES = ("direct", "escalated", *AUTHORITIES)
MAX_QUERY = 100
#: The filters folded under "more" (open when one of them is set).
MORE_FIELDS = ("state", "department", "severity", "cause", "channel", "source", "from", "to",
               "sort", "overdue", "warned", "within")


def _day(value: str | None, errors: dict, key: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[key] = _("日期格式应为 2026-12-01")
        return None


def _within(value: str | None, at: datetime | None) -> datetime | None:
    """`within=N`: due in the next N hours (1 to 72), as the dashboard links."""
    if not value or not value.isdigit() or at is None or not 1 <= int(value) <= 72:
        return None
    return at + timedelta(hours=int(value))


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), SHANGHAI)


def scopes_for(role) -> tuple[str, ...]:
    """The scopes a role may choose: read-only roles have no work of their own."""
    return ("all",) if role in READ_ONLY else read.SCOPES


def parse_filters(args, role, at: datetime | None = None) -> tuple[read.Filters, dict, dict]:
    """(Filters, the values to show in the form, errors) from the query string; unknown
    values are dropped, bad dates reported."""
    errors: dict[str, str] = {}
    scopes = scopes_for(role)
    scope = args.get("scope") if args.get("scope") in scopes else scopes[0]

    def pick(key, allowed):
        value = args.get(key)
        return value if value in allowed else None

    start, end = _day(args.get("from"), errors, "from"), _day(args.get("to"), errors, "to")
    filters = read.Filters(
        scope=scope, state=pick("state", STATE_NAMES), department=pick("department", DEPARTMENTS),
        severity=pick("severity", ("normal", "major")), overdue=args.get("overdue") == "1",
        text=(args.get("q") or "").strip()[:MAX_QUERY] or None, cause=pick("cause", CAUSES),
        channel=pick("channel", CHANNELS), source=pick("source", SOURCES),
        received_from=_local_midnight(start) if start else None,
        received_before=_local_midnight(end + timedelta(days=1)) if end else None,
        sort=pick("sort", read.SORTS) or "due", warned=args.get("warned") == "1",
        due_before=_within(args.get("within"), at))
    shown = {"from": start.isoformat() if start else args.get("from", ""),
             "to": end.isoformat() if end else args.get("to", "")}
    return filters, shown, errors


def clock_cells(open_clocks: dict, at: datetime, policy, complaints) -> dict:
    """For each complaint id: (headline clock, the other overdue or warned clocks, the
    row's state), decided by `workflow.domain.clockview` as on the complaint page."""
    cells = {}
    for c in complaints:
        shown = clockview.display_all(open_clocks.get(c.id, []), at, policy=policy, complaint=c)
        top = clockview.headline(shown)
        others = [d for d in shown if d is not top and d.alert]
        cells[c.id] = (top, others, top.state if top else "none")
    return cells


@bp.route("/")
@login_required
def index():
    """The work queue with scopes, filters, sorts, counts per state and pagination."""
    me, at = actor(), now()
    filters, shown, errors = parse_filters(request.args, me.role, at)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    with runtime().uow(write=False) as uow:
        rows, total, page, counts = read.queue_page(uow, me, filters, now=at, page=page,
                                                       page_size=PAGE_SIZE)
        clocks = read.open_clocks(uow, [c.id for c, _ in rows])
        handler_names = read.display_names(uow, {c.handler_user for c, _ in rows
                                                    if c.handler_user})
    cells = clock_cells(clocks, at, runtime().policy, [c for c, _ in rows])
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("queue/index.html", rows=rows, cells=cells, total=total,
                           counts=counts, page=page, pages=pages, filters=filters,
                           shown=shown, errors=errors, scopes=scopes_for(me.role),
                           handler_names=handler_names,
                           sources=SOURCES, sorts=read.SORTS,
                           read_only=me.role in READ_ONLY, now=at,
                           more_open=any(request.args.get(k) for k in MORE_FIELDS))
