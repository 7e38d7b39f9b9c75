"""Telegram delivery through python-telegram-bot, with its errors mapped to retry decisions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from exporter.relay.config import TelegramConfig
from exporter.relay.errors import DeliveryError


class TelegramSender:
    def __init__(self, config: TelegramConfig, timeout_seconds: float) -> None:
        self._chat_id = config.chat_id
        self._disable_notification = config.disable_notification
        self._request = HTTPXRequest(
            connection_pool_size=2,
            connect_timeout=timeout_seconds,
            read_timeout=timeout_seconds,
            write_timeout=timeout_seconds,
            pool_timeout=timeout_seconds,
        )
        # getMe (Bot.initialize) is never called: sendMessage works without it, and PTB would put the token
        # in the InvalidToken message.
        self._bot = Bot(
            token=config.bot_token.get_secret_value(),
            base_url=str(config.api_url).rstrip("/") + "/bot",
            request=self._request,
            get_updates_request=self._request,
        )

    async def send(self, body: dict[str, Any]) -> None:
        try:
            await self._bot.send_message(
                chat_id=self._chat_id,
                text=body["text"],
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                disable_notification=self._disable_notification,
            )
        except TelegramError as exc:
            raise classify_telegram_error(exc) from exc

    async def close(self) -> None:
        await self._request.shutdown()


def classify_telegram_error(exc: TelegramError) -> DeliveryError:
    # Order matters: BadRequest and TimedOut are subclasses of NetworkError.
    if isinstance(exc, RetryAfter):
        delay = exc.retry_after
        seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
        return DeliveryError("rate_limited", "Telegram asked to retry later", retry_after=seconds)
    if isinstance(exc, BadRequest):
        return DeliveryError("rejected", f"Telegram refused the message: {exc.message}", permanent=True)
    if isinstance(exc, Forbidden | InvalidToken | ChatMigrated | Conflict):
        # Configuration problems (token, chat, bot kicked): keep the messages until the operator fixes them.
        return DeliveryError("unauthorized", f"Telegram refused the bot or chat: {type(exc).__name__}")
    if isinstance(exc, TimedOut):
        return DeliveryError("timeout", "Telegram did not answer in time")
    if isinstance(exc, NetworkError) and exc.message.startswith("httpx."):
        return DeliveryError("network", exc.message)
    return DeliveryError("server_error", f"Telegram error: {exc.message}")
