"""The reports and the department scorecard as tables, CSV and XLSX, and the monthly
scorecard mail, in four parts re-exported here (`from workflow.services import reports`):

- `query`: reading a request (period, grouping, figure) and the complaints behind a figure;
- `figures`: the columns and how they read, the report and the scorecard as `Sheet`s;
- `export`: a sheet as CSV or XLSX, and an XLSX read back;
- `monthly`: last month's scorecard queued once in the outbox on the first working day.
"""
from __future__ import annotations

from states.catalogue import DEPARTMENTS
from workflow.services.reports.export import csv_text, read_xlsx, xlsx_bytes
from workflow.services.reports.figures import (
    COMPARED,
    GROUPING_NAMES,
    REPORT_COLUMNS,
    SCORECARD_COLUMNS,
    Sheet,
    change,
    column_name,
    figure_of,
    group_label,
    grouping_name,
    report_sheet,
    scorecard_column_name,
    scorecard_sheet,
)
from workflow.services.reports.monthly import (
    MONTHLY_KIND,
    RECIPIENT,
    first_workday,
    monthly_key,
    queue_monthly_report,
)
from workflow.services.reports.query import (
    MAX_DAYS,
    REPORT_ROLES,
    BadRequest,
    fact_rows,
    figure_from,
    grouping_from,
    local_today,
    period_from,
)
from workflow.store import reports as store  # the templates read its figure tables

__all__ = [
    "COMPARED", "DEPARTMENTS", "GROUPING_NAMES", "MAX_DAYS", "MONTHLY_KIND", "RECIPIENT",
    "REPORT_COLUMNS", "REPORT_ROLES", "SCORECARD_COLUMNS", "BadRequest", "Sheet", "change",
    "column_name", "csv_text", "fact_rows", "figure_from", "figure_of", "first_workday",
    "group_label", "grouping_from", "grouping_name", "local_today", "monthly_key", "period_from",
    "queue_monthly_report", "read_xlsx", "report_sheet", "scorecard_column_name",
    "scorecard_sheet", "store", "xlsx_bytes",
]
