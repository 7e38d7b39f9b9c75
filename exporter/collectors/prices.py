"""Reference prices of Hyperliquid's listed coins from Binance, OKX, Bybit and Coinbase.

One poller per source (collector `prices`), so one failing or region-blocked exchange leaves the
others. A source that fails is reported, not raised: its poll publishes
`hyperliquid_external_source_up{source}` 0, no prices and the unchanged last-success time, and
the failure is logged once per kind (the way blackbox_exporter reports `probe_success` 0).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from exporter.collectors.base import Poller
from exporter.collectors.context import CollectorContext
from exporter.config import Config, PriceSourceConfig
from exporter.prices import binance, bybit, coinbase, okx
from exporter.prices.errors import SourceError
from exporter.prices.source import PriceSource
from exporter.prices.symbols import SymbolMap

log = logging.getLogger("exporter.collectors.prices")

COLLECTOR = "prices"
_POLLED = "polled from each exchange on its own configured interval"


class SourceHealth:
    """Last success and current failure of one source; logs only when the state changes."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.last_success = 0.0
        self.failure: str | None = None

    def succeeded(self, at: float) -> None:
        if self.failure is not None:
            log.info("reference source %s is up again", self.source)
        self.failure = None
        self.last_success = at

    def failed(self, error: SourceError) -> None:
        if error.reason != self.failure:
            log.warning("reference source %s is down: %s", self.source, error)
        else:
            log.debug("reference source %s still down: %s", self.source, error)
        self.failure = error.reason


class ReferencePricePoller:
    def __init__(
        self,
        source: PriceSource,
        config: PriceSourceConfig,
        symbols: SymbolMap,
        context: CollectorContext,
        only_coins: Collection[str] | None = None,
        excluded_coins: Collection[str] = (),
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

    collector = COLLECTOR
    planned_weight_per_minute = 0.0  # reference exchanges do not spend Hyperliquid's weight

    async def poll(self) -> Sequence[Metric]:
        listed = await self._context.universe.wait(seconds=self.interval)
        coins = [
            coin
            for coin in listed
            if coin not in self._excluded and (self._only is None or coin in self._only)
        ]
        bases = {self._symbols.asset(coin).base for coin in coins}
        try:
            base_prices = await self._source.fetch(self._context.http, bases)
        except SourceError as exc:
            self.health.failed(exc)
            return self._families({}, up=False)
        self.health.succeeded(self._context.clock())
        return self._families(self._symbols.coin_prices(coins, base_prices), up=True)

    def _families(self, prices: dict[str, float], up: bool) -> list[Metric]:
        source = self._source.name
        price = GaugeMetricFamily(
            "hyperliquid_external_price",
            "USD price of a listed Hyperliquid coin on a reference exchange; USDT quotes converted with "
            f"that exchange's USDC/USDT price ({_POLLED}).",
            labels=["coin", "source"],
        )
        for coin, value in prices.items():
            price.add_metric([coin, source], value)
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
        return [price, up_gauge, last_success]


def pollers(config: Config, context: CollectorContext) -> list[Poller]:
    prices = config.reference_prices
    if not prices.enabled:
        return []
    if not config.collectors.market.enabled:
        log.warning("reference prices are off: they need the market collector to know the listed coins")
        return []
    symbols = SymbolMap(prices.symbols)
    excluded = prices.exclude_coins
    built: list[Poller] = [
        ReferencePricePoller(module.source(settings), settings, symbols, context, excluded_coins=excluded)
        for module, settings in ((binance, prices.binance), (okx, prices.okx), (bybit, prices.bybit))
        if settings.enabled
    ]
    if prices.coinbase.enabled and prices.coinbase_coins:
        cb = coinbase.source(prices.coinbase, prices.coinbase_max_concurrency)
        built.append(
            ReferencePricePoller(cb, prices.coinbase, symbols, context, prices.coinbase_coins, excluded)
        )
    return built
