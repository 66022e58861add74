"""A laid-out table as CSV or as an XLSX workbook, and an XLSX read back."""
from __future__ import annotations

import csv
import io

from workflow.services.reports.figures import Sheet, head_row
from workflow.text import SOURCE, Text


def _cell(value):
    return "" if value is None else value


def csv_text(sheet: Sheet, text: Text = SOURCE) -> str:
    """The table as CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(head_row(sheet, text))
    for _key, label, values in sheet.rows:
        writer.writerow([label, *(_cell(v) for v in values)])
    if sheet.total is not None:
        writer.writerow([text("report", "合计"), *(_cell(v) for v in sheet.total)])
    return out.getvalue()


def xlsx_bytes(*sheets: Sheet, text: Text = SOURCE) -> bytes:
    """The tables as one XLSX workbook, a worksheet each."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for i, sheet in enumerate(sheets):
        ws = book.create_sheet(title=f"{i + 1}"[:31] if len(sheets) > 1 else "report")
        ws.append([sheet.title])
        ws.append(head_row(sheet, text))
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for _key, label, values in sheet.rows:
            ws.append([label, *values])
        if sheet.total is not None:
            ws.append([text("report", "合计"), *sheet.total])
        ws.column_dimensions["A"].width = 18
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def read_xlsx(data: bytes) -> list[list[list]]:
    """Every worksheet of a workbook as rows of values (the tests and the CLI read back)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    return [[list(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets]
