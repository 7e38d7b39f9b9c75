"""The `streaming` section of config.yaml: which feeds to subscribe to, within Hyperliquid's per-IP limits.

Hyperliquid allows per IP: 10 WebSocket connections, 30 new connections a minute, 1000
subscriptions and 10 unique users across user-specific subscriptions. The limits below default to
those figures; lower them when other processes share the IP.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

MarketContextsChannel = Literal["assetCtxs", "activeAssetCtx", "off"]
AccountStateChannel = Literal["clearinghouseState"]
RETIRED_KEYS = {
    "ping_after_silence_seconds": "replaced by ping_interval_seconds: pings now go out on a fixed "
    "interval, as the official SDK's do (every 50 s), whatever the traffic",
}


def _ws_url(value: str) -> str:
    if not re.match(r"^wss?://[^/\s]+", value):
        raise ValueError("expected a ws:// or wss:// URL")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Positive = Annotated[float, Field(gt=0)]


class ReconciliationConfig(_Strict):
    """REST intervals while the feed that covers a poller is up (the configured collector intervals
    apply while it is down)."""

    market_interval_seconds: Positive = 60.0
    accounts_interval_seconds: Positive = 60.0
    fills_interval_seconds: Positive = 300.0
    # metaAndAssetCtxs of a builder dex whose assetCtxs stream is live (stretched with the dexes' plan).
    dex_contexts_interval_seconds: Positive = 300.0


class StreamingConfig(_Strict):
    enabled: bool = True
    # Default: the info API's host with wss:// (ws:// for http://) and path /ws.
    ws_url: Annotated[str, AfterValidator(_ws_url)] | None = None
    # assetCtxs: one subscription for every perp's context; activeAssetCtx: one per listed coin.
    market_contexts: MarketContextsChannel = "assetCtxs"
    # assetCtxs of every covered builder dex (HIP-3), one subscription each, on a connection of their own.
    dex_contexts: bool = True
    # l2Book of the coins whose depth matters (collectors.market.book_depth), one subscription each, on a
    # connection of their own; a coin not pushed recently is read over REST as without streams.
    book_depth: bool = True
    # userFills of the liquidators (and of watched accounts while the user quota lasts).
    fills: bool = True
    # Account state pushes of the same users (clearinghouseState; webData2 is refused by the live
    # server since mid-2026 and no longer offered).
    account_state: bool = True
    account_state_channel: AccountStateChannel = "clearinghouseState"
    # Give the user quota left after the liquidators to watched accounts, in config order.
    watched_accounts: bool = True
    # Hyperliquid drops a connection silent for 60 s: a ping goes out this often, whatever the traffic.
    ping_interval_seconds: Annotated[float, Field(gt=0, lt=60)] = 50.0
    # No frame at all this long after a ping: the connection is stalled and replaced.
    pong_timeout_seconds: Positive = 10.0
    connect_timeout_seconds: Positive = 10.0
    reconnect_initial_backoff_seconds: Positive = 0.5
    reconnect_max_backoff_seconds: Positive = 60.0
    # Pushed updates are rendered into /metrics at most this often (coalescing bursts).
    publish_interval_seconds: Annotated[float, Field(gt=0, le=1)] = 0.25
    # Pages of userFillsByTime per account when backfilling after a (re)connect.
    backfill_max_pages: Annotated[int, Field(gt=0)] = 5
    max_users: Annotated[int, Field(ge=0, le=10)] = 10
    max_subscriptions: Annotated[int, Field(gt=0, le=1000)] = 1000
    max_connections: Annotated[int, Field(ge=2, le=10)] = 10
    max_new_connections_per_minute: Annotated[int, Field(gt=0, le=30)] = 30
    reconciliation: ReconciliationConfig = Field(default_factory=ReconciliationConfig)

    @model_validator(mode="before")
    @classmethod
    def _retired(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, why in RETIRED_KEYS.items():
                if key in data:
                    raise ValueError(f"{key} is no longer a setting: {why}")
            if data.get("account_state_channel") == "webData2":
                raise ValueError(
                    "account_state_channel: webData2 is no longer offered (the live server has refused "
                    "it since mid-2026); use clearinghouseState, or set account_state: false"
                )
        return data

    @model_validator(mode="after")
    def _backoff_order(self) -> Self:
        if self.reconnect_max_backoff_seconds < self.reconnect_initial_backoff_seconds:
            raise ValueError(
                "reconnect_max_backoff_seconds must not be below reconnect_initial_backoff_seconds"
            )
        return self

    def url(self, api_url: str) -> str:
        if self.ws_url is not None:
            return self.ws_url
        parts = urlsplit(api_url)
        # netloc without any user:password@: credentials for the info API are not the WebSocket host's.
        host = parts.netloc.rpartition("@")[2]
        return f"{'wss' if parts.scheme == 'https' else 'ws'}://{host}/ws"
