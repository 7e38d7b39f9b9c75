"""Perp contract symbols -> base assets, and the rows of a perp ticker list -> Quotes.

Perp venues list some small-priced assets per 1,000 (or more) units: Binance and Bybit quote
`1000PEPEUSDT`, the price of 1,000 PEPE. Such a contract is read as its base asset at the price of one
unit, so the symbol map's scale (kPEPE is 1,000 PEPE) applies to perps as it does to spot. Where a
venue lists both `PEPE` and `1000PEPE`, the unscaled contract wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from exporter.prices.quotes import Quotes
from exporter.prices.tickers import positive_price

UNIT_MULTIPLIER = re.compile(r"^(1000+)(?=[A-Z])")


def base_and_units(base: str) -> tuple[str, float]:
    """`1000PEPE` -> (`PEPE`, 1000.0); `BTC` -> (`BTC`, 1.0)."""
    match = UNIT_MULTIPLIER.match(base)
    if match is None:
        return base, 1.0
    return base[match.end() :], float(match.group(1))


def perp_quotes(rows: Iterable[tuple[Any, Any]], suffixes: Mapping[str, str]) -> Quotes:
    """Keep the `<BASE><suffix>` contracts of each quote currency (`{"USDT": "-USDT-SWAP"}`), each at the
    price of one unit of its base asset. Malformed rows are left out."""
    by_currency: dict[str, dict[str, float]] = {currency: {} for currency in suffixes}
    scaled: dict[str, dict[str, float]] = {currency: {} for currency in suffixes}
    for symbol, raw_price in rows:
        if not isinstance(symbol, str):
            continue
        for currency, suffix in suffixes.items():
            if symbol.endswith(suffix) and len(symbol) > len(suffix):
                price = positive_price(raw_price)
                if price is not None:
                    base, units = base_and_units(symbol[: -len(suffix)])
                    target = by_currency if units == 1.0 else scaled
                    target[currency][base] = price / units
                break
    for currency, table in scaled.items():
        for base, price in table.items():
            by_currency[currency].setdefault(base, price)
    return Quotes(by_currency)
