"""Positions over scenario time, their state at an instant, and where they liquidate."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from exporter.replay.market import Market
from exporter.replay.paths import Path


@dataclass
class RealizedChunk:
    """PnL realized by closing `closed` coins linearly over [start, end], priced at the mark as it closes."""

    coin: str
    start: float
    end: float
    closed: float
    entry: float
    direction: int  # +1 closing a long, -1 closing a short

    def value_at(self, time: float, market: Market) -> float:
        if time <= self.start:
            return 0.0
        progress = 1.0 if self.end <= self.start else min(1.0, (time - self.start) / (self.end - self.start))
        mark = market.mark_by_name(self.coin, min(time, self.end))
        return self.closed * progress * (mark - self.entry) * self.direction


@dataclass
class PositionTrack:
    coin: str
    size: Path
    entry: Path
    leverage: int
    margin: Literal["cross", "isolated"]


@dataclass(frozen=True)
class PositionState:
    coin: str
    size: float
    entry: float
    mark: float
    leverage: int
    margin: Literal["cross", "isolated"]
    max_leverage: int
    sz_decimals: int

    @property
    def notional(self) -> float:
        return abs(self.size) * self.mark

    @property
    def unrealized_pnl(self) -> float:
        return self.size * (self.mark - self.entry)

    @property
    def maintenance_margin(self) -> float:
        # Maintenance margin is half the initial margin at the coin's maximum leverage.
        return self.notional / (2 * self.max_leverage)


def sign(value: float) -> int:
    return int(math.copysign(1, value))


def liquidation_price(position: PositionState, cash_excess: float) -> float | None:
    """Price of `position` at which the account's value meets maintenance margin, other marks held.

    `cash_excess` is account value minus this position's unrealized PnL minus the other positions'
    maintenance margin. Returns None (the API's null) when no positive price liquidates it.
    """
    mmr = 1 / (2 * position.max_leverage)
    size, entry = position.size, position.entry
    denominator = size * (1 - mmr) if size > 0 else size * (1 + mmr)
    price = (size * entry - cash_excess) / denominator
    return price if price > 0 else None
