"""The report tables laid out: which columns, how a heading and a group key read, and
the page's report and the department scorecard as `Sheet`s. Every heading and label is a
catalogue id read through the `Text` the caller passes (`workflow.text`; Chinese by default).

The figures come from `workflow.store.reports` (SQL); this module only names the columns
and lays the values out, so the page, the JSON, the CSV and the XLSX show exactly the
same numbers: counts as integers, rates as percentages with one decimal (empty when
nothing was due), times in whole seconds.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from states.catalogue import AUTHORITIES, CAUSES, CHANNELS, DEPARTMENTS, DISTRICTS
from workflow.store import reports as store
from workflow.text import SOURCE, Text

#: The columns of a report table, in order: figures, rates, percentiles.
REPORT_COLUMNS = ("received", "closed", "open_at_end", "assign_rate", "first_contact_rate",
                  "reply_rate", "escalated_timer", "escalated_criterion", "escalated_manual",
                  "major", "authority", "repeat", "reopened", "reopen_rate", "satisfied",
                  "satisfaction_rate", "reply_median_s", "reply_p90_s")
SCORECARD_COLUMNS = ("received", "assign_rate", "first_contact_rate", "reply_rate",
                     "overdue_now", "missed", "escalations_caused", "reopened", "reopen_rate",
                     "satisfaction_rate")
#: The scorecard's month-on-month columns: the previous month's value and the change.
COMPARED = ("received", "reply_rate", "missed", "satisfaction_rate")

#: Each grouping's name: a catalogue id (context "report"), read through a `Text`.
GROUPING_NAMES: dict[str, str] = {
    "department": "处理部门",
    "originating": "首问部门",
    "cause": "投诉原因",
    "channel": "受理渠道",
    "source": "投诉来源",
    "district": "所在区",
    "severity": "级别",
    "day": "按日",
    "week": "按周",
    "month": "按月",
    "all": "合计",
}
SEVERITY_NAMES = {"normal": "普通", "major": "重大"}


def grouping_name(grouping: str, text: Text = SOURCE) -> str:
    """What a grouping is called, e.g. 处理部门 / Handling department."""
    return text("report", GROUPING_NAMES.get(grouping, "分组"))


def column_name(code: str, text: Text = SOURCE) -> str:
    """The heading of a column (a figure, a rate or a percentile)."""
    if code in store.FIGURES:
        return text("report", store.FIGURES[code].zh)
    if code in store.RATES:
        return text("report", "%(name)s（%%）", name=text("report", store.RATES[code][2]))
    return text("report", "%(name)s（秒）", name=text("report", store.PERCENTILES[code][1]))


def group_label(grouping: str, key: str, text: Text = SOURCE) -> str:
    """How a group key reads (a department's, cause's... name; a day as it is)."""
    tables = {"department": DEPARTMENTS, "originating": DEPARTMENTS, "cause": CAUSES,
              "channel": CHANNELS, "district": DISTRICTS}
    if grouping in tables:
        if not key:
            return text("report", "未填写")
        names = tables[grouping].get(key)
        return text.pick(names) if names else key
    if grouping == "source":
        if key == "direct":
            return text("report", "客户直接投诉")
        names = AUTHORITIES.get(key)
        return text.pick(names) if names else key
    if grouping == "severity":
        return text("report", SEVERITY_NAMES[key]) if key in SEVERITY_NAMES else key
    if grouping == "all":
        return text("report", "合计")
    return key


def figure_of(code: str) -> str | None:
    """The figure whose list a column links to: itself, a rate's denominator... """
    if code in store.FIGURES:
        return code
    if code in store.RATES:
        return store.RATES[code][1]
    if code in store.PERCENTILES:
        return "replied"
    return None


@dataclass
class Sheet:
    """A table laid out: headings, and rows of (group key, label, values)."""

    title: str
    grouping: str
    columns: tuple[str, ...]
    rows: list[tuple[str, str, list]]
    total: list | None = None

    def as_lists(self, text: Text = SOURCE) -> list[list]:
        head = head_row(self, text)
        body = [[label, *values] for _key, label, values in self.rows]
        if self.total is not None:
            body.append([text("report", "合计"), *self.total])
        return [head, *body]

    def as_dict(self) -> dict:
        return {"grouping": self.grouping, "columns": list(self.columns),
                "rows": [{"key": k, "label": label, **dict(zip(self.columns, v))}
                         for k, label, v in self.rows],
                "total": dict(zip(self.columns, self.total)) if self.total is not None else None}


def report_sheet(conn, grouping: str, period: store.Period, *, at_now: datetime) -> Sheet:
    """The reports page's table: one row per group and a total row."""
    table = store.report(conn, grouping, period, at_now=at_now)
    rows = [(k, group_label(grouping, k), [table.value(c, k) for c in REPORT_COLUMNS])
            for k in table.keys]
    # Each fact falls in exactly one group: the totals are the groups' sums (rates from the
    # summed counts); only the percentiles are taken again over all the replies.
    whole = store.percentiles(conn, "all", period)
    total = [whole[c].get("all") if c in store.PERCENTILES else table.total(c)
             for c in REPORT_COLUMNS]
    title = SOURCE("report", "%(period)s %(grouping)s", period=period.label(),
                   grouping=grouping_name(grouping))
    return Sheet(title, grouping, REPORT_COLUMNS, rows, total)


def change(now, before):
    """now − before (one decimal for rates), or None when either is missing."""
    if now is None or before is None:
        return None
    return round(now - before, 1) if isinstance(now, float) or isinstance(before, float) \
        else now - before


def scorecard_sheet(conn, period: store.Period, *, by: str = "department",
                    at_now: datetime) -> Sheet:
    """One row per department: the scorecard, with the previous month's values and the
    change for the `COMPARED` columns."""
    keys = list(DEPARTMENTS)
    this = store.scorecard(conn, period, by=by, at_now=at_now, departments=keys)
    # Last month: only what the comparison shows.
    before = store.report(conn, by, period.previous_month(),
                          codes=tuple(c for c in COMPARED if c in store.FIGURES),
                          rate_codes=tuple(c for c in COMPARED if c in store.RATES),
                          with_percentiles=False, at_now=at_now, keys=keys)
    columns = (*SCORECARD_COLUMNS, *(f"{c}_prev" for c in COMPARED),
               *(f"{c}_change" for c in COMPARED))
    rows = []
    for k in keys:
        values = [this.value(c, k) for c in SCORECARD_COLUMNS]
        prev = [before.value(c, k) for c in COMPARED]
        rows.append((k, group_label(by, k), [*values, *prev, *(
            change(this.value(c, k), p) for c, p in zip(COMPARED, prev))]))
    title = SOURCE("report", "%(period)s %(grouping)s", period=period.label(),
                   grouping=SOURCE("report", "部门考核"))
    return Sheet(title, by, columns, rows)


def scorecard_column_name(code: str, text: Text = SOURCE) -> str:
    """The heading of a scorecard column: a figure, or its previous month's or change."""
    if code.endswith("_prev"):
        return text("report", "%(name)s·上月", name=column_name(code[:-5], text))
    if code.endswith("_change"):
        return text("report", "%(name)s·环比", name=column_name(code[:-7], text))
    return column_name(code, text)


def head_row(sheet: Sheet, text: Text = SOURCE) -> list[str]:
    """The heading row of a sheet: the grouping's name, then each column's."""
    return [grouping_name(sheet.grouping, text),
            *(scorecard_column_name(c, text) for c in sheet.columns)]
