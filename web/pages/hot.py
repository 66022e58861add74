"""The hot-issue page (热点问题): rising causes with their chart, clusters that may be one
joint complaint (with the major desk's button to escalate one), recurring numbers; and
the list of the complaints behind any of its figures."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from states.catalogue import CAUSES, DISTRICTS
from web import charts
from web.hot import MAY_ESCALATE, MAY_SEE, Period, list_args, members_of, period_from
from web.pages.common import actor, now, page_blueprint, roles_required, runtime
from web.pages.i18n import _, name, pgettext
from web.pages.report_charts import report_charts
from workflow.domain.model import Complaint
from workflow.services import hot
from workflow.services.read import CLUSTER_KINDS

bp = page_blueprint("hot", __name__)
bp.add_app_template_global(report_charts, "report_charts")


def place_name(kind: str, place: str) -> str:
    """A cluster's place as the page shows it: the district's name, or the location."""
    return name(DISTRICTS, place) if kind == "district" else place


def hot_chart(report: hot.HotReport, period: Period):
    """The rising causes as bars, this period against the previous one."""
    items = [charts.Item(name(CAUSES, r.cause), r.count,
                         url_for("hot.complaints", **list_args("cause", period, cause=r.cause)),
                         previous=r.previous) for r in report.rising]
    return charts.bars(items, title=_("热点投诉原因（本期与上期）"), unit=pgettext("chart", "件"),
                       empty=_("本期没有上升的投诉原因"), previous_name=_("上期"))


@bp.route("/reports/hot")
@roles_required(*MAY_SEE)
def index():
    """Rising causes, clusters and recurring numbers of a period."""
    period, refused = period_from(request.args, now())
    if refused:
        flash(_("日期无效，已显示最近7天"), "warning")
    report = hot.report(runtime(), period.start, period.end)
    return render_template("reports/hot.html", report=report, period=period,
                           previous=period.previous, chart=hot_chart(report, period),
                           may_escalate=actor().role in MAY_ESCALATE, list_args=list_args,
                           place_name=place_name)


@bp.route("/reports/hot/complaints")
@roles_required(*MAY_SEE)
def complaints():
    """The complaints behind one figure of the hot-issue page."""
    period, _refused = period_from(request.args, now())
    with runtime().uow(write=False) as uow:
        rows = members_of(uow, request.args, period, actor())
    if rows is None:
        abort(404)
    kind = request.args.get("kind")
    return render_template("reports/hot_complaints.html", rows=rows, period=period, kind=kind,
                           cause=request.args.get("cause"), place=request.args.get("place", ""),
                           place_name=place_name, number_of=Complaint.number_of)


@bp.route("/reports/hot/escalate", methods=["POST"])
@roles_required(*MAY_ESCALATE)
def escalate():
    """Escalate one cluster's complaints as major (joint complaint) in one transaction."""
    form = request.form
    period, refused = period_from(form, now())
    kind, cause, place = form.get("kind"), form.get("cause"), form.get("place", "")
    if refused or kind not in CLUSTER_KINDS or cause not in CAUSES or not place:
        abort(404)
    done = hot.escalate_cluster(runtime(), current_user.actor, kind=kind, cause=cause,
                                place=place, start=period.start, end=period.end, now=now(),
                                comment=(form.get("comment") or "").strip()[:500])
    if done.status == "escalated":
        flash(_("已按群体投诉升级为重大投诉：%(n)s张工单", n=len(done.escalated)), "success")
    elif done.status == "already":
        flash(_("这组投诉已经升级过"), "warning")
    else:
        flash(_("这组投诉的客户数已不足，未升级"), "warning")
    return redirect(url_for("hot.index", **period.args()))
