"""Every report table as JSON, CSV or XLSX from one list of rows (the columns given once)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from fastapi.responses import Response

from api.csvout import _cell, csv_response

TableFormat = Literal["json", "csv", "xlsx"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def xlsx_bytes(sheets: Mapping[str, tuple[Sequence[str], Sequence[Mapping[str, Any]]]]) -> bytes:
    """One worksheet per table: a bold header row, then the rows; text never becomes a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.worksheets[0])
    for title, (columns, rows) in sheets.items():
        sheet = book.create_sheet(title[:31])  # Excel's limit on sheet names
        sheet.append(list(columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_cell(_plain(row.get(column))) for column in columns])
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def file_response(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, fmt: Literal["csv", "xlsx"], filename: str
) -> Response:
    """A report table as a CSV or XLSX download; `filename` without extension."""
    plain = [{column: _plain(row.get(column)) for column in columns} for row in rows]
    if fmt == "csv":
        return csv_response(plain, filename + ".csv", list(columns))
    return Response(
        xlsx_bytes({filename: (columns, plain)}),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
    )


def table_response(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    fmt: TableFormat,
    filename: str,
    meta: Mapping[str, Any] | None = None,
) -> Any:
    """JSON (with `meta`: definitions, window, beside the rows), or a CSV/XLSX download."""
    if fmt != "json":
        return file_response(rows, columns, fmt=fmt, filename=filename)
    plain = [{column: _plain(row.get(column)) for column in columns} for row in rows]
    return {**(meta or {}), "columns": list(columns), "rows": plain}
