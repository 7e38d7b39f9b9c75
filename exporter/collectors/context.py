"""What every poller is given: the Hyperliquid client, an HTTP client for reference exchanges,
request statistics for counting malformed fields, and the clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from exporter.collectors.dex_collateral import LatestSpotTokens
from exporter.collectors.liquidators import LiquidatorRoles
from exporter.collectors.shared_reads import SharedReads
from exporter.collectors.universe import SharedCoinList
from exporter.hyperliquid.budget import WeightBudget
from exporter.hyperliquid.client import InfoClient, RequestStats
from exporter.prices.latest import LatestPrices
from exporter.prices.market_prices import MarketPrices


@dataclass
class CollectorContext:
    client: InfoClient
    http: httpx.AsyncClient
    budget: WeightBudget
    stats: RequestStats
    clock: Callable[[], float] = field(default=time.time)
    # Written by the market poller, read by pollers that need the listed coins.
    universe: SharedCoinList = field(default_factory=SharedCoinList)
    # HLP liquidators, configured and discovered: written by account discovery, read by the fills poller.
    liquidators: LiquidatorRoles = field(default_factory=LiquidatorRoles)
    # The builder dexes' listed coins (`dex:COIN`), written by the dexes poller.
    dex_coins: SharedCoinList = field(default_factory=SharedCoinList)
    # Each reference source's latest prices: written by the source pollers, read by the oracle replica.
    reference_prices: LatestPrices = field(default_factory=LatestPrices)
    # Open interest and day volume in USD per listed coin, from the market poller's latest answer: how
    # the book-depth poller picks the coins that matter.
    market_sizes: dict[str, tuple[float, float]] = field(default_factory=dict)
    # Hyperliquid spot's tokens and their USDC prices, from the spot-volume poller's latest answer: how
    # the dexes poller names and prices each builder dex's collateral.
    spot_tokens: LatestSpotTokens = field(default_factory=LatestSpotTokens)
    # Each perp venue's latest mids (sources binance_perp, okx_perp, ...): written by the perp-ticker
    # pollers, read by the mark replica.
    perp_prices: LatestPrices = field(default_factory=LatestPrices)
    # The latest oracle, mark and mid per perp, from the market poller or stream: read by the mark replica.
    market_prices: MarketPrices = field(default_factory=MarketPrices)
    # Coins each account group (HLP, its liquidators, watched accounts) holds a position in, by poller
    # or feed name: read by the book-depth poller, whose coins that matter include them.
    held_coins: dict[str, frozenset[str]] = field(default_factory=dict)
    # The same info request from two readers, sent once (exporter/collectors/shared_reads.py).
    shared_reads: SharedReads = field(default_factory=SharedReads)

    def coins_held(self) -> frozenset[str]:
        return frozenset().union(*self.held_coins.values()) if self.held_coins else frozenset()

    def count_malformed(self, request_type: str) -> None:
        """One malformed field or item: costs one sample and one error count, never the poll."""
        self.stats.errors[(request_type, "parse")] += 1
