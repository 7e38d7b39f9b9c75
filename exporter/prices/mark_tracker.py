"""The mark replica over time: each coin's two EMAs, sampled from successive market reads, and the
replica of every coin from the latest read and the perp venues' mids (exporter/prices/mark_replica.py).

A component whose EMA has not yet run one time constant (150 s for oracle_ema, 30 s for book_ema) is
left out rather than given from a memory shorter than the venue's.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from exporter.prices.ema import TimeWeightedEma
from exporter.prices.mark_replica import (
    BOOK,
    BOOK_EMA_SECONDS,
    MARK_EMA_SECONDS,
    ORACLE_EMA,
    PERPS,
    MarkReplica,
    perp_mid,
    replicate_mark,
)
from exporter.prices.market_prices import CoinPrices, MarketPrices


class CoinEmas:
    """One coin's EMAs: of (mid - oracle), and of the book component."""

    def __init__(
        self, ema_seconds: float = MARK_EMA_SECONDS, book_ema_seconds: float = BOOK_EMA_SECONDS
    ) -> None:
        self.premium = TimeWeightedEma(ema_seconds)
        self.book = TimeWeightedEma(book_ema_seconds)

    def sample(self, prices: CoinPrices, at: float) -> None:
        if prices.mid is not None:
            self.premium.update(prices.mid - prices.oracle, at)
            self.book.update(prices.mid, at)

    def oracle_ema(self, prices: CoinPrices, at: float) -> float | None:
        premium = self.premium.value
        return prices.oracle + premium if premium is not None and self.premium.warmed_up(at) else None

    def book_ema(self, at: float) -> float | None:
        return self.book.value if self.book.warmed_up(at) else None


class MarkTracker:
    def __init__(
        self,
        skipped: Collection[str] = (),
        ema_seconds: tuple[float, float] = (MARK_EMA_SECONDS, BOOK_EMA_SECONDS),
    ) -> None:
        # Hyperps: their mark has a formula of its own (8-hour EMA oracle, external pre-market perps).
        self._skipped = frozenset(skipped)
        self._ema_seconds = ema_seconds
        self._emas: dict[str, CoinEmas] = {}
        self._sampled_at = 0.0

    def sample(self, market: MarketPrices) -> None:
        """Fold a market read into the EMAs, once per read."""
        if market.at <= self._sampled_at:
            return
        self._sampled_at = market.at
        for coin, prices in market.coins.items():
            self._emas.setdefault(coin, CoinEmas(*self._ema_seconds)).sample(prices, market.at)
        for gone in set(self._emas) - set(market.coins):
            del self._emas[gone]  # delisted: a relisting starts afresh

    def replicas(
        self, market: MarketPrices, perps: Mapping[str, Mapping[str, float]]
    ) -> dict[str, tuple[MarkReplica, float]]:
        """coin -> (replica, published mark) for every coin with at least two components in `market`."""
        self.sample(market)
        replicas: dict[str, tuple[MarkReplica, float]] = {}
        for coin, prices in market.coins.items():
            if coin in self._skipped or ":" in coin:
                continue
            emas = self._emas.get(coin)
            components: dict[str, float] = {}
            oracle_ema = emas.oracle_ema(prices, market.at) if emas else None
            if oracle_ema is not None:
                components[ORACLE_EMA] = oracle_ema
            if prices.mid is not None:
                components[BOOK] = prices.mid
            perp = perp_mid(perps, coin)
            if perp is not None:
                components[PERPS] = perp[0]
            replica = replicate_mark(components, emas.book_ema(market.at) if emas else None)
            if replica is not None:
                replicas[coin] = (replica, prices.mark)
        return replicas
