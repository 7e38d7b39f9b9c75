"""The oracle replica per coin (exporter/prices/oracle_replica.py) from the sources' latest prices,
published with the sources it used. Costs no request: it reads what the source pollers recorded."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from exporter.collectors.context import CollectorContext
from exporter.config import Config
from exporter.prices.oracle_replica import Exclusions, replicate
from exporter.prices.symbols import SymbolMap

COLLECTOR = "prices"


class OracleReplicaPoller:
    name = "prices_oracle_replica"
    collector = COLLECTOR
    planned_weight_per_minute = 0.0

    def __init__(
        self,
        interval: float,
        symbols: SymbolMap,
        exclusions: Exclusions,
        hyperps: Collection[str],
        context: CollectorContext,
    ) -> None:
        self.interval = interval
        self.max_age = 3 * interval
        self._symbols = symbols
        self._exclusions = exclusions
        self._hyperps = frozenset(hyperps)
        self._context = context

    async def poll(self) -> Sequence[Metric]:
        listed = await self._context.universe.wait(seconds=self.interval)
        coins = [coin for coin in listed if coin not in self._hyperps]
        by_source = self._context.reference_prices.fresh(self._context.clock())
        replicas = replicate(by_source, coins, self._exclusions)
        price = GaugeMetricFamily(
            "hyperliquid_oracle_replica_price",
            "Hyperliquid's oracle formula replicated from the reference sources' latest prices: their "
            "weighted median (binance 3, okx 2, bybit 2, kraken, kucoin, gate, mexc, hyperliquid_spot 1), "
            "in the coin's oracle currency (label quote). Not the validators' stake-weighted median.",
            labels=["coin", "quote"],
        )
        weight = GaugeMetricFamily(
            "hyperliquid_oracle_replica_source_weight",
            "Weight of each source the oracle replica used for this coin (absent: not used: down, not "
            "quoting the coin, or excluded by the oracle's rules).",
            labels=["coin", "source"],
        )
        for coin, replica in sorted(replicas.items()):
            price.add_metric([coin, self._symbols.quote_currency(coin)], replica.price)
            for source, value in sorted(replica.weights.items()):
                weight.add_metric([coin, source], value)
        return [price, weight]


def poller(config: Config, context: CollectorContext) -> OracleReplicaPoller:
    prices = config.reference_prices
    replica = prices.oracle_replica
    exclusions = Exclusions(
        native=frozenset(replica.native_coins), without_spot=frozenset(replica.without_spot_coins)
    )
    symbols = SymbolMap(prices.symbols, prices.usdc_denominated_coins)
    return OracleReplicaPoller(replica.interval_seconds, symbols, exclusions, prices.hyperps, context)
