"""`GET /api/v1/reports/hot`: the hot-issue figures as JSON, each with the URL of the
complaints behind it (`GET /api/v1/reports/hot/complaints?…`: their ids)."""
from __future__ import annotations

from flask import current_app, g, request, url_for

from states.catalogue import CAUSES, DISTRICTS, zh
from web.api.blueprint import api
from web.api.problems import ApiError
from web.current import runtime_of
from web.hot import MAY_SEE, list_args, members_of, period_from
from workflow.domain.errors import Forbidden, NotFound
from workflow.services import hot
from workflow.services.read import utcnow


def _may_see():
    actor = g.api_actor
    if actor.role not in MAY_SEE:
        raise Forbidden(actor.username, actor.role.value, "reports", "hot")
    return actor


def _period():
    period, refused = period_from(request.args, utcnow())
    if refused:
        raise ApiError("validation_error", "hot_period",
                       errors={"from": "invalid period", "to": "invalid period"})
    return period


def _behind(kind, period, **values) -> str:
    return url_for("api.hot_complaints", **list_args(kind, period, **values))


@api.get("/reports/hot")
def hot_report():
    """Rising causes, clusters (candidate joint complaints) and recurring numbers."""
    _may_see()
    period = _period()
    report = hot.report(runtime_of(current_app), period.start, period.end)
    previous = period.previous
    return {
        "period": {**period.args(), "previous_from": previous.first.isoformat(),
                   "previous_to": previous.last.isoformat()},
        "min_cause_count": report.min_cause_count, "min_customers": report.min_customers,
        "min_recurring": report.min_recurring,
        "rising": [{"cause": r.cause, "cause_zh": zh(CAUSES, r.cause), "count": r.count,
                    "previous": r.previous, "rise": r.rise,
                    "complaints_url": _behind("cause", period, cause=r.cause),
                    "previous_complaints_url": _behind("cause", previous, cause=r.cause)}
                   for r in report.rising],
        "clusters": [{"kind": c.kind, "cause": c.cause, "place": c.place,
                      "place_zh": zh(DISTRICTS, c.place) if c.kind == "district" else c.place,
                      "complaints": c.complaints, "customers": c.customers,
                      "open_normal": c.open_normal, "first_at": c.first_at.isoformat(),
                      "last_at": c.last_at.isoformat(),
                      "escalated_cluster": (report.escalated.get((c.kind, c.cause, c.place))
                                            or {}).get("id"),
                      "complaints_url": _behind(c.kind, period, cause=c.cause, place=c.place)}
                     for c in report.clusters],
        "recurring": [{"mobile_masked": f"{r.mobile[:3]}****{r.mobile[-4:]}",
                       "first_complaint_id": r.first_id, "complaints": r.complaints,
                       "causes": r.causes, "first_at": r.first_at.isoformat(),
                       "last_at": r.last_at.isoformat(),
                       "complaints_url": _behind("number", period, of=r.first_id)}
                      for r in report.recurring],
    }


@api.get("/reports/hot/complaints")
def hot_complaints():
    """The ids of the complaints behind one hot-issue figure, oldest first."""
    actor = _may_see()
    period = _period()
    with runtime_of(current_app).uow(write=False) as uow:
        rows = members_of(uow, request.args, period, actor)
    if rows is None:
        raise NotFound("report", request.args.get("kind", ""))
    return {"count": len(rows), "ids": [r.id for r in rows]}
