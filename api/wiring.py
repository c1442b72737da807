"""What one API process is built from (made once by `create_app`, kept in `app.state.wiring`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

from hotline.settings import Settings

if TYPE_CHECKING:
    from fastapi.templating import Jinja2Templates
    from itsdangerous import URLSafeTimedSerializer

    from api.auth import PrincipalCache
    from api.live_hub import LiveHub
    from api.ratelimit import LoginThrottle
    from api.topics import TopicNames


@dataclass
class Wiring:
    settings: Settings
    session_factory: sessionmaker[Session]
    engine: Engine
    hub: LiveHub
    throttle: LoginThrottle
    templates: Jinja2Templates
    signer: URLSafeTimedSerializer
    principals: PrincipalCache
    topics: TopicNames


def wiring_of(connection: HTTPConnection) -> Wiring:
    wiring: Wiring = connection.app.state.wiring
    return wiring
