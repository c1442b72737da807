"""Bad input never stops the stream: fuzzed frames, bad bytes, unknown events; order is kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from panoramisk.message import Message
from sqlalchemy import Engine, select

from ami_listener.capture import load_capture
from ami_listener.connection import AmiConnection
from ami_listener.events import headers_of
from ami_listener.framing import FrameSplitter
from ami_listener.processor import Processor
from ami_listener.runner import replay_settings
from ami_listener.service import AmiService
from hotline import db
from hotline.models import Call, CallOutcome, Pbx
from tests.ami.frames import live_path
from tests.ami.support import capture_path, lab_settings

RECORDED = load_capture(capture_path("ivr_to_agent"))
FRAMES = [m.data for m in RECORDED.messages]
# Fuzzed: the lab capture's frames and a real Asterisk 22 queue timeout's (abandon before leave).
FUZZ_FRAMES = FRAMES + [
    m.data for m in load_capture(live_path("queue_timeout")).messages if m.kind == "event"
]
AT = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def _run(processor: Processor, splitter: FrameSplitter, chunks: list[bytes]) -> None:
    for chunk in chunks:
        for frame in splitter.feed(chunk):
            if not frame.valid_utf8:
                processor.bad_frame("not UTF-8", frame.text)
            message = Message.from_line(frame.text)
            if message is None:
                processor.bad_frame("no Event/Response", frame.text)
                continue
            processor.handle(headers_of(message), AT)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(FUZZ_FRAMES) - 1),  # which recorded frame
            st.integers(0, 4000),  # where to damage it
            st.binary(max_size=6),  # what to put there
            st.integers(0, 3),  # how: replace, insert, truncate, keep
        ),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 700),
)
def test_mutated_and_truncated_frames_never_crash(
    edits: list[tuple[int, int, bytes, int]], chunk_size: int
) -> None:
    stream = bytearray(RECORDED.banner)
    for index, position, payload, how in edits:
        frame = bytearray(FUZZ_FRAMES[index])
        cut = min(position, len(frame))
        if how == 0:
            frame[cut : cut + len(payload)] = payload
        elif how == 1:
            frame[cut:cut] = payload
        elif how == 2:
            del frame[cut:]
            frame += b"\r\n\r\n"
        stream += frame
    processor = Processor("lab", topic_variables=("TOPIC",))
    splitter = FrameSplitter()
    data = bytes(stream)
    _run(processor, splitter, [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)])
    processor.state.take_changes()
    processor.state.view(connected=True, at=AT)
    # Damaged input is a parse error at worst; the state machine itself must never fail on it.
    assert processor.state_errors_total == 0


def test_cyrillic_split_across_reads_is_not_lost() -> None:
    """panoramisk alone drops a UTF-8 character cut by a TCP read; our framing keeps it."""
    join = next(m.data for m in RECORDED.messages if m.name == "QueueCallerJoin")
    split_at = join.index("Соколов".encode()) + 3  # inside a two-byte letter
    splitter = FrameSplitter()
    frames = splitter.feed(RECORDED.banner + join[:split_at]) + splitter.feed(join[split_at:])
    (frame,) = frames
    assert frame.valid_utf8
    assert "CallerIDName: Алексей Соколов" in frame.text


async def test_events_in_one_read_are_dispatched_in_order() -> None:
    received: list[str] = []
    connection = AmiConnection(
        on_message=lambda m: received.append(m.get("Event") or m.get("Response")),
        on_frame_error=lambda reason, sample: None,
        on_lost=lambda exc: None,
        loop=asyncio.get_running_loop(),
    )
    protocol = connection.config["protocol_factory"]()

    class _Transport:
        def write(self, data: bytes) -> None:
            pass

        def close(self) -> None:
            pass

    protocol.connection_made(_Transport())
    protocol.factory = connection
    protocol.data_received(RECORDED.banner + b"".join(FRAMES))  # one socket read
    # Every event, in capture order (responses to the capture client's own actions are not events).
    assert received == [m.name for m in RECORDED.messages if m.kind == "event"]


async def test_bad_frames_over_tcp_are_counted_and_the_call_still_recorded(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    join_index = next(i for i, m in enumerate(RECORDED.messages) if m.name == "QueueCallerJoin")
    damaged = list(FRAMES)
    damaged[join_index] = damaged[join_index].replace("Соколов".encode(), b"\xff\xfe\xfd")
    damaged.insert(join_index + 1, b"this line has no colon\r\nnor does this\r\n\r\n")
    damaged.insert(join_index + 2, b"Event: FrobnicateTheCall\r\nPrivilege: call,all\r\n\r\n")
    damaged.insert(join_index + 3, b"Event: AgentConnect\r\nQueue: passes\r\n\r\n")  # fields missing
    stream = RECORDED.banner
    done = asyncio.Event()

    async def pbx(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(stream)
        login = await reader.readuntil(b"\r\n\r\n")
        action_id = next(
            line.split(b": ", 1)[1] for line in login.split(b"\r\n") if line.startswith(b"ActionID")
        )
        writer.write(RECORDED.login_response.replace(RECORDED.login_action_id.encode(), action_id))
        writer.write(b"".join(damaged))
        await writer.drain()
        writer.write_eof()
        await reader.read()
        writer.close()
        done.set()

    server = await asyncio.start_server(pbx, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    factory = db.make_session_factory(sqlite_engine)
    service = AmiService(
        replay_settings(lab_settings(str(sqlite_engine.url), tmp_path), "lab", port), factory
    )
    run = asyncio.create_task(service.run())
    await asyncio.wait_for(done.wait(), 10)
    await service.stop()
    await run
    server.close()
    await server.wait_closed()
    processor = service.links[0].processor
    assert processor.parse_errors_total == 3  # bad bytes, no header, missing fields
    assert processor.unknown_events_total == 1
    with factory() as session:
        (call,) = session.scalars(select(Call)).all()
        pbx_row = session.scalars(select(Pbx)).one()
    assert call.outcome is CallOutcome.ANSWERED
    assert call.agent == "Анна Смирнова"
    assert call.ended_at is not None
    assert pbx_row.parse_errors_total == 3
