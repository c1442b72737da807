"""The staffing report over HTTP (JSON, CSV, XLSX) and its page."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from hotline.models import Role
from tests.api.conftest import TestClient, Users
from tests.staffing.test_staffing import _fill_history

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
