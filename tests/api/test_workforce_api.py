"""The staffing report over HTTP (JSON, CSV, XLSX) and its page."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from api.tableout import XLSX_TYPE
from hotline.models import Role
from tests.api.conftest import TestClient, Users
from tests.staffing.test_staffing import _fill_history

# Every report table that downloads: its JSON has a named model, and both downloads are documented.
TABLES = (
    "/api/reports/occupancy", "/api/reports/pauses", "/api/reports/intervals", "/api/reports/staffing",
    "/api/reports/kpi", "/api/calls", "/api/analytics/frequent-terms", "/api/analytics/topic-periods",
)  # fmt: skip
WINDOW = {"since": "2026-11-23T10:00:00+03:00", "until": "2026-11-23T11:00:00+03:00"}


def test_staffing_json_states_the_model_and_rows(
    client: TestClient, users: Users, factory: sessionmaker[Session]
) -> None:
    _fill_history(factory)
    response = client.get("/api/reports/staffing", params=WINDOW, headers=users.bearer(Role.SUPERVISOR))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["model"], report["patience_s"], report["sl_target"]) == ("erlang_c", None, 80.0)
    assert "Erlang A" in report["definitions"]
    busy, quiet = report["rows"]
    assert (busy["offered"], busy["agents_required"], busy["agents_logged_in"], busy["understaffed"]) == (
        100,
        14,
        11.5,
        True,
    )
    assert quiet["understaffed"] is False


def test_staffing_exports_csv_and_xlsx(
    client: TestClient, users: Users, factory: sessionmaker[Session]
) -> None:
    _fill_history(factory)
    headers = users.bearer(Role.ANALYST)
    as_csv = client.get("/api/reports/staffing", params={**WINDOW, "format": "csv"}, headers=headers)
    rows = list(csv.DictReader(io.StringIO(as_csv.text.lstrip("\ufeff"))))
    assert [row["agents_required"] for row in rows] == ["14", "2"]
    as_xlsx = client.get("/api/reports/staffing", params={**WINDOW, "format": "xlsx"}, headers=headers)
    assert as_xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("interval_start", "offered", "aht_s", "agents_required")
    assert values[1][3] == 14


def test_staffing_needs_a_role_and_the_page_renders(client: TestClient, users: Users) -> None:
    assert client.get("/api/reports/staffing").status_code == 401
    page = client.get("/staffing?lang=uk", headers=users.bearer(Role.SUPERVISOR))
    assert page.status_code == 200
    assert "Потрібно операторів" in page.text


def test_every_workforce_table_exports_csv_and_xlsx(
    client: TestClient, users: Users, factory: sessionmaker[Session]
) -> None:
    from tests.staffing.test_workforce import _one_operator_hour

    _one_operator_hour(factory)
    headers = users.bearer(Role.SUPERVISOR)
    window = {"since": "2026-11-23T10:00:00+03:00", "until": "2026-11-23T11:00:00+03:00"}
    occupancy = client.get(
        "/api/reports/occupancy", params={**window, "wrapup_s": 60}, headers=headers
    ).json()
    assert occupancy["rows"][0]["occupancy_pct"] == 67.5
    assert "talk_s + wrapup_s" in occupancy["definitions"]
    for path, extra in (
        ("/api/reports/occupancy", {"by": "queue"}),
        ("/api/reports/pauses", {}),
        ("/api/reports/intervals", {"minutes": 60, "by": "weekday"}),
        ("/api/reports/kpi", {"group_by": "agent"}),
        ("/api/calls", {}),
    ):
        as_json = client.get(path, params={**window, **extra}, headers=headers).json()
        as_csv = client.get(path, params={**window, **extra, "format": "csv"}, headers=headers)
        as_xlsx = client.get(path, params={**window, **extra, "format": "xlsx"}, headers=headers)
        assert as_csv.status_code == as_xlsx.status_code == 200, path
        sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
        assert sheet is not None
        csv_rows = list(csv.reader(io.StringIO(as_csv.text.lstrip("\ufeff"))))
        assert sheet.max_row == len(csv_rows), path  # same rows, header included
        if "rows" in as_json:
            assert len(csv_rows) == len(as_json["rows"]) + 1, path
    pauses = client.get("/api/reports/pauses", params={**window, "format": "xlsx"}, headers=headers)
    values = list(load_workbook(io.BytesIO(pauses.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert [row[2] for row in values[1:]] == ["обед", "перерыв"]


def test_the_schema_documents_each_table_as_json_csv_and_xlsx(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in TABLES:
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/csv", XLSX_TYPE}, path
        assert content["application/json"]["schema"]["$ref"].startswith("#/components/schemas/"), path


def test_reports_page_renders(client: TestClient, users: Users) -> None:
    page = client.get("/reports?lang=en", headers=users.bearer(Role.SUPERVISOR))
    assert page.status_code == 200
    assert "Occupancy per operator" in page.text
