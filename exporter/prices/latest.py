"""The latest prices of every reference source, shared between the source pollers (writers) and the
oracle replica (reader). A source that fails is forgotten at once, one that stops answering once its
last prices are older than it allows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SourcePrices:
    prices: Mapping[str, float]  # coin -> price in the coin's oracle currency
    at: float
    max_age: float


@dataclass
class LatestPrices:
    _by_source: dict[str, SourcePrices] = field(default_factory=dict)

    def record(self, source: str, prices: Mapping[str, float], at: float, max_age: float) -> None:
        self._by_source[source] = SourcePrices(dict(prices), at, max_age)

    def forget(self, source: str) -> None:
        self._by_source.pop(source, None)

    def fresh(self, now: float) -> dict[str, Mapping[str, float]]:
        """source -> coin -> price, for the sources whose last success is recent enough."""
        return {
            source: entry.prices
            for source, entry in self._by_source.items()
            if now - entry.at <= entry.max_age
        }
