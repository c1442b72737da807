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
