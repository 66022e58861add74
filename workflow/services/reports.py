"""The reports and the department scorecard as tables, CSV and XLSX, and the monthly
scorecard mail.

The figures come from `workflow.store.reports` (SQL); this module only names the columns
and lays the same values out for each output, so the page, the JSON, the CSV and the
XLSX show exactly the same numbers: counts as integers, rates as percentages with one
decimal (empty when nothing was due), times in whole seconds.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from states.calendar import SHANGHAI
from states.catalogue import AUTHORITIES, CAUSES, CHANNELS, DEPARTMENTS, DISTRICTS
from workflow.domain.errors import FieldError
from workflow.domain.model import Complaint
from workflow.store import reports as store
from workflow.store.schema import complaints, outbox

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
        head = _head(self, english)
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


def _head(sheet: Sheet, english: bool) -> list[str]:
    name = GROUPING_NAMES.get(sheet.grouping, ("分组", "Group"))[1 if english else 0]
    return [name, *(scorecard_column_name(c, english) for c in sheet.columns)]


def _cell(value):
    return "" if value is None else value


def csv_text(sheet: Sheet, english: bool = False) -> str:
    """The table as CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_head(sheet, english))
    for _key, label, values in sheet.rows:
        writer.writerow([label, *(_cell(v) for v in values)])
    if sheet.total is not None:
        writer.writerow(["All" if english else "合计", *(_cell(v) for v in sheet.total)])
    return out.getvalue()


def xlsx_bytes(*sheets: Sheet, english: bool = False) -> bytes:
    """The tables as one XLSX workbook, a worksheet each."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for i, sheet in enumerate(sheets):
        ws = book.create_sheet(title=f"{i + 1}"[:31] if len(sheets) > 1 else "report")
        ws.append([sheet.title])
        ws.append(_head(sheet, english))
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for _key, label, values in sheet.rows:
            ws.append([label, *values])
        if sheet.total is not None:
            ws.append(["All" if english else "合计", *sheet.total])
        ws.column_dimensions["A"].width = 18
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def read_xlsx(data: bytes) -> list[list[list]]:
    """Every worksheet of a workbook as rows of values (the tests and the CLI read back)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    return [[list(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets]


# --- The monthly scorecard mail ---------------------------------------------------------

MONTHLY_KIND = "monthly_scorecard"
RECIPIENT = "market_operations"


def first_workday(calendar, year: int, month: int) -> date:
    """The first working day of a month by the business calendar (调休 included)."""
    day = date(year, month, 1)
    while not calendar.is_workday(day)[0]:
        day += timedelta(days=1)
    return day


def monthly_key(period: store.Period) -> str:
    return f"{MONTHLY_KIND}:{period.first:%Y-%m}"


def queue_monthly_report(rt, now: datetime) -> bool:
    """On (or, after a stop, later in the month than) the month's first working day, queue
    the previous month's scorecard (XLSX attached) to market operations in the outbox —
    once: the row's `dedupe_key` is unique, so a second worker's insert does nothing.
    Return whether this call queued it."""
    today = now.astimezone(SHANGHAI).date()
    if today < first_workday(rt.calendar, today.year, today.month):
        return False
    period = store.Period.month(today.year, today.month).previous_month()
    key = monthly_key(period)
    with rt.engine.connect() as conn:
        if conn.execute(select(outbox.c.id).where(outbox.c.dedupe_key == key)).first():
            return False
        # Nothing to score before the first complaint: no mail about a month before it.
        if conn.execute(select(complaints.c.id).where(complaints.c.created_at < period.end)
                        .limit(1)).first() is None:
            return False
        handling = scorecard_sheet(conn, period, at_now=now)
        originating = scorecard_sheet(conn, period, by="originating", at_now=now)
    attachment = xlsx_bytes(handling, originating)
    subject = f"{period.first:%Y年%m月}投诉处理部门考核表"
    body = (f"{subject}（{period.label()}），附件为处理部门与首问部门两张考核表。\n"
            f"Complaint-handling scorecard for {period.first:%Y-%m}, attached as XLSX.")
    row = dict(complaint_id=None, kind=MONTHLY_KIND, recipients=[RECIPIENT], subject=subject,
               body=body, created_at=now, attempts=0, next_attempt_at=now, dedupe_key=key,
               attachment_name=f"scorecard-{period.first:%Y-%m}.xlsx", attachment=attachment)
    insert = (postgresql.insert if rt.engine.dialect.name == "postgresql" else sqlite.insert)
    with rt.uow() as uow:
        done = uow.conn.execute(insert(outbox).values(**row)
                                .on_conflict_do_nothing(index_elements=["dedupe_key"]))
        uow.commit()
    return done.rowcount == 1


# --- Reading a request ------------------------------------------------------------------

#: Who may read the reports: the market operations auditors, the major-complaint desk
#: (the CSC coordinates and reports upward) and the administrators.
REPORT_ROLES = ("auditor", "major_desk", "admin")
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
