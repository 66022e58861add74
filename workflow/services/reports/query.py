"""Reading a report request (period, grouping, figure; who may ask) and the complaints
behind one figure of one group."""
from __future__ import annotations

from datetime import date, datetime

from states.calendar import SHANGHAI
from workflow.domain import access
from workflow.domain.errors import FieldError
from workflow.domain.model import Complaint
from workflow.services.reports.figures import GROUPING_NAMES
from workflow.store import reports as store

#: Who may read the reports (`workflow.domain.access.REPORT_READERS`), as role values.
REPORT_ROLES = tuple(role.value for role in access.REPORT_READERS)
#: The longest period a report covers (a day grouping of it has as many rows).
MAX_DAYS = 400


class BadRequest(ValueError):
    """A report request that cannot be answered: the parameter and what is wrong, as a
    field error (its code and parameters are the domain's, so the API answers 422 like
    any bad query parameter)."""

    def __init__(self, param: str, code: str, **params):
        self.error = FieldError(code, **params)
        super().__init__(f"{param}: {self.error}")
        self.param = param


def period_from(args, now: datetime) -> store.Period:
    """`month=2026-11`, or `from=2026-11-01&to=2026-11-30` (local days, both included);
    by default the current month up to today."""
    today = now.astimezone(SHANGHAI).date()
    if args.get("month"):
        try:
            year, month = (int(x) for x in args["month"].split("-"))
            return store.Period.month(year, month)
        except ValueError:
            raise BadRequest("month", "year_month") from None
    try:
        first = date.fromisoformat(args["from"]) if args.get("from") else today.replace(day=1)
        last = date.fromisoformat(args["to"]) if args.get("to") else max(today, first)
    except ValueError:
        raise BadRequest("from/to", "date") from None
    if last < first:
        raise BadRequest("to", "period_order")
    if (last - first).days >= MAX_DAYS:
        raise BadRequest("to", "period_too_long", max=MAX_DAYS)
    return store.Period(first, last)


def grouping_from(args, default: str = "department") -> str:
    grouping = args.get("group") or default
    if grouping not in GROUPING_NAMES:
        raise BadRequest("group", "one_of", choices=", ".join(GROUPING_NAMES))
    return grouping


def figure_from(args) -> str:
    code = args.get("figure", "")
    if code not in store.FIGURES:
        raise BadRequest("figure", "one_of", choices=", ".join(store.FIGURES))
    return code


def fact_rows(conn, code: str, grouping: str, key: str, period: store.Period, *,
              at_now: datetime) -> list[dict]:
    """The complaints behind one figure of one group, as the list page and API show them."""
    out = []
    for r in store.rows(conn, code, grouping, key, period, at_now=at_now):
        out.append({"id": r["cid"], "number": Complaint.number_of(r["cid"], r["created_at"]),
                    "at": r["at"], "value": r["value"], "state": r["state"],
                    "department": r["department"],
                    "originating_department": r["originating_department"],
                    "cause": r["cause"], "district": r["district"],
                    "severity": "major" if r["escalation_level"] >= 1 else "normal"})
    return out


def local_today(now: datetime) -> date:
    """Today in Asia/Shanghai."""
    return now.astimezone(SHANGHAI).date()
