"""Reference prices of Hyperliquid's listed coins from Binance, OKX, Bybit, Kraken, KuCoin, Gate, MEXC,
Coinbase and Hyperliquid spot, and each exchange's 24-hour volume where its ticker carries it; the perp
mids of Binance, OKX, Bybit, Gate and MEXC for the mark replica.

Every price is in the coin's oracle currency (label `quote`: USDT, or USDC for the USDC-denominated
perps), converted with each exchange's own stablecoin prices, which are published too. One poller per
source (collector `prices`), so one failing or region-blocked exchange leaves the others. A source
that fails is reported, not raised: its poll publishes `hyperliquid_external_source_up{source}` 0,
no prices and the unchanged last-success time, and the failure is logged once per kind (the way
blackbox_exporter reports `probe_success` 0). Each success is also handed to the oracle replica
(context.reference_prices); a failure withdraws the source from it at once.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from exporter.collectors import mark_replica, oracle_replica
from exporter.collectors.base import Poller
from exporter.collectors.context import CollectorContext
from exporter.config import Config, PriceSourceConfig
from exporter.failure_tracker import FailureTracker
from exporter.hyperliquid.weights import weight_per_minute
from exporter.prices import binance, bybit, coinbase, gate, hyperliquid_spot, kraken, kucoin, mexc, okx
from exporter.prices.errors import SourceError
from exporter.prices.latest import LatestPrices
from exporter.prices.perps import binance as binance_perp
from exporter.prices.perps import bybit as bybit_perp
from exporter.prices.perps import gate as gate_perp
from exporter.prices.perps import mexc as mexc_perp
from exporter.prices.perps import okx as okx_perp
from exporter.prices.quotes import STABLECOIN_PRICE_HELP, Quotes
from exporter.prices.source import PriceSource
from exporter.prices.symbols import SymbolMap

log = logging.getLogger(__name__)

COLLECTOR = "prices"
_POLLED = "polled from each exchange on its own configured interval"


class SourceHealth:
    """Last success and current failure of one source; logs only when the state changes."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.last_success = 0.0
        self.failure = FailureTracker()

    def succeeded(self, at: float) -> None:
        if self.failure.succeeded():
            log.info("reference source %s is up again", self.source)
        self.last_success = at

    def failed(self, error: SourceError) -> None:
        if self.failure.failed(error.reason):
            log.warning("reference source %s is down: %s", self.source, error)
        else:
            log.debug("reference source %s still down: %s", self.source, error)


class ReferencePricePoller:
    def __init__(
        self,
        source: PriceSource,
        config: PriceSourceConfig,
        symbols: SymbolMap,
        context: CollectorContext,
        only_coins: Collection[str] | None = None,
        excluded_coins: Collection[str] = (),
        planned_weight_per_minute: float = 0.0,
    ) -> None:
        self._source = source
        self._config = config
        self._symbols = symbols
        self._context = context
        self._only = None if only_coins is None else frozenset(only_coins)
        self._excluded = frozenset(excluded_coins)
        self.health = SourceHealth(source.name)
        self.name = f"prices_{source.name}"
        self.interval = config.interval_seconds
        self.max_age = 3 * config.interval_seconds
        # Reference exchanges do not spend Hyperliquid's weight; Hyperliquid spot does.
        self.planned_weight_per_minute = planned_weight_per_minute

    collector = COLLECTOR

    async def poll(self) -> Sequence[Metric]:
        listed = await self._context.universe.wait(seconds=self.interval)
        coins = [
            coin
            for coin in listed
            if coin not in self._excluded and (self._only is None or coin in self._only)
        ]
        bases = {self._symbols.asset(coin).base for coin in coins}
        try:
            quotes = await self._source.fetch(self._context.http, bases)
        except SourceError as exc:
            self.health.failed(exc)
            self._latest().forget(self._source.name)
            return self._families({}, {}, Quotes(), up=False)
        now = self._context.clock()
        self.health.succeeded(now)
        prices = self._symbols.coin_prices(coins, quotes)
        self._latest().record(self._source.name, prices, now, self.max_age)
        volumes = self._symbols.coin_volumes(coins, quotes)
        return self._families(prices, volumes, quotes, up=True)

    def _latest(self) -> LatestPrices:
        """Where each success is handed on (and a failure withdrawn): the oracle replica's inputs."""
        return self._context.reference_prices

    def _health_families(self, up: bool) -> list[Metric]:
        source = self._source.name
        up_gauge = GaugeMetricFamily(
            "hyperliquid_external_source_up",
            f"1 if the last poll of this reference exchange gave usable prices, 0 otherwise ({_POLLED}).",
            labels=["source"],
        )
        up_gauge.add_metric([source], 1.0 if up else 0.0)
        last_success = GaugeMetricFamily(
            "hyperliquid_external_source_last_success_timestamp_seconds",
            f"Unix time of this reference exchange's last successful poll, 0 if none yet ({_POLLED}).",
            labels=["source"],
        )
        last_success.add_metric([source], self.health.last_success)
        return [up_gauge, last_success]

    def _families(
        self, prices: dict[str, float], volumes: dict[str, float], quotes: Quotes, up: bool
    ) -> list[Metric]:
        source = self._source.name
        price = GaugeMetricFamily(
            "hyperliquid_external_price",
            "Price of a listed Hyperliquid coin on a reference exchange, in the coin's oracle currency "
            "(label quote: USDT, or USDC for USDC-denominated perps); other quotes converted with that "
            f"exchange's own stablecoin price; the book mid where the ticker has one ({_POLLED}).",
            labels=["coin", "source", "quote"],
        )
        for coin, value in prices.items():
            price.add_metric([coin, source, self._symbols.quote_currency(coin)], value)
        volume = GaugeMetricFamily(
            "hyperliquid_external_day_notional_volume",
            "Notional traded over the last 24 hours in a listed coin's pairs on a reference exchange, in the "
            "coin's oracle currency (label quote), where the exchange's ticker carries volume (not Binance's "
            f"price ticker, not Coinbase) ({_POLLED}).",
            labels=["coin", "source", "quote"],
        )
        for coin, value in volumes.items():
            volume.add_metric([coin, source, self._symbols.quote_currency(coin)], value)
        stablecoin = GaugeMetricFamily(
            "hyperliquid_stablecoin_price",
            STABLECOIN_PRICE_HELP,
            labels=["source", "stablecoin", "quote"],
        )
        for (coin, currency), value in sorted(quotes.stablecoin_prices().items()):
            stablecoin.add_metric([source, coin, currency], value)
        return [price, volume, stablecoin, *self._health_families(up)]


class PerpPricePoller(ReferencePricePoller):
    """A perp venue's mids (source `<exchange>_perp`) for the mark replica: published apart from the spot
    references (`hyperliquid_external_perp_price`), so the oracle's rules never read a perp as a spot
    source, with the same per-source health gauges."""

    def _latest(self) -> LatestPrices:
        return self._context.perp_prices

    def _families(
        self, prices: dict[str, float], volumes: dict[str, float], quotes: Quotes, up: bool
    ) -> list[Metric]:
        source = self._source.name
        price = GaugeMetricFamily(
            "hyperliquid_external_perp_price",
            "Book mid of a listed Hyperliquid coin's perpetual on another venue (one of the mark's inputs), "
            "in the coin's oracle currency (label quote), per unit of the coin (contracts listed per 1,000 "
            f"units divided) ({_POLLED}).",
            labels=["coin", "source", "quote"],
        )
        for coin, value in prices.items():
            price.add_metric([coin, source, self._symbols.quote_currency(coin)], value)
        return [price, *self._health_families(up)]


class HyperpListPoller:
    """Which listed coins are treated as hyperps (`reference_prices.hyperps`): rules give them hyperp
    thresholds and never compare their oracle with exchanges. Costs no request."""

    name = "prices_hyperps"
    collector = COLLECTOR
    planned_weight_per_minute = 0.0

    def __init__(self, hyperps: Collection[str], interval: float, context: CollectorContext) -> None:
        self._hyperps = frozenset(hyperps)
        self._context = context
        self.interval = interval
        self.max_age = 3 * interval

    async def poll(self) -> Sequence[Metric]:
        listed = await self._context.universe.wait(seconds=self.interval)
        family = GaugeMetricFamily(
            "hyperliquid_hyperp_info",
            "1 for each listed perp treated as a hyperp (pre-launch perp, oracle = 8-hour EMA of its "
            "own mark), from the configured list reference_prices.hyperps.",
            labels=["coin"],
        )
        for coin in listed:
            if coin in self._hyperps:
                family.add_metric([coin], 1.0)
        return [family]


def spot_poller(config: Config, symbols: SymbolMap, context: CollectorContext) -> ReferencePricePoller:
    spot = config.reference_prices.hyperliquid_spot
    pairs = {
        symbols.asset(coin).base: hyperliquid_spot.SpotPair(key, symbols.asset(coin).scale)
        for coin, key in spot.pairs.items()
    }
    source = hyperliquid_spot.HyperliquidSpotSource(
        context.client,
        COLLECTOR,
        pairs,
        tokens=context.spot_tokens,
        stablecoins=tuple(spot.stablecoins),
        clock=context.clock,
    )
    settings = PriceSourceConfig(base_url=config.hyperliquid.api_url, interval_seconds=spot.interval_seconds)
    planned = weight_per_minute(hyperliquid_spot.REQUEST_TYPE, spot.interval_seconds)
    return ReferencePricePoller(
        source,
        settings,
        symbols,
        context,
        only_coins=spot.pairs,
        excluded_coins=config.reference_prices.exclude_coins,
        planned_weight_per_minute=planned,
    )


def pollers(config: Config, context: CollectorContext) -> list[Poller]:
    prices = config.reference_prices
    if not prices.enabled:
        return []
    if not config.collectors.market.enabled:
        log.warning("reference prices are off: they need the market collector to know the listed coins")
        return []
    symbols = SymbolMap(prices.symbols, prices.usdc_denominated_coins)
    excluded = prices.exclude_coins
    built: list[Poller] = [
        ReferencePricePoller(module.source(settings), settings, symbols, context, excluded_coins=excluded)
        for module, settings in (
            (binance, prices.binance),
            (okx, prices.okx),
            (bybit, prices.bybit),
            (kraken, prices.kraken),
            (kucoin, prices.kucoin),
            (gate, prices.gate),
            (mexc, prices.mexc),
        )
        if settings.enabled
    ]
    if prices.coinbase.enabled and prices.coinbase_coins:
        cb = coinbase.source(prices.coinbase, prices.coinbase_max_concurrency)
        built.append(
            ReferencePricePoller(cb, prices.coinbase, symbols, context, prices.coinbase_coins, excluded)
        )
    if prices.hyperliquid_spot.enabled and prices.hyperliquid_spot.pairs:
        built.append(spot_poller(config, symbols, context))
    built.append(HyperpListPoller(prices.hyperps, config.collectors.market.interval_seconds, context))
    if prices.oracle_replica.enabled:
        built.append(oracle_replica.poller(config, context))
    built += perp_pollers(config, symbols, context)
    if prices.mark_replica.enabled:
        built.append(mark_replica.poller(config, context))
    return built


def perp_pollers(config: Config, symbols: SymbolMap, context: CollectorContext) -> list[Poller]:
    perps = config.reference_prices.perps
    return [
        PerpPricePoller(
            module.source(settings),
            settings,
            symbols,
            context,
            excluded_coins=config.reference_prices.exclude_coins,
        )
        for module, settings in (
            (binance_perp, perps.binance),
            (okx_perp, perps.okx),
            (bybit_perp, perps.bybit),
            (gate_perp, perps.gate),
            (mexc_perp, perps.mexc),
        )
        if settings.enabled
    ]
