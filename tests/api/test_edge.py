"""The edge of the API: bodies are bounded and need credentials before a byte is read; headers."""

from __future__ import annotations

import json
import socket

import pytest
from fastapi import FastAPI
from starlette.types import Message

from hotline.models import Role
from tests.api.conftest import PASSWORD, RunningServer, TestClient, Users

LIMIT = 1024 * 1024  # api.max_body_bytes, the default


class Upload:
    """An ASGI request whose body comes in chunks; counts what the app really read."""

    def __init__(self, chunks: int, chunk: bytes = b"x" * 65536) -> None:
        self.left = chunks
        self.chunk = chunk
        self.read = 0
        self.messages: list[Message] = []

    async def receive(self) -> Message:
        if self.left <= 0:
            return {"type": "http.request", "body": b"", "more_body": False}
        self.left -= 1
        self.read += len(self.chunk)
        return {"type": "http.request", "body": self.chunk, "more_body": self.left > 0}

    async def send(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(next(m["status"] for m in self.messages if m["type"] == "http.response.start"))


def _scope(path: str, headers: dict[str, str]) -> dict[str, object]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def test_an_anonymous_body_is_refused_before_it_is_read(app: FastAPI, users: Users) -> None:
    upload = Upload(chunks=3200)  # 200 MB on offer
    headers = {"content-type": "application/json", "content-length": str(200 * 1024 * 1024)}
    await app(_scope("/api/requests", headers), upload.receive, upload.send)
    assert upload.status == 401
    assert upload.read == 0


async def test_a_declared_length_above_the_limit_is_413_before_reading(app: FastAPI, users: Users) -> None:
    upload = Upload(chunks=3200)
    headers = users.bearer(Role.ADMIN) | {"content-length": str(200 * 1024 * 1024)}
    await app(_scope("/api/requests", headers), upload.receive, upload.send)
    assert upload.status == 413
    assert upload.read == 0


async def test_a_chunked_body_is_counted_and_cut_off_at_the_limit(app: FastAPI, users: Users) -> None:
    upload = Upload(chunks=3200)
    headers = users.bearer(Role.ADMIN) | {"transfer-encoding": "chunked", "content-type": "application/json"}
    await app(_scope("/api/requests", headers), upload.receive, upload.send)
    assert upload.status == 413
    assert upload.read <= LIMIT + 65536


async def test_an_anonymous_chunked_login_stops_at_the_anonymous_limit(app: FastAPI, users: Users) -> None:
    upload = Upload(chunks=3200, chunk=b" " * 4096)
    headers = {"transfer-encoding": "chunked", "content-type": "application/json"}
    await app(_scope("/api/login", headers), upload.receive, upload.send)
    assert upload.status == 413
    assert upload.read <= 16 * 1024 + 4096


def test_a_normal_login_and_a_normal_body_pass(client: TestClient, users: Users) -> None:
    assert client.post("/api/login", json={"username": "admin", "password": PASSWORD}).status_code == 200
    created = client.post("/api/requests", json={"summary": "x" * 9000}, headers=users.bearer(Role.ADMIN))
    assert created.status_code == 201
    padded = json.dumps({"username": "admin", "password": PASSWORD, "pad": " " * 20_000})
    client.cookies.clear()
    too_big = client.post("/api/login", content=padded, headers={"content-type": "application/json"})
    assert too_big.status_code == 413


def _raw_request(port: int, head: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode())  # the body is never sent: the answer must not wait for it
        answer = b""
        while b"\r\n\r\n" not in answer:
            piece = sock.recv(4096)
            if not piece:
                break
            answer += piece
        return answer


@pytest.mark.slow
def test_the_real_server_answers_a_huge_upload_without_waiting_for_its_body(
    server: RunningServer, users: Users
) -> None:
    head = (
        "POST /api/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {200 * 1024 * 1024}\r\n"
    )
    assert _raw_request(server.port, head + "\r\n").startswith(b"HTTP/1.1 401")
    bearer = f"Authorization: Bearer {users.tokens[Role.ADMIN]}\r\n"
    assert _raw_request(server.port, head + bearer + "\r\n").startswith(b"HTTP/1.1 413")


def test_every_response_says_nosniff_and_the_docs_have_a_csp(client: TestClient, users: Users) -> None:
    for url in ("/health", "/api/me", "/login", "/openapi.json", "/docs", "/static/app.css", "/nowhere"):
        assert client.get(url).headers.get("x-content-type-options") == "nosniff", url
    docs = client.get("/docs")
    policy = docs.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "'sha256-" in policy
    assert "unsafe-eval" not in policy


def test_a_nul_in_the_query_is_422(client: TestClient, users: Users) -> None:
    answer = client.get("/api/calls", params={"agent": "a\x00b"}, headers=users.bearer(Role.ADMIN))
    assert answer.status_code == 422
