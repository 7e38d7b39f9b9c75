"""The mark replica per coin (exporter/prices/mark_replica.py), from the market's latest oracle, mid and
mark and the perp venues' latest mids; published with the components it used and the published mark's
deviation from it. Costs no request: it samples what the market and perp pollers recorded, folding
each newer market read into the formula's two EMAs (exporter/prices/mark_tracker.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from exporter.collectors.context import CollectorContext
from exporter.config import Config
from exporter.prices.mark_replica import BOOK_EMA_SECONDS, MARK_EMA_SECONDS, deviation_ratio
from exporter.prices.mark_tracker import MarkTracker
from exporter.prices.symbols import SymbolMap

COLLECTOR = "prices"


class MarkReplicaPoller:
    name = "prices_mark_replica"
    collector = COLLECTOR
    planned_weight_per_minute = 0.0

    def __init__(
        self,
        interval: float,
        symbols: SymbolMap,
        hyperps: Collection[str],
        context: CollectorContext,
        ema_seconds: tuple[float, float] = (MARK_EMA_SECONDS, BOOK_EMA_SECONDS),
    ) -> None:
        self.interval = interval
        self.max_age = 3 * interval
        self._symbols = symbols
        self._context = context
        self._tracker = MarkTracker(hyperps, ema_seconds)

    async def poll(self) -> Sequence[Metric]:
        await self._context.universe.wait(seconds=self.interval)
        price = GaugeMetricFamily(
            "hyperliquid_mark_replica_price",
            "Hyperliquid's mark formula replicated from outside: the median of the oracle plus a 150 s EMA "
            "of (mid - oracle), the book mid (standing in for the median of best bid, best ask and last "
            "trade), and the weighted median of Binance, OKX, Bybit, Gate and MEXC perp mids (3, 2, 2, 1, "
            "1), with a 30 s EMA of the book when only two exist; in the coin's oracle currency (label "
            "quote). Absent with fewer than two components.",
            labels=["coin", "quote"],
        )
        component = GaugeMetricFamily(
            "hyperliquid_mark_replica_component_price",
            "Each input of the mark replica's median (component oracle_ema, book, perps, book_ema); absent: "
            "not used (no perp listing, no mid, EMA still starting up, or book_ema when not needed).",
            labels=["coin", "quote", "component"],
        )
        deviation = GaugeMetricFamily(
            "hyperliquid_mark_replica_deviation_ratio",
            "Published mark over the mark replica, minus 1, both from the same market read (0.001 = the "
            "mark is 0.1% above its formula).",
            labels=["coin"],
        )
        perps = self._context.perp_prices.fresh(self._context.clock())
        replicas = self._tracker.replicas(self._context.market_prices, perps)
        for coin, (replica, mark) in sorted(replicas.items()):
            quote = self._symbols.quote_currency(coin)
            price.add_metric([coin, quote], replica.price)
            for name, value in sorted(replica.inputs.items()):
                component.add_metric([coin, quote, name], value)
            deviation.add_metric([coin], deviation_ratio(mark, replica))
        return [price, component, deviation]


def poller(config: Config, context: CollectorContext) -> MarkReplicaPoller:
    prices = config.reference_prices
    symbols = SymbolMap(prices.symbols, prices.usdc_denominated_coins)
    section = prices.mark_replica
    return MarkReplicaPoller(
        section.interval_seconds,
        symbols,
        prices.hyperps,
        context,
        (section.ema_seconds, section.book_ema_seconds),
    )
