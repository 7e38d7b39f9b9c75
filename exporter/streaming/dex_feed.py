"""`assetCtxs` of every covered builder dex (HIP-3): one subscription per dex, on a connection of its own.

The dexes poller discovers the dexes (`perpDexs`) and tells this feed which to follow: a new dex is
subscribed at once on the open connection, a withdrawn one unsubscribed and its pushes ignored from
then on. Pushed contexts are read against the dex's last REST `meta` and stored in the poller's own
state, so /metrics shows them through the poller's families. A dex is live (streamed) from its first
readable push on the current connection until the connection ends; while it is not, the poller polls
its contexts on the REST schedule and `hyperliquid_stream_rest_fallback{poller="dexes"}` is 1.
These subscriptions are not user-specific: they use none of the 10-user quota. A push that shows a
market's open interest fall to zero re-reads that dex's universe at once (a delisting).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from exporter.collectors.dexes import DexesPoller
from exporter.hyperliquid.fields import JsonObject, as_list
from exporter.streaming.connection import Feed, StreamConnection
from exporter.streaming.plan import FEED_DEX_CONTEXTS
from exporter.streaming.stats import FeedStats, StreamStats
from exporter.streaming.universe_rereads import UniverseRereads, any_emptied

log = logging.getLogger(__name__)

ASSET_CTXS = "assetCtxs"


def subscription(dex: str) -> dict[str, Any]:
    return {"type": ASSET_CTXS, "dex": dex}


class DexContextsFeed:
    name = FEED_DEX_CONTEXTS
    channels = frozenset({ASSET_CTXS})

    def __init__(
        self,
        poller: DexesPoller,
        stats: StreamStats,
        on_change: Callable[[], None],
        max_subscriptions: int,
    ) -> None:
        self._poller = poller
        self.stats: FeedStats = stats.feed(self.name)
        self._fallback = stats.rest_fallback
        self._on_change = on_change
        self.max_subscriptions = max_subscriptions
        self.connection: StreamConnection | None = None
        self.wanted: tuple[str, ...] = ()
        self._wanted_changed = asyncio.Event()
        self._prepared: tuple[str, ...] = ()
        self.subscribed: set[str] = set()  # subscribe sent on the current connection
        self.acknowledged: set[str] = set()
        self.pushed: set[str] = set()  # a readable push on the current connection
        self.session = False
        self._last_pushed: dict[str, list[Any]] = {}
        self.rereads = UniverseRereads()
        self._update()

    # -- what the dexes poller sees ---------------------------------------------------------
    def live(self, dex: str) -> bool:
        return self.session and dex in self.pushed and dex in self.wanted

    async def follow(self, dexes: Sequence[str]) -> None:
        wanted = tuple(dexes)[: self.max_subscriptions]
        if len(dexes) > len(wanted):
            log.warning(
                "%d builder dexes, %d assetCtxs subscriptions allowed: the rest are polled over REST",
                len(dexes),
                len(wanted),
            )
        self.wanted = wanted
        self.stats.planned_subscriptions = len(wanted)
        self._wanted_changed.set()
        await self._reconcile()
        self._update()

    # -- the connection's side --------------------------------------------------------------
    async def subscriptions(self) -> list[tuple[Feed, dict[str, Any]]]:
        """What to subscribe on a new connection: waits until there is a dex to follow."""
        while not self.wanted:
            self._wanted_changed.clear()
            await self._wanted_changed.wait()
        self._prepared = self.wanted
        return [(self, subscription(dex)) for dex in self._prepared]

    async def _reconcile(self) -> None:
        """Bring the open connection's subscriptions to `wanted`."""
        connection = self.connection
        if not self.session or connection is None:
            return
        for dex in [d for d in self.wanted if d not in self.subscribed]:
            if await connection.send({"method": "subscribe", "subscription": subscription(dex)}):
                self.subscribed.add(dex)
                log.info("dex %s: assetCtxs subscribed", dex)
        for dex in [d for d in self.subscribed if d not in self.wanted]:
            self.subscribed.discard(dex)
            self.pushed.discard(dex)
            if await connection.send({"method": "unsubscribe", "subscription": subscription(dex)}):
                log.info("dex %s: assetCtxs unsubscribed", dex)

    def acknowledged_later(self, data: Any) -> None:
        if not isinstance(data, dict) or not isinstance(data.get("subscription"), dict):
            return
        sub = data["subscription"]
        dex = sub.get("dex")
        if sub.get("type") != ASSET_CTXS or not isinstance(dex, str):
            return
        if data.get("method") == "unsubscribe":
            self.acknowledged.discard(dex)
        else:
            self.acknowledged.add(dex)
        self.stats.acknowledged = len(self.acknowledged)

    def handle(self, channel: str, data: Any) -> None:
        body = JsonObject(data, channel)
        dex = body.optional_text("dex") or ""
        if dex not in self.subscribed:
            return  # the first dex's feed, or a dex unsubscribed since
        ctxs = as_list(data["ctxs"], channel, "$.ctxs")
        if any_emptied(self._last_pushed.get(dex, []), ctxs):
            self.rereads.start(dex, lambda: self._poller.reread_universe(dex), self._reread_done)
        self._last_pushed[dex] = ctxs
        if self._poller.accept_pushed_contexts(dex, ctxs):
            newly = dex not in self.pushed
            self.pushed.add(dex)
            if self.session:
                self._on_change()
            if newly:
                self._update()
        elif dex in self.pushed:
            self.pushed.discard(dex)
            self._update()

    def _reread_done(self) -> None:
        if self.session:
            self._on_change()

    def session_started(self) -> None:
        self.session = False
        self._last_pushed.clear()
        self.subscribed = set(self._prepared)
        self.acknowledged = set()
        self.pushed.clear()
        self._update()

    async def session_subscribed(self) -> None:
        self.acknowledged = set(self.subscribed)
        self.stats.acknowledged = len(self.acknowledged)
        self.session = True
        await self._reconcile()  # what discovery changed while connecting
        self._update()
        if self.pushed:
            self._on_change()

    def session_ended(self) -> None:
        was_live = any(self.live(dex) for dex in self.wanted)
        self.rereads.cancel()
        self.session_started()
        if was_live:
            self._on_change()  # the dexes' intervals in force changed back to REST

    def _update(self) -> None:
        live = [dex for dex in self.wanted if self.live(dex)]
        # No dex to follow is not a stream down; one dex without pushes is.
        self.stats.live = len(live) == len(self.wanted)
        self._fallback[self._poller.name] = len(live) < len(self.wanted)
