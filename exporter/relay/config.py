"""The `relay` section of config.yaml.

Secrets (bearer token, bot token, Discord webhook URL) are `SecretStr` so they never show up in reprs or
logs; the root loader expands `${ENV_VAR}` before these models see the values.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class RateWindow(_Strict):
    """At most `messages` sends in any sliding window of `period_seconds`."""

    messages: int = Field(gt=0)
    period_seconds: float = Field(gt=0)


class RetryConfig(_Strict):
    """Bounded retries of one message; after the last attempt the message is kept and tried again later."""

    attempts: int = Field(default=4, ge=1, description="Attempts per delivery round.")
    initial_backoff_seconds: float = Field(default=1.0, gt=0)
    max_backoff_seconds: float = Field(default=30.0, gt=0)
    max_retry_after_seconds: float = Field(
        default=300.0,
        gt=0,
        description="Cap on a platform-requested pause (429 retry_after) of the channel; a longer request "
        "is honoured only up to this, so one answer cannot silence a channel.",
    )
    hold_seconds: float = Field(
        default=60.0, gt=0, description="Pause before the next round once a round's attempts are spent."
    )
    request_timeout_seconds: float = Field(default=15.0, gt=0)


# Telegram's published limits: about 1 message per second per chat, 20 per minute in a group.
TELEGRAM_DEFAULT_PACING = (
    RateWindow(messages=1, period_seconds=1.0),
    RateWindow(messages=20, period_seconds=60.0),
)
# Discord webhooks: 5 requests per 2 s per webhook and 30 messages per minute per channel.
DISCORD_DEFAULT_PACING = (
    RateWindow(messages=5, period_seconds=2.0),
    RateWindow(messages=30, period_seconds=60.0),
)


class TelegramConfig(_Strict):
    api_url: HttpUrl = HttpUrl("https://api.telegram.org")
    bot_token: SecretStr
    chat_id: int | str = Field(description="Numeric chat id (negative for groups) or @channelusername.")
    disable_notification: bool = False
    pacing: tuple[RateWindow, ...] = TELEGRAM_DEFAULT_PACING
    max_messages_per_notification: int = Field(default=3, ge=1)

    @field_validator("chat_id")
    @classmethod
    def _chat_shape(cls, value: int | str) -> int | str:
        if isinstance(value, int):
            return value
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        if text.startswith("@") and len(text) > 1:
            return text
        raise ValueError("must be a numeric chat id (negative for groups) or @channelusername")

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if ":" not in value.get_secret_value():
            raise ValueError("must look like <bot id>:<secret> as issued by @BotFather")
        return value


class DiscordConfig(_Strict):
    webhook_url: SecretStr
    pacing: tuple[RateWindow, ...] = DISCORD_DEFAULT_PACING
    max_messages_per_notification: int = Field(default=3, ge=1)
    username: str | None = None

    @field_validator("webhook_url")
    @classmethod
    def _url_shape(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        if not raw.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL (https://discord.com/api/webhooks/<id>/<token>)")
        return value


class RelayConfig(_Strict):
    queue_path: str = Field(default="relay-queue.sqlite3", min_length=1)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    bearer_token: SecretStr | None = Field(
        default=None,
        description="Required by the relay command; Alertmanager sends it as Bearer credentials.",
    )
    grafana_base_url: HttpUrl | None = None
    dedup_window_seconds: float = Field(
        default=900.0,
        ge=0,
        description="A webhook identical to the last one accepted for its group within this window is a "
        "redelivery and is not sent again. Keep Alertmanager's repeat_interval longer than this.",
    )
    retry: RetryConfig = RetryConfig()
    late_after_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="A message sent more than this long after its webhook was accepted is marked LATE.",
    )
    max_queue_messages: int = Field(
        default=10_000,
        ge=1,
        description="Waiting messages per channel; beyond this a webhook is answered 503 (queue_full).",
    )
    request_read_timeout_seconds: float = Field(
        default=10.0, gt=0, description="A webhook body not received within this gets 408."
    )
    telegram: TelegramConfig | None = None
    discord: DiscordConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _empty_secret_means_not_configured(cls, data: Any) -> Any:
        """`${HL_TELEGRAM_BOT_TOKEN:-}` left unset turns the channel off instead of failing.

        One config.yaml serves every command; the exporter must start where no chat secrets exist.
        """
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if data.get("bearer_token") == "":
            data["bearer_token"] = None
        for channel, secret in (("telegram", "bot_token"), ("discord", "webhook_url")):
            section = data.get(channel)
            if isinstance(section, dict) and section.get(secret) == "":
                data[channel] = None
        return data
