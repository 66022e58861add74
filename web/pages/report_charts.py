"""The charts of the reports page and the scorecard (`web.charts`), drawn from the same
sheet the tables show, each bar and point linking to the list behind its figure
(`/reports/list`). `templates/reports/_charts.html` calls `report_charts`."""
from __future__ import annotations

import re

from flask import url_for
from markupsafe import Markup

from web import charts
from web.pages.common import runtime
from web.pages.i18n import _, pgettext
from web.text import user_text
from workflow.services import read
from workflow.services import reports as svc

TITLE = re.compile(r"<title>([^<]*)</title>")
#: The clocks whose deadlines are met or missed, as the reports count them.
CLOCKS = (("assign", "派单"), ("first_contact", "首次联系"), ("reply", "答复"))


def _facts(figure: str, grouping: str, key: str, period) -> str:
    return url_for("reports.facts", figure=figure, group=grouping, key=key,
                   **{"from": period.first.isoformat(), "to": period.last.isoformat()})


def _column(sheet, code: str, values: list | None):
    return values[sheet.columns.index(code)] if code in sheet.columns else None


def _trend(trend: dict, period):
    days = sorted({d for series in trend.values() for d, _n in series})
    counts = {code: dict(series) for code, series in trend.items()}
    lines = [charts.Series(label, [counts.get(code, {}).get(d, 0) for d in days],
                           [_facts(code, "day", d, period) for d in days])
             for code, label in (("received", pgettext("chart", "受理")),
                                 ("closed", pgettext("chart", "办结")))]
    return charts.trend([d[5:] for d in days], lines, title=_("每日受理与办结"),
                        unit=pgettext("chart", "件"), empty=_("本期没有数据"))


def _bars(sheet, grouping: str, period):
    texts = user_text()
    items = [charts.Item(svc.group_label(grouping, key, texts) or _("未填写"),
                         _column(sheet, "received", values) or 0,
                         _facts("received", grouping, key, period))
             for key, _label, values in sheet.rows if _column(sheet, "received", values)]
    items.sort(key=lambda i: -i.value)
    return charts.bars(items, title=_("各组受理量"), unit=pgettext("chart", "件"), empty=_("本期没有数据"))


def _compliance_by_clock(period):
    """Deadlines met and missed per clock over the whole period (the stored facts)."""
    rows = []
    counts = read.figure_counts(runtime(), [f"{kind}_{end}" for kind, _label in CLOCKS
                                            for end in ("due", "met")], "all", period)
    for kind, label in CLOCKS:
        due = counts[f"{kind}_due"].get("all", 0)
        met = counts[f"{kind}_met"].get("all", 0)
        if due:
            rows.append(charts.Compliance(pgettext("chart", label), met, due - met,
                                          _facts(f"{kind}_met", "all", "all", period),
                                          _facts(f"{kind}_due", "all", "all", period)))
    return charts.compliance(rows, title=_("各时限按时与超时"), timely_name=pgettext("chart", "按时"),
                             missed_name=pgettext("chart", "超时"), empty=_("本期没有数据"))


def _compliance_by_department(grouping: str, period):
    """Reply deadlines met and missed per department of the scorecard."""
    texts = user_text()
    counts = read.figure_counts(runtime(), ("reply_due", "reply_met"), grouping, period)
    due, met = counts["reply_due"], counts["reply_met"]
    rows = [charts.Compliance(svc.group_label(grouping, key, texts), met.get(key, 0),
                              n - met.get(key, 0), _facts("reply_met", grouping, key, period),
                              _facts("reply_due", grouping, key, period))
            for key, n in sorted(due.items(), key=lambda kv: -kv[1]) if n]
    return charts.compliance(rows, title=_("各部门答复时限按时与超时"), timely_name=pgettext("chart", "按时"),
                             missed_name=pgettext("chart", "超时"), empty=_("本月没有到期的答复时限"))


def report_charts(sheet, trend, period, grouping) -> list:
    """(title, SVG) of the reports page's charts (trend, bars by group, compliance per clock) when
    `trend` is given; otherwise the scorecard's (bars and reply compliance by department)."""
    if trend is not None:
        drawn = [_trend(trend, period), _bars(sheet, grouping, period),
                 _compliance_by_clock(period)]
    else:
        drawn = [_bars(sheet, grouping, period), _compliance_by_department(grouping, period)]
    return [(Markup(TITLE.search(str(svg)).group(1)), svg) for svg in drawn]
