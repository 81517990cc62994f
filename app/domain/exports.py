"""A report table as the files people open in a spreadsheet: CSV as Chilean Excel reads it,
and XLSX with Spanish headers, numbers as numbers, dates as dates.

Text people typed goes through the registry export's one rule against formulas
(csv_import.safe_cell) in both formats, so neither file can run a formula someone hid in a
business name or a rejection reason.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.domain.csv_import import safe_cell
from app.domain.reports import Table

CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_text(table: Table) -> str:
    """UTF-8 with BOM, semicolons and decimal commas: what Excel in Chile opens as columns."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(c.header) for c in table.columns])
    for row in table.rows:
        writer.writerow(
            [_csv_cell(value, c.kind) for value, c in zip(row, table.columns, strict=True)]
        )
    return out.getvalue()


def _csv_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "date":
        return value.strftime("%d-%m-%Y")
    if kind == "percent":
        return f"{value * 100:.1f}%".replace(".", ",")
    if kind == "decimal":
        return f"{value:.2f}".replace(".", ",")
    if kind == "int":
        return str(int(value))
    return safe_cell(str(value))


def xlsx_bytes(table: Table) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(table.title)
    bold = Font(bold=True)
    for col, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=1, column=col)
        _text(cell, column.header)
        cell.font = bold
    for r, row in enumerate(table.rows, start=2):
        for col, (value, column) in enumerate(zip(row, table.columns, strict=True), start=1):
            cell = sheet.cell(row=r, column=col)
            if value is None:
                continue
            if column.kind == "text":
                _text(cell, str(value))
                continue
            cell.value = value
            if column.kind == "date":
                cell.number_format = "DD-MM-YYYY"
            elif column.kind == "percent":
                cell.number_format = "0.0%"
            elif column.kind == "decimal":
                cell.number_format = "0.00"
    for col, column in enumerate(table.columns, start=1):
        longest = max(
            [len(column.header)] + [_width(row[col - 1]) for row in table.rows], default=10
        )
        sheet.column_dimensions[get_column_letter(col)].width = min(max(longest + 2, 8), 60)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _text(cell, value: str) -> None:
    # A string is never a formula for openpyxl once its type is fixed as text.
    cell.value = safe_cell(value)
    cell.data_type = "s"


def _width(value: Any) -> int:
    if isinstance(value, date):
        return 10
    return len(str(value)) if value is not None else 0


def _sheet_title(title: str) -> str:
    cleaned = "".join("-" if ch in "[]:*?/\\" else ch for ch in title)
    return cleaned[:31] or "Informe"
