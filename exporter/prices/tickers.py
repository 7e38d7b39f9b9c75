"""Bulk ticker lists (symbol, price) -> Quotes per quote currency, and the book mid of a ticker."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from exporter.prices.quotes import Quotes


def positive_price(value: Any) -> float | None:
    """A quote as a positive finite float, or None (a halted pair can read "0" or be garbled)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        price = float(value)
    except ValueError:
        return None
    return price if math.isfinite(price) and price > 0 else None


def book_mid(bid: Any, ask: Any, last: Any) -> float | None:
    """The mid of the best bid and ask when the ticker has a sane pair, else the last trade.

    The mid moves with the book; a last trade can be seconds old on a quiet pair.
    """
    best_bid, best_ask = positive_price(bid), positive_price(ask)
    if best_bid is not None and best_ask is not None and best_bid <= best_ask:
        return (best_bid + best_ask) / 2
    return positive_price(last)


def quotes_from_tickers(tickers: Iterable[tuple[Any, Any]], suffixes: Mapping[str, str]) -> Quotes:
    """Keep the `<BASE><suffix>` pairs of each quote currency (`{"USDT": "-USDT"}`).

    Malformed entries are left out: an exchange lists hundreds of pairs this exporter never reads.
    """
    return quotes_from_rows(((symbol, price, None) for symbol, price in tickers), suffixes)


def quotes_from_rows(rows: Iterable[tuple[Any, Any, Any]], suffixes: Mapping[str, str]) -> Quotes:
    """Like quotes_from_tickers, with each pair's 24-hour notional in its quote currency (or None)."""
    by_currency: dict[str, dict[str, float]] = {currency: {} for currency in suffixes}
    volumes: dict[str, dict[str, float]] = {currency: {} for currency in suffixes}
    for symbol, raw_price, raw_volume in rows:
        if not isinstance(symbol, str):
            continue
        for currency, suffix in suffixes.items():
            if symbol.endswith(suffix) and len(symbol) > len(suffix):
                price = positive_price(raw_price)
                if price is not None:
                    base = symbol[: -len(suffix)]
                    by_currency[currency][base] = price
                    volume = non_negative(raw_volume)
                    if volume is not None:
                        volumes[currency][base] = volume
                break
    return Quotes(by_currency, {currency: table for currency, table in volumes.items() if table})


def non_negative(value: Any) -> float | None:
    """A volume as a finite float >= 0, or None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None
