"""Hyperliquid's oracle formula, replicated from outside (hyperliquid-api.md A.4 "Price mechanics").

Each validator publishes the weighted median of the Binance, OKX, Bybit, Kraken, KuCoin, Gate, MEXC
and Hyperliquid spot mids, weights 3/2/2/1/1/1/1/1, every 3 s; Hyperliquid-native assets leave the
external sources out until they have enough liquidity, BTC-like assets leave Hyperliquid spot out.
The published oracle is the stake-weighted median of the validators' prices: that step, and each
validator's own timing and source outages, cannot be seen from outside. Coinbase is not a source.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

WEIGHTS: Mapping[str, float] = {
    "binance": 3.0,
    "okx": 2.0,
    "bybit": 2.0,
    "kraken": 1.0,
    "kucoin": 1.0,
    "gate": 1.0,
    "mexc": 1.0,
    "hyperliquid_spot": 1.0,
}
HYPERLIQUID_SPOT = "hyperliquid_spot"


def weighted_median(points: Sequence[tuple[float, float]]) -> float:
    """The value at which half the weight lies on either side: the smallest value whose cumulative
    weight reaches half the total, or the mean of it and the next when it reaches exactly half."""
    if not points:
        raise ValueError("weighted_median of nothing")
    ordered = sorted(points)
    half = sum(weight for _, weight in ordered) / 2
    cumulative = 0.0
    for index, (value, weight) in enumerate(ordered):
        cumulative += weight
        if cumulative > half:
            return value
        if cumulative == half:
            return (value + ordered[index + 1][0]) / 2 if index + 1 < len(ordered) else value
    return ordered[-1][0]


@dataclass(frozen=True, slots=True)
class Replica:
    price: float
    weights: Mapping[str, float]  # the sources used and their weights


@dataclass(frozen=True, slots=True)
class Exclusions:
    # Hyperliquid-native coins: priced from Hyperliquid spot only.
    native: Collection[str] = ()
    # BTC-like coins: Hyperliquid spot left out.
    without_spot: Collection[str] = ()


def sources_for(coin: str, available: Collection[str], exclusions: Exclusions) -> list[str]:
    if coin in exclusions.native:
        return [HYPERLIQUID_SPOT] if HYPERLIQUID_SPOT in available else []
    used = [source for source in WEIGHTS if source in available]
    if coin in exclusions.without_spot:
        used = [source for source in used if source != HYPERLIQUID_SPOT]
    return used


def replicate(
    by_source: Mapping[str, Mapping[str, float]], coins: Collection[str], exclusions: Exclusions
) -> dict[str, Replica]:
    """The replica of every coin at least one of its sources prices now."""
    replicas: dict[str, Replica] = {}
    for coin in coins:
        quoting = [source for source, prices in by_source.items() if coin in prices]
        used = sources_for(coin, quoting, exclusions)
        if not used:
            continue
        points = [(by_source[source][coin], WEIGHTS[source]) for source in used]
        replicas[coin] = Replica(weighted_median(points), {source: WEIGHTS[source] for source in used})
    return replicas
