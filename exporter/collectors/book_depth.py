"""Order-book depth within ±1 % and ±2 % of the mid, per side, from `l2Book` (REST, weight 2 a coin) for
the coins that matter: the configured ones, the coins HLP or a watched account holds, and the markets
with the most open interest for their Hyperliquid volume (the market poller's latest sizes); the
automatic picks together stay within max_auto_coins, so the weight plan is unchanged. `impactPxs`
measures only a few tens of thousands of dollars; a build-up (JELLY, POPCAT) shows as open interest many
times the book within 2 %.

One failed coin costs only that coin's series; the failure counts in the request error metrics. Depth is
last in the weight plan and its own collector (`book_depth`, at the budget's normal priority): when the
budget is busy (a cascade's fill paging), a poll takes the coins answered within one interval (the coins
read longest ago first in the budget's queue) and keeps each other coin's last depth until it is
`max_age` old. A busy budget thins the depth out; it never fails the market collector or withdraws what
is still recent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Sequence
from typing import Protocol

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from exporter.collectors.base import Poller
from exporter.collectors.context import CollectorContext
from exporter.collectors.market import polled_help
from exporter.config import BookDepthConfig, Config
from exporter.hyperliquid.book import L2_BOOK, Depth, parse_depth
from exporter.hyperliquid.errors import ParseError, UpstreamError
from exporter.hyperliquid.weights import weight_per_minute

log = logging.getLogger(__name__)


class BookStream(Protocol):
    def book(self, coin: str, max_age: float) -> tuple[bool, Depth | None]:
        """(True, depth) when `coin`'s book was pushed within `max_age` seconds."""


COLLECTOR = "book_depth"
# The first poll takes the books answered within this long of the first one.
FIRST_POLL_GRACE_SECONDS = 0.3
# Below this much room (weight per minute) depth is not read at all.
MIN_WEIGHT_PER_MINUTE = 1.0


def coins_that_matter(
    config: BookDepthConfig, sizes: dict[str, tuple[float, float]], held: Collection[str] = ()
) -> list[str]:
    """The configured coins, then up to max_auto_coins more: first the coins HLP or a watched account
    holds, then the other markets with at least min_open_interest_usd; each group the thinnest first
    (most open interest per dollar of day volume)."""
    chosen = [coin for coin in config.coins if coin in sizes]

    def thinness(coin: str) -> tuple[float, str]:
        open_interest, volume = sizes[coin]
        return (-open_interest / max(volume, 1.0), coin)

    holdings = sorted(
        (coin for coin in held if coin in sizes and coin not in chosen and ":" not in coin), key=thinness
    )
    chosen += holdings[: config.max_auto_coins]
    room = config.max_auto_coins - min(len(holdings), config.max_auto_coins)
    candidates = sorted(
        (
            (open_interest / max(volume, 1.0), coin)
            for coin, (open_interest, volume) in sizes.items()
            if open_interest >= config.min_open_interest_usd and coin not in chosen and ":" not in coin
        ),
        reverse=True,
    )
    return chosen + [coin for _, coin in candidates[:room]]


def polled_coins(config: BookDepthConfig) -> int:
    return len(config.coins) + config.max_auto_coins


class BookDepthPoller:
    name = "market_book_depth"
    collector = COLLECTOR

    def __init__(
        self,
        config: BookDepthConfig,
        context: CollectorContext,
        interval: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._context = context
        self._monotonic = monotonic
        self.interval = interval or config.interval_seconds
        self.max_age = 3 * self.interval
        self.planned_weight_per_minute = polled_coins(config) * weight_per_minute(L2_BOOK, self.interval)
        # coin -> (when read, its depth; None: the venue has no book for it)
        self._read: dict[str, tuple[float, Depth | None]] = {}
        self.stream: BookStream | None = None
        self._first_poll = True

    @property
    def max_coins(self) -> int:
        return polled_coins(self._config)

    def coins(self) -> list[str]:
        """The coins whose depth matters now."""
        return coins_that_matter(self._config, self._context.market_sizes, self._context.coins_held())

    def follow_stream(self, stream: BookStream) -> None:
        """Take each coin's depth from `stream` while its pushed book is recent (within one interval)."""
        self.stream = stream

    async def poll(self) -> Sequence[Metric]:
        await self._context.universe.wait(seconds=self.interval)
        family = GaugeMetricFamily(
            "hyperliquid_book_depth",
            polled_help(
                "Notional resting in the order book within `band` (0.01, 0.02: ±1 %, ±2 %) of the mid on "
                "`side` (bid, ask), in the coin's quote currency (20 levels a side at most), for the "
                "configured coins, the coins HLP or a watched account holds, and the thinnest markets "
                "for their open interest",
                self.interval,
                L2_BOOK,
            ),
            labels=["coin", "side", "band"],
        )
        coins = self.coins()
        streamed = self._streamed(coins)
        read_now = streamed | await self._read_within_interval([c for c in coins if c not in streamed])
        self._forget_old()
        if coins and not read_now and not any(coin in self._read for coin in coins):
            raise UpstreamError("timeout", f"no l2Book answered within {self.interval:g} s")
        for coin in coins:
            _, depth = self._read.get(coin, (0.0, None))
            for (side, band), notional in sorted((depth or {}).items()):
                family.add_metric([coin, side, f"{band:g}"], notional)
        return [family]

    def _streamed(self, coins: list[str]) -> set[str]:
        """The coins whose book the stream pushed within one interval: no REST read for them."""
        stream = self.stream
        if stream is None:
            return set()
        streamed: set[str] = set()
        for coin in coins:
            pushed, depth = stream.book(coin, self.interval)
            if pushed:
                self._read[coin] = (self._monotonic(), depth)
                streamed.add(coin)
        return streamed

    async def _read_within_interval(self, coins: list[str]) -> set[str]:
        """Ask for every coin at once, the coins read longest ago first in the budget's queue, and take
        the answers that come within one interval (a coin stuck behind the budget holds up no other)."""
        oldest_first = sorted(coins, key=lambda coin: self._read.get(coin, (float("-inf"), None))[0])
        tasks = {asyncio.create_task(self._read_one(coin)): coin for coin in oldest_first}
        if not tasks:
            return set()
        first_poll, self._first_poll = self._first_poll, False
        if not first_poll:
            done, pending = await asyncio.wait(tasks, timeout=self.interval)
        else:
            # The first poll, at start-up: the books queue behind every other poller's first requests,
            # and `/-/ready` waits for this poll. Take what is answered within a moment of the first
            # book; the others are read at the next poll, the longest unread first.
            done, pending = await asyncio.wait(
                tasks, timeout=self.interval, return_when=asyncio.FIRST_COMPLETED
            )
            if pending and done:
                more, pending = await asyncio.wait(pending, timeout=FIRST_POLL_GRACE_SECONDS)
                done |= more
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if pending:
            log.debug("book depth: %d of %d coins answered within %g s", len(done), len(tasks), self.interval)
        return {tasks[task] for task in done if task.result()}

    async def _read_one(self, coin: str) -> bool:
        try:
            answer = await self._context.client.info({"type": L2_BOOK, "coin": coin}, COLLECTOR)
            self._read[coin] = (self._monotonic(), parse_depth(answer))
            return True
        except ParseError as exc:
            self._context.count_malformed(L2_BOOK)
            log.debug("malformed l2Book for %s: %s", coin, exc)
        except UpstreamError as exc:
            log.debug("no book depth for %s: %s", coin, exc)
        return False

    def _forget_old(self) -> None:
        oldest = self._monotonic() - self.max_age
        for coin in [coin for coin, (at, _) in self._read.items() if at < oldest]:
            del self._read[coin]


def pollers(config: Config, context: CollectorContext, planned_elsewhere: float = 0.0) -> list[Poller]:
    """Depth comes last in the weight plan: it takes what every other collector leaves of the budget
    (at their REST rates), stretching its interval to fit, and is off when nothing is left."""
    market = config.collectors.market
    section = market.book_depth
    if not (market.enabled and section.enabled):
        return []
    room = config.hyperliquid.weight_budget_per_minute - planned_elsewhere
    wanted = polled_coins(section) * weight_per_minute(L2_BOOK, section.interval_seconds)
    if wanted <= room:
        return [BookDepthPoller(section, context)]
    if room < MIN_WEIGHT_PER_MINUTE:
        log.warning(
            "book depth is off: the other collectors plan %.1f of the %.0f weight/min budget at their REST "
            "rates (fewer watched accounts, or a larger weight_budget_share, leave room for it)",
            planned_elsewhere,
            config.hyperliquid.weight_budget_per_minute,
        )
        return []
    interval = section.interval_seconds * wanted / room
    log.warning(
        "the other collectors leave %.1f weight/min of the budget: book depth is read every %.0f s instead "
        "of collectors.market.book_depth.interval_seconds=%.0f",
        room,
        interval,
        section.interval_seconds,
    )
    return [BookDepthPoller(section, context, interval)]
