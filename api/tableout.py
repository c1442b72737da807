"""Every report table as JSON, CSV or XLSX from one list of rows (the columns given once).

The JSON is a `Table` model (the reports' own in api/table_schemas.py), so the schema states its rows."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, TypeVar

from fastapi.responses import Response
from pydantic import BaseModel

from api.csvout import _cell, csv_response

TableFormat = Literal["json", "csv", "xlsx"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A route that answers format=csv and format=xlsx too documents both downloads with this.
FILES_TOO: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "JSON, or a CSV or XLSX download",
    }
}


class Table(BaseModel):
    """A report table as JSON: its window, the definitions of its measures, and the columns in the order
    of its downloads; each report adds its options and its rows."""

    since: str
    until: str
    definitions: str
    columns: list[str]


TableT = TypeVar("TableT", bound=Table)


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
    report: type[TableT],
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    fmt: TableFormat,
    filename: str,
    window: tuple[datetime, datetime],
    **meta: Any,
) -> TableT | Response:
    """The table as `report` (its window and `meta` beside the columns and rows), or a CSV/XLSX download."""
    if fmt != "json":
        return file_response(rows, columns, fmt=fmt, filename=filename)
    plain = [{column: _plain(row.get(column)) for column in columns} for row in rows]
    since, until = window
    return report.model_validate(
        {
            **meta,
            "since": since.isoformat(),
            "until": until.isoformat(),
            "columns": list(columns),
            "rows": plain,
        }
    )
