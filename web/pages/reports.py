"""The supervision pages: the reports (figures for a period and a grouping), the
department scorecard with its month-on-month comparison, the list of complaints behind
every figure, and their CSV and XLSX downloads. The figures are SQL
(`workflow.store.reports`); the layout is `workflow.services.reports`, shared with the
JSON API and the monthly mail, so every output shows the same numbers."""
from __future__ import annotations

from flask import Response, abort, render_template, request

from states.process import Role
from web.pages.common import now, page_blueprint, roles_required, runtime
from web.text import user_text
from workflow.services import read
from workflow.services import reports as svc

bp = page_blueprint("reports", __name__)
ROLES = tuple(Role(r) for r in svc.REPORT_ROLES)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The figures the list page may show a value column for, and how.
VALUE_COLUMNS = {"replied": "reply_seconds"}


def _request():
    try:
        return svc.period_from(request.args, now()), svc.grouping_from(request.args)
    except svc.BadRequest:
        abort(400)


def _download(body, mimetype: str, name: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/reports")
@roles_required(*ROLES)
def index():
    """The figures of a period, per group; every figure links to its complaints."""
    period, grouping = _request()
    sheet, trend = read.report_sheet(runtime(), grouping, period, at_now=now(), trend=True)
    return render_template("reports/index.html", sheet=sheet, period=period,
                           grouping=grouping, trend=trend, svc=svc, figure_of=svc.figure_of,
                           texts=user_text())


@bp.route("/reports.<fmt>")
@roles_required(*ROLES)
def export(fmt: str):
    """The reports table as CSV or XLSX."""
    period, grouping = _request()
    sheet = read.report_sheet(runtime(), grouping, period, at_now=now())
    name = f"report-{period.first}-{period.last}-{grouping}"
    if fmt == "csv":
        return _download(svc.csv_text(sheet, user_text()), "text/csv", f"{name}.csv")
    if fmt == "xlsx":
        return _download(svc.xlsx_bytes(sheet, texts=user_text()), XLSX, f"{name}.xlsx")
    abort(404)


def _scorecard_request():
    try:
        period = svc.period_from({"month": request.args.get("month")
                                  or f"{svc.local_today(now()):%Y-%m}"}, now())
    except svc.BadRequest:
        abort(400)
    by = request.args.get("by", "department")
    if by not in ("department", "originating"):
        abort(400)
    return period, by


@bp.route("/reports/scorecard")
@roles_required(*ROLES)
def scorecard():
    """One row per department for a month, against the month before."""
    period, by = _scorecard_request()
    sheet = read.scorecard_sheet(runtime(), period, by=by, at_now=now())
    return render_template("reports/scorecard.html", sheet=sheet, period=period, by=by,
                           svc=svc, figure_of=svc.figure_of, texts=user_text())


@bp.route("/reports/scorecard.<fmt>")
@roles_required(*ROLES)
def scorecard_export(fmt: str):
    """The scorecard as CSV or XLSX."""
    period, by = _scorecard_request()
    sheet = read.scorecard_sheet(runtime(), period, by=by, at_now=now())
    name = f"scorecard-{period.first:%Y-%m}-{by}"
    if fmt == "csv":
        return _download(svc.csv_text(sheet, user_text()), "text/csv", f"{name}.csv")
    if fmt == "xlsx":
        return _download(svc.xlsx_bytes(sheet, texts=user_text()), XLSX, f"{name}.xlsx")
    abort(404)


@bp.route("/reports/list")
@roles_required(*ROLES)
def facts():
    """The complaints behind one figure of one group: exactly as many rows as it counts."""
    try:
        period, grouping = (svc.period_from(request.args, now()),
                            svc.grouping_from(request.args, "all"))
        code = svc.figure_from(request.args)
    except svc.BadRequest:
        abort(400)
    key = request.args.get("key", "all" if grouping == "all" else "")
    rows = read.fact_rows(runtime(), code, grouping, key, period, at_now=now())
    return render_template("reports/list.html", rows=rows, code=code, grouping=grouping,
                           key=key, period=period, svc=svc,
                           texts=user_text())
