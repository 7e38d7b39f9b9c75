"""`l2Book` of the coins that matter, streamed: one subscription per coin on a connection of its own.

The book-depth poller picks the coins (coins_that_matter: configured, held by HLP or a watched account,
the thinnest markets for their open interest). This feed subscribes those coins when its connection
opens; when the set changes (a new holding, open interest moving elsewhere) the connection is renewed
so that the next one subscribes what matters now. Each push holds the whole book as `l2Book` answers
over REST (`{coin, time, levels}`), so its depth is read the same way (exporter/hyperliquid/book.py).
While a coin's pushed book is recent, the poller publishes it and asks no `l2Book` over REST for that
coin; the others (the connection down, a coin not yet pushed) are polled as before. These
subscriptions are not user-specific: they use none of the 10-user quota.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

from exporter.hyperliquid.book import L2_BOOK, Depth, parse_depth
from exporter.hyperliquid.fields import JsonObject
from exporter.streaming.connection import Feed, StreamConnection
from exporter.streaming.stats import FeedStats, StreamStats

FEED_BOOKS = "books"
# How often the poller's choice of coins is compared with what the connection subscribed.
COIN_CHECK_SECONDS = 5.0
WAIT_FOR_COINS_SECONDS = 0.5


def subscription(coin: str) -> dict[str, Any]:
    return {"type": L2_BOOK, "coin": coin}


class BookFeed:
    name = FEED_BOOKS
    channels = frozenset({L2_BOOK})

    def __init__(
        self,
        wanted: Callable[[], Sequence[str]],
        stats: StreamStats,
        max_subscriptions: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._wanted = wanted
        self.stats: FeedStats = stats.feed(self.name)
        self.max_subscriptions = max_subscriptions
        self._monotonic = monotonic
        self.connection: StreamConnection | None = None
        self.subscribed: tuple[str, ...] = ()
        # coin -> (when pushed, its depth; None: the venue has no book for it)
        self._books: dict[str, tuple[float, Depth | None]] = {}
        self._session = False

    # -- what the book-depth poller sees ----------------------------------------------------
    def book(self, coin: str, max_age: float) -> tuple[bool, Depth | None]:
        """(True, depth) when this session pushed `coin`'s book within `max_age` seconds."""
        pushed = self._books.get(coin)
        if not self._session or pushed is None or self._monotonic() - pushed[0] > max_age:
            return False, None
        return True, pushed[1]

    # -- the connection's side --------------------------------------------------------------
    def _choose(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self._wanted()))[: self.max_subscriptions]

    async def subscriptions(self) -> list[tuple[Feed, dict[str, Any]]]:
        # Until the market poller's first answer there are no coins to choose from: wait for them
        # rather than open a connection with nothing to subscribe. (Polled: the choice draws on market
        # sizes and several pollers' holdings, which signal no event.)
        while not self._choose():  # noqa: ASYNC110
            await asyncio.sleep(WAIT_FOR_COINS_SECONDS)
        self.subscribed = self._choose()
        self.stats.planned_subscriptions = len(self.subscribed)
        return [(self, subscription(coin)) for coin in self.subscribed]

    async def follow_coins(self, interval: float = COIN_CHECK_SECONDS) -> None:
        """Renew the open connection whenever the coins that matter are no longer the ones subscribed
        (a connection not open yet subscribes what is chosen when it opens)."""
        while True:
            await asyncio.sleep(interval)
            connection = self.connection
            if connection is not None and self._session and set(self._choose()) != set(self.subscribed):
                await connection.renew("the coins whose depth matters changed")

    def handle(self, channel: str, data: Any) -> None:
        body = JsonObject(data, channel)
        coin = body.text("coin")
        if coin not in self.subscribed:
            return
        self._books[coin] = (self._monotonic(), parse_depth(data))
        self.stats.live = True

    def session_started(self) -> None:
        self._session = False
        self.stats.live = False

    async def session_subscribed(self) -> None:
        self._session = True
        self.stats.acknowledged = len(self.subscribed)

    def session_ended(self) -> None:
        self._session = False
        self.stats.live = False
        self._books.clear()
