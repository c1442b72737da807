"""Settings of the loop the IVR opens: routing and digests, status-lookup limits, SMS, dial-back."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator

DEFAULT_DIALER_SECRET = "change-me"  # noqa: S105 - the sentinel refused outside demo mode


class MailSettings(BaseModel):
    """SMTP for the department digests and escalations (None host = mail is not sent, only shown)."""

    host: str | None = None
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "hotline@localhost"
    timeout_s: float = Field(default=10.0, gt=0)


class RoutingSettings(BaseModel):
    # How `answer_days` of a topic is counted: every calendar day, or Monday-Friday without holidays.
    answer_days_count: Literal["calendar", "working"] = "calendar"
    # Holidays skipped when counting working days (the catalogue's schedules add theirs).
    holidays: list[str] = Field(default_factory=list)
    mail: MailSettings = Field(default_factory=MailSettings)


class LookupLimits(BaseModel):
    """Unknown-number status lookups (phone and web) allowed in a sliding window."""

    window_s: float = Field(default=3600.0, gt=0)
    per_caller: int = Field(default=5, ge=1)
    # Across all callers together: when it trips, a supervisor alert is raised once per window.
    all_callers: int = Field(default=50, ge=1)


class SmsSettings(BaseModel):
    # "log" writes the message to the log only; "module:attribute" names a class taking SmsSettings.
    sender: str = "log"
    max_chars: int = Field(default=480, ge=70, le=1600)


class DialerSettings(BaseModel):
    """Dial-back through AMI Originate, with its own AMI user (originate rights, nothing else)."""

    enabled: bool = False
    pbx: str | None = Field(default=None, description="name of an ami.pbxes entry; None = the first")
    host: str | None = Field(default=None, description="None = the PBX's host")
    port: int | None = Field(default=None, ge=1, le=65535)
    username: str = "hotline-dialer"
    secret: SecretStr = SecretStr(DEFAULT_DIALER_SECRET)
    # The dialplan context that dials the citizen's number (asterisk_conf/extensions.conf).
    dial_context: str = "hotline-callback-out"
    caller_id: str = '"Hotline" <84950000000>'
    ring_timeout_s: float = Field(default=30.0, ge=5, le=120)
    queue_priority: int = Field(default=10, ge=1, le=100)
    max_attempts: int = Field(default=3, ge=1, le=10)
    # Wait before attempt 2, 3, ...; the last value repeats.
    backoff_s: list[float] = Field(default_factory=lambda: [300.0, 900.0, 1800.0], min_length=1)
    poll_s: float = Field(default=2.0, gt=0)
    # KPI: a callback counts as in time when done within this many minutes of the request.
    done_within_min: int = Field(default=60, ge=1)

    @model_validator(mode="after")
    def _positive_backoff(self) -> DialerSettings:
        if any(value < 0 for value in self.backoff_s):
            raise ValueError("backoff_s values must not be negative")
        return self
