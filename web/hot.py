"""What the hot-issue page and its API share: who may see and escalate, the period from
the query string (whole days in Asia/Shanghai), and the arguments of the list behind a
figure (`/reports/hot/complaints?…`), which selects exactly the rows the figure counted.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from states.calendar import SHANGHAI
from workflow.domain import access
from workflow.services import read
from workflow.services.read import Period

#: Who sees the hot issues and who escalates a cluster (`workflow.domain.access`).
MAY_SEE = access.HOT_READERS
MAY_ESCALATE = access.HOT_ESCALATORS
DEFAULT_DAYS = 7
MAX_DAYS = 366
LIST_KINDS = ("cause", *read.CLUSTER_KINDS, "number", "escalated")


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None


def period_from(args, now: datetime) -> tuple[Period, bool]:
    """The period of `from`/`to` (default: the last seven days up to today); and whether
    the arguments were refused (unreadable, reversed or longer than a year)."""
    today = now.astimezone(SHANGHAI).date()
    first, last = _day(args.get("from")), _day(args.get("to"))
    bad = bool((args.get("from") and not first) or (args.get("to") and not last))
    last = last or today
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last or (last - first).days >= MAX_DAYS:
        return Period(today - timedelta(days=DEFAULT_DAYS - 1), today), True
    return Period(first, last), bad


def list_args(kind: str, period: Period, **values) -> dict:
    """The query arguments of the list behind a figure."""
    return {"kind": kind, **period.args(), **{k: v for k, v in values.items() if v is not None}}


def members_of(uow, args, period: Period, actor) -> list | None:
    """The complaints behind the figure a list's arguments name that the actor may see,
    or None when they name nothing known."""
    return read.hot_members(uow, args.get("kind"), args.get("cause"), args.get("place", ""),
                            args.get("of", ""), args.get("cluster", ""), period, actor)
