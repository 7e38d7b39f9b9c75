"""Hyperliquid's mark formula, replicated from outside (hyperliquid-api.md A.4 "Price mechanics"; GitBook
"Robust price indices").

The mark is the median of three components:
- `oracle_ema`: the oracle plus a 150 s EMA of (Hyperliquid mid - oracle);
- `book`: the median of Hyperliquid's best bid, best ask and last trade;
- `perps`: the weighted median of Binance, OKX, Bybit, Gate and MEXC perp mids (weights 3, 2, 2, 1, 1).
When exactly two of them exist, a 30 s EMA of the `book` component joins the median as a third input.

From outside, `book` is the book mid (`midPx`): the exporter reads no last trade, and the median of
bid, ask and last trade lies within the spread, so it is at most half a spread from the venue's. A
component that does not exist (no perp listing, an empty book side) is left out and said so; the
replica is the median of what there is, and with fewer than two components there is no replica.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass

from exporter.prices.oracle_replica import weighted_median

PERP_WEIGHTS: Mapping[str, float] = {
    "binance_perp": 3.0,
    "okx_perp": 2.0,
    "bybit_perp": 2.0,
    "gate_perp": 1.0,
    "mexc_perp": 1.0,
}
ORACLE_EMA = "oracle_ema"
BOOK = "book"
PERPS = "perps"
BOOK_EMA = "book_ema"
COMPONENTS = (ORACLE_EMA, BOOK, PERPS)
MARK_EMA_SECONDS = 150.0
BOOK_EMA_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class MarkReplica:
    price: float
    # The inputs of the median, by name (oracle_ema, book, perps, and book_ema when it joined).
    inputs: Mapping[str, float]


def perp_mid(
    by_source: Mapping[str, Mapping[str, float]], coin: str
) -> tuple[float, dict[str, float]] | None:
    """The weighted median of the perp venues quoting `coin`, with the weights used; None if none does."""
    used = {
        source: PERP_WEIGHTS[source]
        for source, prices in by_source.items()
        if source in PERP_WEIGHTS and coin in prices
    }
    if not used:
        return None
    return weighted_median([(by_source[source][coin], weight) for source, weight in used.items()]), used


def replicate_mark(components: Mapping[str, float], book_ema: float | None) -> MarkReplica | None:
    """The median of the components present (30 s book EMA added when exactly two are); None with fewer
    than two: one component alone is not the formula."""
    inputs = {name: value for name, value in components.items() if name in COMPONENTS}
    if len(inputs) < 2:
        return None
    if len(inputs) == 2 and book_ema is not None:
        inputs[BOOK_EMA] = book_ema
    return MarkReplica(statistics.median(inputs.values()), inputs)


def deviation_ratio(mark: float, replica: MarkReplica) -> float:
    """How far the published mark is from the replica, signed, as a ratio of the replica."""
    return mark / replica.price - 1
