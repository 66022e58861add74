"""The reports under /api/v1/reports: the same figures as the pages, as JSON, CSV or
XLSX (`format=json|csv|xlsx`), for the market operations department's spreadsheets.

- `GET /reports?from=&to=&group=` (or `month=`): one row per group and the totals;
- `GET /reports/scorecard?month=&by=department|originating`: the department scorecard
  with the previous month's values and the change;
- `GET /reports/list?figure=&group=&key=&from=&to=`: the complaints behind one figure.
"""
from __future__ import annotations

from flask import Response, current_app, g, url_for

from web.api import schemas
from web.api.blueprint import api
from web.api.problems import ApiError
from web.api.represent import iso
from web.current import runtime_of
from workflow.domain.errors import FieldError, ValidationError
from workflow.services import read
from workflow.services import reports as svc
from workflow.services.read import utcnow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _allowed():
    if g.api_actor.role.value not in svc.REPORT_ROLES:
        raise ApiError("forbidden", "reports_forbidden")


def _format(args) -> str:
    fmt = args.get("format", "json")
    if fmt not in ("json", "csv", "xlsx"):
        raise ValidationError({"format": FieldError("one_of", choices="json, csv, xlsx")})
    return fmt


def _answer(sheet: svc.Sheet, fmt: str, name: str, body: dict):
    if fmt == "csv":
        return Response(svc.csv_text(sheet), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "xlsx":
        return Response(svc.xlsx_bytes(sheet), mimetype=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    return body


def _links(sheet: svc.Sheet, period, grouping: str) -> dict:
    """For every row and column, the list of complaints behind the figure."""
    out = {}
    for key, _label, _values in sheet.rows:
        out[key] = {code: url_for("api.report_list", figure=svc.figure_of(code), group=grouping,
                                  key=key, **{"from": period.first.isoformat(),
                                              "to": period.last.isoformat()})
                    for code in sheet.columns if svc.figure_of(code)}
    return out


@api.get("/reports")
def reports():
    """The figures of a period per group (JSON, CSV or XLSX)."""
    args = schemas.query({"from", "to", "month", "group", "format"})
    _allowed()
    fmt = _format(args)
    try:
        period, grouping = svc.period_from(args, utcnow()), svc.grouping_from(args)
    except svc.BadRequest as exc:
        raise ValidationError({exc.param: exc.error}) from None
    sheet = read.report_sheet(runtime_of(current_app), grouping, period, at_now=utcnow())
    body = {"period": {"from": period.first.isoformat(), "to": period.last.isoformat()},
            **sheet.as_dict(), "links": _links(sheet, period, grouping)}
    return _answer(sheet, fmt, f"report-{period.first}-{period.last}-{grouping}", body)


@api.get("/reports/scorecard")
def report_scorecard():
    """The department scorecard of a month (JSON, CSV or XLSX)."""
    args = schemas.query({"month", "by", "format"})
    _allowed()
    fmt = _format(args)
    try:
        period = svc.period_from({"month": args.get("month")
                                  or f"{svc.local_today(utcnow()):%Y-%m}"}, utcnow())
    except svc.BadRequest as exc:
        raise ValidationError({exc.param: exc.error}) from None
    by = args.get("by", "department")
    if by not in ("department", "originating"):
        raise ValidationError({"by": FieldError("one_of", choices="department, originating")})
    sheet = read.scorecard_sheet(runtime_of(current_app), period, by=by, at_now=utcnow())
    body = {"month": f"{period.first:%Y-%m}", "by": by, **sheet.as_dict()}
    return _answer(sheet, fmt, f"scorecard-{period.first:%Y-%m}-{by}", body)


@api.get("/reports/list")
def report_list():
    """The complaints behind one figure of one group: as many items as it counts."""
    args = schemas.query({"from", "to", "month", "group", "key", "figure"})
    _allowed()
    try:
        period = svc.period_from(args, utcnow())
        grouping, code = svc.grouping_from(args, "all"), svc.figure_from(args)
    except svc.BadRequest as exc:
        raise ValidationError({exc.param: exc.error}) from None
    key = args.get("key", "all" if grouping == "all" else "")
    rows = read.fact_rows(runtime_of(current_app), code, grouping, key, period, at_now=utcnow())
    return {"figure": code, "group": grouping, "key": key, "count": len(rows),
            "items": [{**r, "at": iso(r["at"]),
                       "links": {"self": url_for("api.complaint", complaint_id=r["id"])}}
                      for r in rows]}
