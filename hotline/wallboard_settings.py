"""Wallboard settings: alert thresholds per queue and the read-only TV screens' tokens."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, field_validator


class Thresholds(BaseModel):
    """A queue card turns amber, then red, when a value crosses these; None switches a check off."""

    longest_wait_amber_s: float | None = Field(default=60.0, gt=0)
    longest_wait_red_s: float | None = Field(default=120.0, gt=0)
    waiting_amber: int | None = Field(default=5, ge=1)
    waiting_red: int | None = Field(default=10, ge=1)
    # Service level today (answered within the queue's threshold / answered), in %.
    sl_below_amber_pct: float | None = Field(default=80.0, ge=0, le=100)
    sl_below_red_pct: float | None = Field(default=60.0, ge=0, le=100)
    # Too few answered calls make the day's SL noise (2 of 3 is 67%): below this count no SL alert.
    sl_min_answered: int = Field(default=10, ge=1)


class WallboardSettings(BaseModel):
    thresholds: Thresholds = Field(default_factory=Thresholds)
    thresholds_by_queue: dict[str, Thresholds] = Field(default_factory=dict)
    # Read-only wall screens: name -> token; open /tv?token=... once, the screen keeps a cookie.
    tv_tokens: dict[str, SecretStr] = Field(default_factory=dict)
    alert_sound: bool = Field(default=True, description="the board beeps when a card turns red")

    @field_validator("tv_tokens")
    @classmethod
    def _long_tokens(cls, tokens: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, token in tokens.items():
            if len(token.get_secret_value()) < 20:
                raise ValueError(f"wallboard.tv_tokens.{name}: use a random token of 20 characters or more")
        return tokens

    def thresholds_for(self, queue: str) -> Thresholds:
        return self.thresholds_by_queue.get(queue, self.thresholds)
