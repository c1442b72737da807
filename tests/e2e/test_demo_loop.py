"""`hotline demo` shows the loop: routed requests (answered, overdue), IVR callbacks dialed by the dialer."""

from __future__ import annotations

import signal
import time

import httpx
import pytest

from tests.e2e.test_demo import Demo, _wait_ready, demo  # noqa: F401 - the running-demo fixture

pytestmark = [pytest.mark.slow]
DIALED_WITHIN_S = 120.0  # the dialer waits for a moment with a free operator in the replayed capture


def test_demo_routes_answers_escalates_and_dials_back(demo: Demo) -> None:  # noqa: F811
    url = _wait_ready(demo)
    with httpx.Client(base_url=url, timeout=10) as client:
        login = client.post(
            "/api/login", json={"username": "supervisor", "password": demo.banner().passwords["supervisor"]}
        )
        assert login.status_code == 200, login.text
        requests = client.get("/api/requests").json()["items"]
        by_topic = {item["service_code"]: item for item in requests}
        assert by_topic["water"]["department"] == "water_utility"
        assert by_topic["water"]["detailed_status"] == "answered"
        assert by_topic["electricity"]["department"] == "power_grid"
        assert by_topic["heating"]["escalated_datetime"] is not None  # 20 days old, due in 5: overdue
        departments = {item["name"]: item for item in client.get("/api/departments").json()["items"]}
        assert departments["water_utility"]["members"] == ["department"]
        assert "department" in demo.banner().passwords
        assert "operator" in demo.banner().passwords
        deadline = time.monotonic() + DIALED_WITHIN_S
        dialed: list[dict[str, object]] = []
        while time.monotonic() < deadline and not dialed:
            dialed = [item for item in client.get("/api/callbacks").json() if int(str(item["attempts"])) > 0]
            time.sleep(1.0)
        assert dialed, "the demo's dialer placed no callback"
    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(60) == 0
