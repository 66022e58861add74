"""The report tables laid out: which columns, how a heading and a group key read, and
the page's report and the department scorecard as `Sheet`s.

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

GROUPING_NAMES: dict[str, tuple[str, str]] = {
    "department": ("处理部门", "Handling department"),
    "originating": ("首问部门", "Originating department"),
    "cause": ("投诉原因", "Cause"),
    "channel": ("受理渠道", "Channel"),
    "source": ("投诉来源", "Source"),
    "district": ("所在区", "District"),
    "severity": ("级别", "Severity"),
    "day": ("按日", "Day"),
    "week": ("按周", "Week"),
    "month": ("按月", "Month"),
    "all": ("合计", "All"),
}


def column_name(code: str, english: bool = False) -> str:
    """The heading of a column (a figure, a rate or a percentile)."""
    if code in store.FIGURES:
        f = store.FIGURES[code]
        return f.en if english else f.zh
    if code in store.RATES:
        return store.RATES[code][3 if english else 2] + ("" if english else "（%）")
    p = store.PERCENTILES[code]
    return (p[2] + " (s)") if english else p[1] + "（秒）"


def group_label(grouping: str, key: str, english: bool = False) -> str:
    """How a group key reads (a department's, cause's... name; a day as it is)."""
    tables = {"department": DEPARTMENTS, "originating": DEPARTMENTS, "cause": CAUSES,
              "channel": CHANNELS, "district": DISTRICTS}
    i = 1 if english else 0
    if grouping in tables:
        if not key:
            return "Not given" if english else "未填写"
        names = tables[grouping].get(key)
        return names[i] if names else key
    if grouping == "source":
        if key == "direct":
            return "Direct" if english else "客户直接投诉"
        names = AUTHORITIES.get(key)
        return names[i] if names else key
    if grouping == "severity":
        return {"normal": ("普通", "Normal"), "major": ("重大", "Major")}.get(key, (key, key))[i]
    if grouping == "all":
        return "All" if english else "合计"
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

    def as_lists(self, english: bool = False) -> list[list]:
        head = head_row(self, english)
        body = [[label, *values] for _key, label, values in self.rows]
        if self.total is not None:
            body.append(["All" if english else "合计", *self.total])
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
    return Sheet(f"{period.label()} {GROUPING_NAMES.get(grouping, ('',))[0]}", grouping,
                 REPORT_COLUMNS, rows, total)


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
    return Sheet(f"{period.label()} 部门考核", by, columns, rows)


def scorecard_column_name(code: str, english: bool = False) -> str:
    if code.endswith("_prev"):
        return column_name(code[:-5], english) + (" (previous month)" if english else "·上月")
    if code.endswith("_change"):
        return column_name(code[:-7], english) + (" (change)" if english else "·环比")
    return column_name(code, english)


def head_row(sheet: Sheet, english: bool) -> list[str]:
    """The heading row of a sheet: the grouping's name, then each column's."""
    name = GROUPING_NAMES.get(sheet.grouping, ("分组", "Group"))[1 if english else 0]
    return [name, *(scorecard_column_name(c, english) for c in sheet.columns)]
