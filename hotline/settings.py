"""One settings object for every hotline process, read once at start-up and passed down.

Sources, highest priority first: explicit overrides (tests, the demo), environment variables
``HOTLINE_*`` (nested sections with ``__``, e.g. ``HOTLINE_API__PORT=8080``), the TOML file given by
``--config`` or ``HOTLINE_CONFIG``, then the defaults below.
"""

from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from hotline.errors import ConfigError
from hotline.loop_settings import (
    DEFAULT_DIALER_SECRET,
    DialerSettings,
    LookupLimits,
    RoutingSettings,
    SmsSettings,
)
from hotline.wallboard_settings import WallboardSettings

# A value that marks a secret nobody has set yet; refused outside demo mode.
DEFAULT_SECRET = "change-me"  # noqa: S105 - this is the sentinel we refuse, not a secret

log = logging.getLogger(__name__)

Language = Literal["ru", "uk", "en"]


class DatabaseSettings(BaseModel):
    url: str = Field(
        default="sqlite:///hotline.db",
        description="SQLAlchemy URL; sqlite:///FILE (embedded) or postgresql+psycopg://user@host/db",
    )
    echo: bool = False
    pool_size: int = Field(default=10, ge=1)


class PbxSettings(BaseModel):
    """One Asterisk server; Linkedid/Uniqueid are only unique within it, so every record carries `name`."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    host: str = "127.0.0.1"
    port: int = Field(default=5038, ge=1, le=65535)
    username: str = "hotline"
    secret: SecretStr = SecretStr(DEFAULT_SECRET)
    ping_interval_s: float = Field(default=10.0, gt=0)
    ping_timeout_s: float = Field(default=5.0, gt=0)
    # Address the PBX connects to FastAGI from, when it differs from `host` (NAT, several interfaces).
    agi_peer: str | None = None
    # Asterisk's own records on shared storage, read after a reconnect to recover what happened while
    # the listener was away (see asterisk_conf/README.md): queue_log and the CDR csv (usegmtime=yes).
    queue_log_path: Path | None = None
    cdr_path: Path | None = None


class AmiSettings(BaseModel):
    pbxes: list[PbxSettings] = Field(default_factory=list)
    reconnect_min_s: float = Field(default=0.5, gt=0)
    reconnect_max_s: float = Field(default=30.0, gt=0)
    batch_size: int = Field(default=500, ge=1)
    flush_interval_s: float = Field(default=0.5, gt=0)
    # Per PBX: messages waiting to be applied before the socket is no longer read (backpressure).
    queue_max_items: int = Field(default=50_000, ge=100)
    # Per PBX: unsaved rows kept while the database is down; above it the oldest are dropped (counted).
    retry_buffer_max_rows: int = Field(default=500_000, ge=1000)
    # The listener writes its heartbeat this often, also when the PBX is idle; the API calls a PBX
    # stale (not live) when the heartbeat is older than `stale_after_s`.
    heartbeat_s: float = Field(default=5.0, gt=0)
    stale_after_s: float = Field(default=20.0, gt=0)
    # Channel variables that carry the IVR topic; the lab captures use TOPIC, our dialplan HOTLINE_TOPIC.
    topic_variables: list[str] = Field(default_factory=lambda: ["HOTLINE_TOPIC", "TOPIC"])
    # Deprecated: the KPI thresholds moved to [reports]; still read (with a warning) from here.
    service_level_s: float | None = Field(
        default=None, gt=0, description="deprecated: reports.service_level_s"
    )
    service_level_by_queue: dict[str, float] | None = Field(
        default=None, description="use reports.service_level_by_queue"
    )
    short_abandon_s: float | None = Field(
        default=None, ge=0, description="deprecated: reports.short_abandon_s"
    )

    @model_validator(mode="after")
    def _backoff_order(self) -> AmiSettings:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must not be smaller than reconnect_min_s")
        return self


class ReportsSettings(BaseModel):
    # KPI thresholds: answered within this many seconds counts toward the service level.
    service_level_s: float = Field(default=20.0, gt=0)
    service_level_by_queue: dict[str, float] = Field(default_factory=dict)
    short_abandon_s: float = Field(default=5.0, ge=0)


KPI_THRESHOLDS = ("service_level_s", "service_level_by_queue", "short_abandon_s")


class AgiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=4573, ge=0, le=65535)
    allowed_peers: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    max_sessions: int = Field(default=300, ge=1)
    call_timeout_s: float = Field(default=600.0, gt=0)
    # A connection must send its whole environment block this soon, in at most this many lines; only
    # then does it take a call slot, so idle connections cannot crowd out real calls.
    handshake_timeout_s: float = Field(default=3.0, gt=0)
    max_env_lines: int = Field(default=256, ge=8)
    catalogue_path: Path | None = Field(
        default=None, description="YAML catalogue; None = the shipped default"
    )
    sounds_dir: Path = Path("sounds")
    max_menu_retries: int = Field(default=2, ge=0)
    status_lookups_per_hour: int = Field(default=10, ge=1)


class RecordingsSettings(BaseModel):
    dir: Path = Path("recordings")


class TranscriptionSettings(BaseModel):
    models_dir: Path = Path("models")
    # Model folder per language, e.g. {"ru": "models/vosk-model-small-ru-0.22"}.
    models: dict[str, Path] = Field(default_factory=dict)
    default_language: Language = "ru"
    workers: int = Field(default=1, ge=1)
    max_attempts: int = Field(default=3, ge=1)
    # A running job not finished after this long is taken to belong to a dead worker and is retried.
    stale_after_s: float = Field(default=3600.0, gt=0)
    redact_for_roles: list[str] = Field(default_factory=lambda: ["supervisor", "department"])
    # Skip silence per channel before decoding (webrtcvad mode 0-3; None decodes whole tracks).
    vad_aggressiveness: int | None = Field(default=2, ge=0, le=3)
    # Kaldi's random MFCC dither off (transcription.no_dither): the same recording always gives the same
    # words, so a call transcribed again, and the counts built on it, do not change by chance.
    dither_off: bool = True


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    session_secret: SecretStr = SecretStr(DEFAULT_SECRET)
    cookie_secure: bool = True
    # Failed logins one address may make for one user name before each further try waits (doubling).
    login_attempts_per_minute: int = Field(default=5, ge=1)
    login_backoff_max_s: float = Field(default=900.0, gt=0)
    # Failed logins one address may make over all user names per minute (password spraying).
    login_failures_per_address_per_minute: int = Field(default=30, ge=1)
    # Proxies whose X-Forwarded-For names the client; none by default (the peer address is the client).
    trusted_proxies: list[str] = Field(default_factory=list)
    # Request bodies: from a signed-in caller, and before sign-in (login forms only). Larger: 413.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_anonymous_body_bytes: int = Field(default=16 * 1024, ge=1024)
    request_answer_days: int = Field(default=45, ge=1)
    request_answer_days_by_topic: dict[str, int] = Field(default_factory=dict)
    redis_url: str | None = Field(
        default=None, description="live push fan-out and login throttle counts across API workers"
    )


class BrokerSettings(BaseModel):
    url: str | None = Field(default=None, description="Celery broker, e.g. redis://127.0.0.1:6379/0")


class Settings(BaseSettings):
    """Effective configuration of one hotline process."""

    model_config = SettingsConfigDict(
        env_prefix="HOTLINE_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    demo: bool = Field(default=False, description="demo mode: default secrets are allowed")
    timezone: str = Field(
        default="Europe/Moscow", description="local time zone for display and working hours"
    )
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    ami: AmiSettings = Field(default_factory=AmiSettings)
    agi: AgiSettings = Field(default_factory=AgiSettings)
    recordings: RecordingsSettings = Field(default_factory=RecordingsSettings)
    transcription: TranscriptionSettings = Field(default_factory=TranscriptionSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    broker: BrokerSettings = Field(default_factory=BrokerSettings)
    reports: ReportsSettings = Field(default_factory=ReportsSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    lookups: LookupLimits = Field(default_factory=LookupLimits)
    sms: SmsSettings = Field(default_factory=SmsSettings)
    dialer: DialerSettings = Field(default_factory=DialerSettings)
    wallboard: WallboardSettings = Field(default_factory=WallboardSettings)

    # Set per load (see load_settings); pydantic-settings reads it from model_config.
    _toml_file: ClassVar[Path | None] = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_file = getattr(settings_cls, "_toml_file", None)
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _kpi_thresholds_from_old_names(self) -> Settings:
        # [ami] held the KPI thresholds before [reports] existed; a value set there still counts unless
        # [reports] sets it too.
        for name in KPI_THRESHOLDS:
            old = getattr(self.ami, name)
            if old is None:
                continue
            log.warning(
                "ami.%s is deprecated; set reports.%s instead",
                name,
                name,
                extra={"setting": f"ami.{name}"},
            )
            if name not in self.reports.model_fields_set:
                setattr(self.reports, name, old)
            setattr(self.ami, name, None)
        return self

    @model_validator(mode="after")
    def _unique_pbx_names(self) -> Settings:
        names = [pbx.name for pbx in self.ami.pbxes]
        if len(names) != len(set(names)):
            raise ValueError("ami.pbxes: PBX names must be unique")
        return self

    def require_secrets(self, *parts: Literal["api", "ami", "dialer"]) -> Settings:
        """Refuse a secret still at its default, outside demo mode, for the parts this process runs:
        "api" (the session secret), "ami" (every PBX's AMI secret) and "dialer" (the dialer's own AMI
        user). Raises ConfigError."""
        if self.demo:
            return self
        if "api" in parts and self.api.session_secret.get_secret_value() == DEFAULT_SECRET:
            raise ConfigError(
                "HOTLINE_API__SESSION_SECRET (api.session_secret) still has its default value; "
                "set a long random secret"
            )
        if "ami" in parts:
            for index, pbx in enumerate(self.ami.pbxes):
                if pbx.secret.get_secret_value() == DEFAULT_SECRET:
                    raise ConfigError(
                        f"HOTLINE_AMI__PBXES ({index}) ami.pbxes[{index}].secret for PBX {pbx.name!r} "
                        "still has its default value; set the AMI secret from manager.conf"
                    )
        if "dialer" in parts and self.dialer.secret.get_secret_value() == DEFAULT_DIALER_SECRET:
            raise ConfigError(
                "HOTLINE_DIALER__SECRET (dialer.secret) still has its default value; "
                "set the secret of the dialer's AMI user (hotline-dialer) from manager.conf"
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def service_level_for(self, queue: str) -> float:
        return self.reports.service_level_by_queue.get(queue, self.reports.service_level_s)

    def dialer_pbx(self) -> PbxSettings | None:
        """The PBX the dialer originates on (dialer.pbx, None = the first of ami.pbxes)."""
        return next((p for p in self.ami.pbxes if self.dialer.pbx in (None, p.name)), None)


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Read settings once; `config` (or HOTLINE_CONFIG) names an optional TOML file.

    Raises ConfigError with the file and the field at fault.
    """
    path = config or (Path(os.environ["HOTLINE_CONFIG"]) if os.environ.get("HOTLINE_CONFIG") else None)
    if path is not None:
        _check_toml(path)
    bound = type("Settings", (Settings,), {"_toml_file": path, "__module__": __name__})
    try:
        return bound(**overrides)  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None


def _check_toml(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _describe(exc: ValidationError, path: Path | None) -> str:
    where = f"{path}: " if path is not None else "settings: "
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        problems.append(f"{field}: {error['msg']}")
    return where + "; ".join(problems)


def masked(settings: Settings) -> dict[str, Any]:
    """Effective settings as plain data with every secret (and password in a URL) masked."""
    data = settings.model_dump(mode="json")
    data["database"]["url"] = _mask_url(settings.database.url)
    if settings.api.redis_url:
        data["api"]["redis_url"] = _mask_url(settings.api.redis_url)
    if settings.broker.url:
        data["broker"]["url"] = _mask_url(settings.broker.url)
    return data


def _mask_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user, colon, _password = credentials.partition(":")
    return f"{scheme}://{user}{':**********' if colon else ''}@{host}"
