"""Recordings (streamed with HTTP Range so players can seek) and transcripts, both audited."""

from __future__ import annotations

import logging
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import FileResponse
from sqlalchemy import select

from api import audit
from api.auth import ALL_ROLES, Principal, require, roles_note
from api.wiring import wiring_of
from hotline.db import transaction
from hotline.models import Call, KeywordHit, Recording, Role, Transcript
from hotline.text.masking import redact

log = logging.getLogger(__name__)
router = APIRouter(tags=["recordings"])
AUDIO_ROLES = (Role.ANALYST, Role.ADMIN)
MEDIA_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".gsm": "audio/x-gsm"}


def resolve_inside(base: FsPath, stored: str) -> FsPath | None:
    """The stored recording path as a file inside `base`, or None when it points elsewhere."""
    root = base.resolve()
    candidate = FsPath(stored)
    resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
    return resolved if resolved.is_relative_to(root) else None


@router.get(
    "/api/recordings/{recording_id}/audio",
    summary="Stream a recording; honours Range so a player can seek. Audited. " + roles_note(*AUDIO_ROLES),
    response_class=FileResponse,
    responses={206: {"description": "the requested byte range"}, 404: {"description": "no such file"}},
)
def recording_audio(
    *,
    request: Request,
    recording_id: Annotated[int, Path(ge=1, le=2**62)],
    download: bool = False,
    user: Annotated[Principal, require(*AUDIO_ROLES)],
) -> FileResponse:
    wiring = wiring_of(request)
    with transaction(wiring.session_factory) as session:
        row = session.get(Recording, recording_id)
        if row is None:
            raise HTTPException(404, "no such recording")
        path = resolve_inside(wiring.settings.recordings.dir, row.path)
        if path is None:
            log.warning(
                "recording path outside the recordings directory refused",
                extra={"recording_id": recording_id, "user": user.username},
            )
            raise HTTPException(404, "no such recording")
        if not path.is_file():
            raise HTTPException(404, "recording file missing")
        range_header = request.headers.get("range", "")
        # A player re-requests ranges while seeking; one audit entry per start of listening is enough.
        if not range_header or range_header.replace(" ", "").startswith("bytes=0-"):
            audit.record(
                session,
                request,
                user,
                action="recording_download" if download else "recording_play",
                object_type="recording",
                object_id=recording_id,
                call_id=row.call_id,
            )
    return FileResponse(
        path,
        media_type=MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream"),
        filename=f"recording-{recording_id}{path.suffix.lower()}",
        content_disposition_type="attachment" if download else "inline",
        headers={"Cache-Control": "private, no-store"},
    )


@router.get(
    "/api/transcripts/{transcript_id}",
    summary="A transcript as speaker turns with keyword highlights; personal data is redacted for roles "
    "listed in transcription.redact_for_roles. Audited. " + roles_note(*ALL_ROLES),
)
def transcript_view(
    *,
    request: Request,
    transcript_id: Annotated[int, Path(ge=1, le=2**62)],
    user: Annotated[Principal, require(*ALL_ROLES)],
) -> dict[str, Any]:
    wiring = wiring_of(request)
    redacting = user.role.value in wiring.settings.transcription.redact_for_roles
    with transaction(wiring.session_factory) as session:
        transcript = session.get(Transcript, transcript_id)
        if transcript is None:
            raise HTTPException(404, "no such transcript")
        recording = session.get(Recording, transcript.recording_id)
        call = session.get(Call, recording.call_id) if recording and recording.call_id else None
        hits = session.scalars(
            select(KeywordHit).where(KeywordHit.transcript_id == transcript_id).order_by(KeywordHit.start_s)
        ).all()
        turns: list[dict[str, Any]] = []
        for segment in transcript.segments:
            text = redact(segment.text) if redacting else segment.text
            item = {
                "segment_id": segment.id,
                "start_s": segment.start_s,
                "end_s": segment.end_s,
                "text": text,
                "confidence": segment.confidence,
            }
            if turns and turns[-1]["speaker"] == segment.speaker.value:
                turns[-1]["segments"].append(item)
                turns[-1]["end_s"] = segment.end_s
            else:
                turns.append(
                    {
                        "speaker": segment.speaker.value,
                        "start_s": segment.start_s,
                        "end_s": segment.end_s,
                        "segments": [item],
                    }
                )
        audit.record(
            session,
            request,
            user,
            action="transcript_view",
            object_type="transcript",
            object_id=transcript_id,
        )
        return {
            "id": transcript.id,
            "recording_id": transcript.recording_id,
            "language": transcript.language,
            "model": transcript.model,  # where the text came from: a Vosk model, or an imported script
            "duration_s": transcript.audio_duration_s,
            "topic": transcript.topic,
            "abusive": transcript.abusive,
            "redacted": redacting,
            "call": None
            if call is None
            else {
                "id": call.id,
                "pbx": call.pbx,
                "started_at": call.started_at.isoformat(),
                "queue": call.queue,
                "agent": call.agent,
                "caller_number": _mask_number(call.caller_number) if redacting else call.caller_number,
            },
            "turns": turns,
            "highlights": [
                {
                    "keyword": hit.keyword,
                    "kind": hit.kind.value,
                    "topic": hit.topic,
                    "speaker": hit.speaker.value,
                    "segment_id": hit.segment_id,
                    "start_s": hit.start_s,
                    "end_s": hit.end_s,
                }
                for hit in hits
            ],
        }


def _mask_number(number: str | None) -> str | None:
    return None if not number else "*" * max(len(number) - 2, 0) + number[-2:]
