"""The API's outer edge, before any route runs: bodies are bounded and need credentials, headers added.

Plain ASGI, so that a too-large or anonymous body is refused before a byte of it is read or parsed:
- a body from nobody signed in is refused with 401 unless it is a login form or the citizens' status
  check (`PUBLIC_BODY_PATHS`; both small forms, still bounded by the anonymous size limit);
- a declared Content-Length above the caller's limit is 413 at once, and a chunked body is counted
  as it arrives and cut off with 413 when it passes the limit;
- a NUL character anywhere in the query string is 422 (no column can store it; PostgreSQL refuses);
- every response says `X-Content-Type-Options: nosniff`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import unquote_to_bytes

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import NotAuthenticated, authenticate_async
from hotline.settings import ApiSettings

PUBLIC_BODY_PATHS = frozenset({"/login", "/api/login", "/public/status"})

AnonymousHandler = Callable[[Request, Exception], Awaitable[Response]]


class EdgeGuard:
    def __init__(self, app: ASGIApp, *, limits: ApiSettings, anonymous: AnonymousHandler) -> None:
        self.app = app
        self.limits = limits
        self.anonymous = anonymous

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        if b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
            await JSONResponse({"detail": "NUL character in the query"}, 422)(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared_text = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        try:
            declared = int(declared_text) if declared_text is not None else None
        except ValueError:
            await JSONResponse({"detail": "bad Content-Length"}, 400)(scope, receive, send)
            return
        if not chunked and not declared:
            await self.app(scope, receive, send)  # no body: nothing to bound
            return
        request = Request(scope)
        # Cached in the request's state: the route's own guard does not ask again.
        principal = await authenticate_async(request)
        if principal is None and scope["path"] not in PUBLIC_BODY_PATHS:
            response = await self.anonymous(request, NotAuthenticated())
            response.headers["Connection"] = "close"  # the unread body must not be taken for a request
            await response(scope, receive, send)
            return
        limit = self.limits.max_body_bytes if principal else self.limits.max_anonymous_body_bytes
        if declared is not None and declared > limit:
            await _too_large(limit)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI lets an HTTPException from reading the body through to its handler.
                    raise HTTPException(413, f"request body larger than {limit} bytes")
            return message

        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except HTTPException as exc:
            if exc.status_code != 413 or started:
                raise
            await _too_large(limit)(scope, receive, send)


def _too_large(limit: int) -> Response:
    return JSONResponse(
        {"detail": f"request body larger than {limit} bytes"}, 413, headers={"Connection": "close"}
    )


def _with_security_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers.setdefault("X-Content-Type-Options", "nosniff")
        await send(message)

    return sending
