"""Discord delivery through discord-webhook, checking every answer ourselves.

The library's own 429 handling is unusable for a relay: `rate_limit_retry` raises when a 429 lacks a `Via`
header, crashes with AttributeError when a retry gets a 400, and never gives up; and `execute()` json-decodes
every body, so an HTML error page raises. So the library builds the request (`json`, `api_post_request`) and
this module reads the status, `retry_after` and `Retry-After` itself.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import httpx
from discord_webhook import AsyncDiscordWebhook, DiscordEmbed

from exporter.relay.config import DiscordConfig
from exporter.relay.errors import DeliveryError

_UNSUPPORTED_STATUSES = {401: "unauthorized", 403: "unauthorized", 404: "unauthorized"}


class DiscordSender:
    def __init__(self, config: DiscordConfig, timeout_seconds: float) -> None:
        self._url = config.webhook_url.get_secret_value()
        self._username = config.username
        self._timeout = timeout_seconds

    async def send(self, body: dict[str, Any]) -> None:
        webhook = AsyncDiscordWebhook(
            url=self._url,
            content=body.get("content") or None,
            username=self._username,
            rate_limit_retry=False,
            timeout=self._timeout,
            allowed_mentions={"parse": []},
        )
        for embed in body.get("embeds", []):
            webhook.add_embed(_embed(embed))
        try:
            response: httpx.Response = await webhook.api_post_request()
        except httpx.TimeoutException as exc:
            raise DeliveryError("timeout", "Discord did not answer in time") from exc
        except httpx.TransportError as exc:
            raise DeliveryError("network", f"{type(exc).__name__} talking to Discord") from exc
        raise_for_discord_status(response)

    async def close(self) -> None:
        """Nothing to release: the library opens one client per request."""


def raise_for_discord_status(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 429:
        raise DeliveryError("rate_limited", "Discord rate limit", retry_after=discord_retry_after(response))
    if status in _UNSUPPORTED_STATUSES:
        # Wrong or deleted webhook: keep the messages until the operator fixes the URL.
        raise DeliveryError("unauthorized", f"Discord answered {status} for the webhook")
    if status >= 500:
        raise DeliveryError("server_error", f"Discord answered {status}")
    raise DeliveryError("rejected", f"Discord answered {status}: {response.text[:300]}", permanent=True)


def discord_retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait, from the JSON `retry_after` (float) or the `Retry-After` header; the larger wins."""
    candidates = []
    try:
        document = json.loads(response.content)
        if isinstance(document, dict) and isinstance(document.get("retry_after"), int | float):
            candidates.append(float(document["retry_after"]))
    except (json.JSONDecodeError, UnicodeDecodeError):
        pass
    header = response.headers.get("Retry-After")
    if header:
        with contextlib.suppress(ValueError):
            candidates.append(float(header))
    return max(candidates) if candidates else None


def _embed(data: dict[str, Any]) -> DiscordEmbed:
    embed = DiscordEmbed(
        title=data.get("title"), description=data.get("description"), color=data.get("color")
    )
    if data.get("url"):
        embed.set_url(data["url"])
    if data.get("timestamp"):
        embed.set_timestamp(data["timestamp"])
    for field in data.get("fields", []):
        embed.add_embed_field(name=field["name"], value=field["value"], inline=field.get("inline", True))
    return embed
