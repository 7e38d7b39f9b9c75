"""Market and oracle gauges of every perp of the main dex, and which perps are at their OI cap.

Two pollers of collector `market`: `metaAndAssetCtxs` every `interval_seconds`, and
`perpsAtOpenInterestCap` on its own slower interval.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from exporter.collectors.base import Poller
from exporter.collectors.context import CollectorContext
from exporter.collectors.margin_tiers import margin_families
from exporter.config import Config, MarketCollectorConfig
from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.market import (
    META_AND_ASSET_CTXS,
    OPEN_INTEREST_CAP,
    MarketData,
    parse_meta_and_asset_ctxs,
    parse_open_interest_caps,
)
from exporter.hyperliquid.weights import weight_per_minute
from exporter.prices.market_prices import MarketPrices
from exporter.prices.quotes import oracle_currency

log = logging.getLogger(__name__)

COLLECTOR = "market"
# The first (Hyperliquid-run) perp dex: its series have no `dex` label, which PromQL reads as dex="".
FIRST_DEX = ""


def count_skipped(context: CollectorContext, skipped: Sequence[ParseError]) -> None:
    for error in skipped:
        context.count_malformed(error.request_type)
        log.debug("skipped a malformed item: %s", error)


# The collateral of every builder dex listed so far; their oracles are set in it.
BUILDER_DEX_QUOTE = "USDC"


def polled_help(meaning: str, interval: float, request_type: str) -> str:
    return f"{meaning} (polled every {interval:g} s from {request_type})."


def market_families(
    data: MarketData, interval: float, usdc_coins: Collection[str] = (), dex: str = FIRST_DEX
) -> list[Metric]:
    """A builder dex's series carry `dex` as their last label; the first dex's carry none (dex="").

    Prices carry their quote currency: the first dex's perps are USDT-denominated except `usdc_coins`;
    a builder dex's are in its collateral (USDC for every dex listed so far).
    """
    tail = [dex] if dex else []

    def gauge(name: str, meaning: str, labels: Sequence[str] = ("coin",)) -> GaugeMetricFamily:
        return GaugeMetricFamily(
            name,
            polled_help(meaning, interval, META_AND_ASSET_CTXS),
            labels=[*labels, *(["dex"] if dex else [])],
        )

    info = gauge(
        "hyperliquid_market_info",
        "Perps of the main dex, delisted ones included, with their margin mode; always 1",
        ("coin", "delisted", "margin_mode"),
    )
    priced = ("coin", "quote")
    in_quote = "in the perp's quote currency (label quote: USDT, or USDC for USDC-denominated perps)"
    oracle = gauge("hyperliquid_oracle_price", f"Oracle price {in_quote}", priced)
    mark = gauge(
        "hyperliquid_mark_price", f"Mark price {in_quote}, used for margining and liquidations", priced
    )
    mid = gauge(
        "hyperliquid_mid_price", f"Order-book mid price {in_quote}; absent when the book has none", priced
    )
    funding = gauge("hyperliquid_funding_rate", "Current hourly funding rate (0.0001 = 0.01% per hour)")
    premium = gauge("hyperliquid_premium_ratio", "Premium used for funding, as a ratio; absent when null")
    oi_size = gauge("hyperliquid_open_interest_size", "Open interest in coins")
    oi_usd = gauge("hyperliquid_open_interest_usd", "Open interest in USD (open interest in coins x mark)")
    impact = gauge(
        "hyperliquid_impact_price",
        f"Impact bid and ask prices {in_quote}; a side is absent when null",
        ("coin", "side", "quote"),
    )
    volume = gauge("hyperliquid_day_notional_volume_usd", "Notional volume of the last 24 hours in USD")
    leverage = gauge("hyperliquid_max_leverage", "Maximum leverage allowed")
    for perp in data.perps:
        spec, ctx = perp.spec, perp.context
        info.add_metric([spec.name, "true" if spec.delisted else "false", spec.margin_mode, *tail], 1.0)
        if spec.delisted:
            continue
        coin = [spec.name, *tail]
        if spec.max_leverage is not None:
            leverage.add_metric(coin, spec.max_leverage)
        if ctx is None:
            continue
        quote = BUILDER_DEX_QUOTE if dex else oracle_currency(spec.name, usdc_coins)
        quoted = [spec.name, quote, *tail]
        oracle.add_metric(quoted, ctx.oracle_price)
        mark.add_metric(quoted, ctx.mark_price)
        if ctx.mid_price is not None:
            mid.add_metric(quoted, ctx.mid_price)
        funding.add_metric(coin, ctx.funding_rate)
        if ctx.premium is not None:
            premium.add_metric(coin, ctx.premium)
        oi_size.add_metric(coin, ctx.open_interest)
        oi_usd.add_metric(coin, ctx.open_interest_usd)
        if ctx.impact_bid is not None:
            impact.add_metric([spec.name, "bid", quote, *tail], ctx.impact_bid)
        if ctx.impact_ask is not None:
            impact.add_metric([spec.name, "ask", quote, *tail], ctx.impact_ask)
        if ctx.day_notional_volume is not None:
            volume.add_metric(coin, ctx.day_notional_volume)
    families: list[Metric] = [
        info,
        oracle,
        mark,
        mid,
        funding,
        premium,
        oi_size,
        oi_usd,
        impact,
        volume,
        leverage,
    ]
    if data.terms is not None:
        families += margin_families(data.terms, interval, dex)
    return families


class MarketPoller:
    """metaAndAssetCtxs: the universe and every perp's oracle, mark, mid, funding and open interest."""

    name = "market"
    collector = COLLECTOR

    def __init__(
        self, config: MarketCollectorConfig, context: CollectorContext, usdc_coins: Collection[str] = ()
    ) -> None:
        self._config = config
        self._context = context
        self._usdc_coins = frozenset(usdc_coins)
        self.interval = config.interval_seconds
        self.max_age = config.max_age()

    @property
    def planned_weight_per_minute(self) -> float:
        return weight_per_minute(META_AND_ASSET_CTXS, self.interval)

    async def poll(self) -> Sequence[Metric]:
        try:
            response = await self._context.shared_reads.info(
                self._context.client, {"type": META_AND_ASSET_CTXS}, COLLECTOR
            )
            data = parse_meta_and_asset_ctxs(response)
        finally:
            # Readers stop waiting once the first attempt is over, whatever its outcome.
            self._context.universe.mark_attempted()
        count_skipped(self._context, data.skipped)
        self._context.universe.publish(data.listed)
        self._context.market_sizes = {
            perp.spec.name: (perp.context.open_interest_usd, perp.context.day_notional_volume or 0.0)
            for perp in data.perps
            if perp.context is not None
        }
        self._context.market_prices = MarketPrices.of(data, self._context.clock())
        return market_families(data, self.interval, self._usdc_coins)


class OpenInterestCapPoller:
    """perpsAtOpenInterestCap: 1 for listed perps at their cap, 0 for the other listed perps."""

    name = "market_open_interest_cap"
    collector = COLLECTOR

    def __init__(self, config: MarketCollectorConfig, context: CollectorContext) -> None:
        self._config = config
        self._context = context
        self.interval = config.open_interest_cap_interval_seconds
        self.max_age = config.max_age(self.interval)

    @property
    def planned_weight_per_minute(self) -> float:
        return weight_per_minute(OPEN_INTEREST_CAP, self.interval)

    async def poll(self) -> Sequence[Metric]:
        listed = await self._context.universe.wait(seconds=self._config.interval_seconds * 3)
        response = await self._context.client.info({"type": OPEN_INTEREST_CAP}, COLLECTOR)
        caps = parse_open_interest_caps(response)
        count_skipped(self._context, caps.skipped)
        reached = GaugeMetricFamily(
            "hyperliquid_open_interest_cap_reached",
            polled_help(
                "1 if the perp is at its open-interest cap (no new positions), 0 otherwise",
                self.interval,
                OPEN_INTEREST_CAP,
            ),
            labels=["coin"],
        )
        for coin in listed:
            reached.add_metric([coin], 1.0 if coin in caps.coins else 0.0)
        return [reached]


def pollers(config: Config, context: CollectorContext) -> list[Poller]:
    market = config.collectors.market
    if not market.enabled:
        return []
    usdc_coins = config.reference_prices.usdc_denominated_coins
    return [MarketPoller(market, context, usdc_coins), OpenInterestCapPoller(market, context)]
