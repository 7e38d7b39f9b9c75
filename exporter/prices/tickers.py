"""Bulk ticker lists (symbol, price) of USDT-quoted pairs -> USD price per base asset."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from exporter.prices.symbols import usdt_to_usd


def positive_price(value: Any) -> float | None:
    """A quote as a positive finite float, or None (a halted pair can read "0" or be garbled)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        price = float(value)
    except ValueError:
        return None
    return price if math.isfinite(price) and price > 0 else None


def usd_prices_from_usdt_tickers(
    source: str, tickers: Iterable[tuple[Any, Any]], suffix: str, conversion_pair: str
) -> dict[str, float]:
    """Keep the `<BASE><suffix>` pairs and convert them with the `conversion_pair` (USDC/USDT) price.

    Malformed entries are left out: an exchange lists hundreds of pairs this exporter never reads.
    """
    usdt: dict[str, float] = {}
    usdc_usdt: float | None = None
    for symbol, raw_price in tickers:
        if not isinstance(symbol, str) or not symbol.endswith(suffix) or len(symbol) == len(suffix):
            continue
        price = positive_price(raw_price)
        if price is None:
            continue
        if symbol == conversion_pair:
            usdc_usdt = price
        else:
            usdt[symbol[: -len(suffix)]] = price
    return usdt_to_usd(source, usdt, usdc_usdt, conversion_pair)
