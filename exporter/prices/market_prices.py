"""The latest oracle, mark and mid of every first-dex perp, shared by whoever reads the market (the REST
poller, or the market stream while it is live) with the mark replica, which samples them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from exporter.hyperliquid.market import MarketData


@dataclass(frozen=True, slots=True)
class CoinPrices:
    oracle: float
    mark: float
    mid: float | None


@dataclass(frozen=True, slots=True)
class MarketPrices:
    # When the prices were read (the exporter's clock), 0 before the first read.
    at: float = 0.0
    coins: Mapping[str, CoinPrices] = field(default_factory=dict)

    @classmethod
    def of(cls, data: MarketData, at: float) -> MarketPrices:
        return cls(
            at,
            {
                perp.spec.name: CoinPrices(
                    perp.context.oracle_price, perp.context.mark_price, perp.context.mid_price
                )
                for perp in data.perps
                if perp.context is not None and not perp.spec.delisted
            },
        )
