"""Recordings (streamed with HTTP Range so players can seek) and transcripts, both audited."""

from __future__ import annotations

import logging
from pathlib import Path as FsPath

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse
from sqlalchemy import select

from api import audit
from api.deps import ANALYSING, AnalystUser, SessionDep, SettingsDep, SupervisionUser, masking
from api.ranges import plan_range
from api.schemas import Highlight, TranscriptCall, TranscriptSegmentOut, TranscriptView, Turn
from api.validation import RecordingId, TranscriptId
from hotline.models import Call, KeywordHit, Recording, Transcript

log = logging.getLogger(__name__)
router = APIRouter(tags=["recordings"])
AUDIO_ROLES = ANALYSING
MEDIA_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".gsm": "audio/x-gsm"}


def resolve_inside(base: FsPath, stored: str) -> FsPath | None:
    """The stored recording path as a file inside `base`, or None when it points elsewhere."""
    root = base.resolve()
    candidate = FsPath(stored)
    resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
    return resolved if resolved.is_relative_to(root) else None


@router.get(
    "/api/recordings/{recording_id}/audio",
    summary="Stream a recording; honours Range so a player can seek. Audited.",
    response_class=FileResponse,
    responses={206: {"description": "the requested byte range"}, 404: {"description": "no such file"}},
)
def recording_audio(
    *,
    user: AnalystUser,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    recording_id: RecordingId,
    download: bool = False,
) -> FileResponse:
    row = session.get(Recording, recording_id)
    if row is None:
        raise HTTPException(404, "no such recording")
    path = resolve_inside(settings.recordings.dir, row.path)
    if path is None:
        log.warning(
            "recording path outside the recordings directory refused",
            extra={"recording_id": recording_id, "user": user.username},
        )
        raise HTTPException(404, "no such recording")
    if not path.is_file():
        raise HTTPException(404, "recording file missing")
    plan = plan_range(request.headers.get("range"), path.stat().st_size)
    if not plan.satisfiable:
        raise HTTPException(
            416, "range not satisfiable", headers={"Content-Range": f"bytes */{path.stat().st_size}"}
        )
    # The file response reads Range from the request: it gets the plainly written, satisfiable ranges.
    request.scope["headers"] = [(k, v) for k, v in request.scope["headers"] if k != b"range"] + (
        [(b"range", plan.header.encode())] if plan.header else []
    )
    # Every response that serves content is covered by an audit entry, one per play session.
    audit.record_play(
        session,
        request,
        user,
        action="recording_download" if download else "recording_play",
        recording_id=recording_id,
        call_id=row.call_id,
        served=plan.header or "all",
    )
    session.commit()
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
    "listed in transcription.redact_for_roles. Audited.",
)
def transcript_view(
    *,
    user: SupervisionUser,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    transcript_id: TranscriptId,
) -> TranscriptView:
    mask = masking(settings, user)
    transcript = session.get(Transcript, transcript_id)
    if transcript is None:
        raise HTTPException(404, "no such transcript")
    recording = session.get(Recording, transcript.recording_id)
    call = session.get(Call, recording.call_id) if recording and recording.call_id else None
    hits = session.scalars(
        select(KeywordHit).where(KeywordHit.transcript_id == transcript_id).order_by(KeywordHit.start_s)
    ).all()
    turns: list[Turn] = []
    for segment in transcript.segments:
        item = TranscriptSegmentOut(
            segment_id=segment.id,
            start_s=segment.start_s,
            end_s=segment.end_s,
            text=mask.text(segment.text),
            confidence=segment.confidence,
        )
        if turns and turns[-1].speaker == segment.speaker.value:
            turns[-1].segments.append(item)
            turns[-1].end_s = segment.end_s
        else:
            turns.append(
                Turn(
                    speaker=segment.speaker.value,
                    start_s=segment.start_s,
                    end_s=segment.end_s,
                    segments=[item],
                )
            )
    audit.record(
        session, request, user, action="transcript_view", object_type="transcript", object_id=transcript_id
    )
    session.commit()
    return TranscriptView(
        id=transcript.id,
        recording_id=transcript.recording_id,
        language=transcript.language,
        model=transcript.model,  # where the text came from: a Vosk model, or an imported script
        duration_s=transcript.audio_duration_s,
        topic=transcript.topic,
        abusive=transcript.abusive,
        redacted=mask.active,
        call=None
        if call is None
        else TranscriptCall(
            id=call.id,
            pbx=call.pbx,
            started_at=call.started_at.isoformat(),
            queue=call.queue,
            agent=call.agent,
            caller_number=mask.number(call.caller_number),
        ),
        turns=turns,
        highlights=[
            Highlight(
                keyword=hit.keyword,
                kind=hit.kind.value,
                topic=hit.topic,
                speaker=hit.speaker.value,
                segment_id=hit.segment_id,
                start_s=hit.start_s,
                end_s=hit.end_s,
            )
            for hit in hits
        ],
    )
