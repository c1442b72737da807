"""Recordings stream with Range, never leave the recordings directory; plays and views are audited."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import transaction
from hotline.models import AuditLog, Recording, Role
from hotline.settings import Settings
from tests.api.conftest import TestClient, Users
from tests.conftest import CAPTURES


def _recording(factory: sessionmaker[Session], path: str) -> int:
    with transaction(factory) as session:
        row = Recording(path=path)
        session.add(row)
        session.flush()
        return row.id


@pytest.fixture
def wav(settings: Settings) -> Path:
    source = next(CAPTURES.glob("split_recording/**/*.wav"), None) or next(CAPTURES.rglob("*.wav"), None)
    if source is None:
        pytest.skip("no WAV in the captures")
    target = settings.recordings.dir / "2026" / "call.wav"
    target.parent.mkdir(parents=True)
    shutil.copy(source, target)
    return target


def test_full_download_and_byte_ranges(
    client: TestClient, users: Users, factory: sessionmaker[Session], wav: Path
) -> None:
    recording_id = _recording(factory, "2026/call.wav")
    content = wav.read_bytes()
    url = f"/api/recordings/{recording_id}/audio"
    full = client.get(url, headers=users.bearer(Role.ANALYST))
    assert full.status_code == 200
    assert full.content == content
    assert full.headers["content-type"] == "audio/wav"
    assert full.headers["accept-ranges"] == "bytes"
    part = client.get(url, headers=users.bearer(Role.ANALYST) | {"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.content == content[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(content)}"
    tail = client.get(url, headers=users.bearer(Role.ANALYST) | {"Range": "bytes=-100"})
    assert tail.status_code == 206
    assert tail.content == content[-100:]
    beyond = client.get(url, headers=users.bearer(Role.ANALYST) | {"Range": f"bytes={len(content) + 10}-"})
    assert beyond.status_code == 416
    download = client.get(url + "?download=true", headers=users.bearer(Role.ADMIN))
    assert download.headers["content-disposition"].startswith("attachment")
    with factory() as session:
        entries = session.scalars(select(AuditLog).where(AuditLog.object_type == "recording")).all()
    # Seeking (a range not from byte 0) is the same listening, not a new audit entry.
    assert [(e.username, e.action) for e in entries] == [
        ("analyst", "recording_play"),
        ("admin", "recording_download"),
    ]
    assert entries[0].object_id == str(recording_id)
    assert entries[0].client_addr


@pytest.mark.parametrize("stored", ["../../etc/passwd", "/etc/passwd", "2026/../../../etc/hostname"])
def test_a_stored_path_outside_the_recordings_directory_is_refused(
    client: TestClient, users: Users, factory: sessionmaker[Session], stored: str
) -> None:
    recording_id = _recording(factory, stored)
    answer = client.get(f"/api/recordings/{recording_id}/audio", headers=users.bearer(Role.ADMIN))
    assert answer.status_code == 404
    assert b"root" not in answer.content


@pytest.mark.parametrize("raw", ["..%2F..%2Fetc%2Fpasswd", "..", "1%00", "-1", "0"])
def test_traversal_in_the_url_is_rejected(client: TestClient, users: Users, raw: str) -> None:
    answer = client.get(f"/api/recordings/{raw}/audio", headers=users.bearer(Role.ADMIN))
    assert answer.status_code in (404, 422)


def test_missing_file_is_404(client: TestClient, users: Users, factory: sessionmaker[Session]) -> None:
    recording_id = _recording(factory, "gone.wav")
    assert (
        client.get(f"/api/recordings/{recording_id}/audio", headers=users.bearer(Role.ADMIN)).status_code
        == 404
    )


def test_admins_list_and_export_the_audit_log(
    client: TestClient, users: Users, factory: sessionmaker[Session], wav: Path
) -> None:
    recording_id = _recording(factory, "2026/call.wav")
    client.get(f"/api/recordings/{recording_id}/audio", headers=users.bearer(Role.ANALYST))
    listed = client.get("/api/audit?action=recording_play", headers=users.bearer(Role.ADMIN)).json()
    assert listed["total"] == 1
    assert listed["items"][0]["username"] == "analyst"
    exported = client.get("/api/audit?format=csv", headers=users.bearer(Role.ADMIN))
    assert exported.headers["content-type"].startswith("text/csv")
    assert "recording_play" in exported.text
    assert exported.text.startswith("\ufeffid,at,username")


def _plays(factory: sessionmaker[Session]) -> list[tuple[str, str]]:
    with factory() as session:
        rows = session.scalars(
            select(AuditLog).where(AuditLog.object_type == "recording").order_by(AuditLog.id)
        ).all()
        return [(row.username, row.action) for row in rows]


@pytest.mark.parametrize(
    ("header", "status", "part"),
    [
        ("bytes=-280044", 206, slice(-280044, None)),  # the last bytes, or all when the file is shorter
        ("BYTES=0-", 206, slice(None)),  # the unit is case-insensitive
        ("bytes=00-", 206, slice(None)),  # leading zeros are digits too
        ("bytes=1-,0-0", 206, slice(None)),  # two ranges that join into the whole file
        ("bytes=1000-", 206, slice(1000, None)),  # a first request from the middle is a play too
        ("items=0-5", 200, slice(None)),  # an unknown unit is ignored
        ("bytes=5-3", 200, slice(None)),  # an invalid range set is ignored: the whole file
        ("bytes=abc", 200, slice(None)),
    ],
)
def test_every_range_that_serves_content_is_audited(
    client: TestClient,
    users: Users,
    factory: sessionmaker[Session],
    wav: Path,
    header: str,
    status: int,
    part: slice,
) -> None:
    recording_id = _recording(factory, "2026/call.wav")
    answer = client.get(
        f"/api/recordings/{recording_id}/audio", headers=users.bearer(Role.ANALYST) | {"Range": header}
    )
    assert answer.status_code == status
    assert answer.content == wav.read_bytes()[part]
    assert _plays(factory) == [("analyst", "recording_play")]


def test_one_play_session_is_one_entry_and_an_unsatisfiable_range_serves_nothing(
    client: TestClient, users: Users, factory: sessionmaker[Session], wav: Path
) -> None:
    recording_id = _recording(factory, "2026/call.wav")
    url = f"/api/recordings/{recording_id}/audio"
    size = wav.stat().st_size
    beyond = client.get(url, headers=users.bearer(Role.ANALYST) | {"Range": f"bytes={size}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{size}"
    assert _plays(factory) == []
    for start in range(0, size, size // 5):
        chunk = client.get(url, headers=users.bearer(Role.ANALYST) | {"Range": f"bytes={start}-"})
        assert chunk.status_code == 206
    client.get(url, headers=users.bearer(Role.ADMIN) | {"Range": "bytes=500-"})
    assert _plays(factory) == [("analyst", "recording_play"), ("admin", "recording_play")]


def test_range_plans_follow_rfc_9110() -> None:
    from api.ranges import RangePlan, plan_range

    assert plan_range(None, 100) == RangePlan(None)
    assert plan_range("bytes=-280044", 100) == RangePlan("bytes=-280044")  # the whole file, as 206
    assert plan_range("Bytes = 00-0009", 100) == RangePlan("bytes=0-9")  # read leniently
    assert plan_range("bytes=00-0009", 100) == RangePlan("bytes=0-9")
    assert plan_range("bytes=1-, ,0-0", 100) == RangePlan("bytes=1-,0-0")
    assert plan_range("bytes=200-300,10-20", 100) == RangePlan("bytes=10-20")  # the satisfiable one
    assert plan_range("bytes=200-300", 100) == RangePlan(None, satisfiable=False)
    assert plan_range("bytes=-0", 100) == RangePlan(None, satisfiable=False)
    assert plan_range("bytes=" + ",".join(["0-0"] * 101), 100) == RangePlan(None)
