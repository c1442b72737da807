"""The FastAPI application factory: builds everything from settings, keeps the wiring in app.state."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from api.auth import Forbidden, NotAuthenticated, PrincipalCache, make_signer
from api.deps import document_roles
from api.edge import EdgeGuard
from api.live_hub import LiveHub
from api.ratelimit import LoginThrottle
from api.render import error_page, login_page
from api.routes.tv import TvNotAllowed
from api.throttle_store import RedisOrDatabase, failure_store
from api.topics import TopicNames
from api.wiring import Wiring
from hotline.db import make_engine, make_session_factory
from hotline.settings import Settings

log = logging.getLogger(__name__)

PACKAGE = Path(str(resources.files("api")))


def create_app(
    settings: Settings,
    session_factory: sessionmaker[Session] | None = None,
    *,
    hub: LiveHub | None = None,
    auth_cache_s: float = 5.0,
) -> FastAPI:
    """The whole API of one process. The live watcher runs while the app's lifespan runs.

    `auth_cache_s`: how long a token or session is trusted without asking the database again (so a
    disabled user or revoked token stops working within that time).
    """
    settings.require_secrets("api")
    owns_engine = session_factory is None
    if session_factory is None:
        session_factory = make_session_factory(make_engine(settings.database))
    engine = session_factory.kw["bind"]
    wiring = Wiring(
        settings=settings,
        session_factory=session_factory,
        engine=engine,
        hub=hub or LiveHub(session_factory, settings),
        throttle=LoginThrottle(
            free_failures=settings.api.login_attempts_per_minute,
            backoff_max_s=settings.api.login_backoff_max_s,
            address_failures_per_minute=settings.api.login_failures_per_address_per_minute,
            store=failure_store(settings, session_factory),
        ),
        templates=Jinja2Templates(directory=PACKAGE / "templates"),
        signer=make_signer(settings.api.session_secret.get_secret_value()),
        principals=PrincipalCache(auth_cache_s),
        topics=TopicNames(settings),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await wiring.hub.start()
        try:
            yield
        finally:
            await wiring.hub.stop()
            if isinstance(wiring.throttle.store, RedisOrDatabase):
                wiring.throttle.store.close()
            if owns_engine:  # a given factory's engine belongs to whoever made it
                engine.dispose()

    app = FastAPI(
        title="hotline",
        summary="Live queues, reports, transcript search and citizen requests of the hotline.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by api.routes.docs, with a Content-Security-Policy
        redoc_url=None,
    )
    app.state.wiring = wiring
    app.mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static")

    from api.routes import (
        alerts,
        analytics,
        audit,
        callbacks,
        departments,
        desk,
        docs,
        health,
        insights,
        live,
        loop_pages,
        metrics,
        pages,
        public,
        recordings,
        reports,
        requests,
        session,
        staffing,
        tv,
        workforce,
    )

    for module in (
        health, docs, session, live, departments, requests, callbacks, alerts, recordings, audit, reports,
        analytics, desk, metrics, staffing, workforce, tv, insights, pages, loop_pages, public,
    ):  # fmt: skip
        app.include_router(module.router)
    document_roles(app)

    app.add_middleware(EdgeGuard, limits=settings.api, anonymous=_not_authenticated)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(NotAuthenticated, _not_authenticated)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(TvNotAllowed, _tv_not_allowed)
    return app


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path == "/metrics") and "text/html" in request.headers.get(
        "accept", ""
    )


def _printable(value: Any) -> Any:
    # A 422 quotes the input; an unpaired surrogate in it must not turn the answer into a 500.
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [_printable(item) for item in value]
    if isinstance(value, dict):
        return {key: _printable(item) for key, item in value.items()}
    return value


async def _invalid(_request: Request, exc: Exception) -> Response:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONResponse({"detail": _printable(jsonable_encoder(errors))}, status_code=422)


async def _not_authenticated(request: Request, _exc: Exception) -> Response:
    if _wants_html(request):
        return login_page(request, status_code=401, message_key="login_required")
    return JSONResponse(
        {"detail": "not authenticated"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
    )


async def _tv_not_allowed(request: Request, exc: Exception) -> Response:
    offered = isinstance(exc, TvNotAllowed) and exc.offered
    if _wants_html(request):
        return error_page(
            request, status_code=401, message_key="tv_token_rejected" if offered else "tv_token_required"
        )
    detail = "the TV token is not valid" if offered else "a valid TV token is required"
    return JSONResponse({"detail": detail}, status_code=401)


async def _forbidden(request: Request, exc: Exception) -> Response:
    reason = exc.reason if isinstance(exc, Forbidden) else "role"
    detail = "missing or wrong CSRF token" if reason == "csrf" else "your role does not allow this"
    if _wants_html(request):
        return error_page(request, status_code=403, message_key="forbidden")
    return JSONResponse({"detail": detail}, status_code=403)
