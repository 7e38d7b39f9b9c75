"""From Hyperliquid coin names to exchange assets, and from exchange quotes to USD.

A Hyperliquid coin is priced from the exchange asset named like it, unless
`reference_prices.symbols` maps it to another base asset and scale. Coins named `k` + upper
case (kPEPE, kSHIB, ...) are 1000 units of the asset without the `k`, unless mapped otherwise.

USDT-quoted prices are divided by the exchange's own USDC/USDT price and USDC is taken as USD
(Hyperliquid settles in USDC), so a USDT wobble does not read as an oracle deviation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from exporter.config import SymbolMapping
from exporter.prices.errors import SourceError

THOUSAND_PREFIX = re.compile(r"^k[A-Z0-9]{2,}$")
# A USDC/USDT price outside this band is a broken quote, not a stablecoin wobble.
PLAUSIBLE_USDC_USDT = (0.5, 2.0)


@dataclass(frozen=True, slots=True)
class ExchangeAsset:
    base: str
    # Exchange units per Hyperliquid unit: the Hyperliquid price is the exchange price times this.
    scale: float


class SymbolMap:
    def __init__(self, overrides: Mapping[str, SymbolMapping]) -> None:
        self._overrides = {coin: ExchangeAsset(m.base, m.scale) for coin, m in overrides.items()}

    def asset(self, coin: str) -> ExchangeAsset:
        override = self._overrides.get(coin)
        if override is not None:
            return override
        if THOUSAND_PREFIX.match(coin):
            return ExchangeAsset(coin[1:], 1000.0)
        return ExchangeAsset(coin, 1.0)

    def coin_prices(self, coins: Iterable[str], base_prices: Mapping[str, float]) -> dict[str, float]:
        """USD price per Hyperliquid coin, for the coins whose base asset the exchange quotes."""
        prices: dict[str, float] = {}
        for coin in coins:
            asset = self.asset(coin)
            price = base_prices.get(asset.base)
            if price is not None:
                prices[coin] = price * asset.scale
        return prices


def usdt_to_usd(
    source: str, usdt_prices: Mapping[str, float], usdc_usdt: float | None, pair: str
) -> dict[str, float]:
    """Convert base -> USDT price into base -> USD using the USDC/USDT price; fail without it."""
    if usdc_usdt is None:
        raise SourceError(
            source, "conversion", f"no {pair} price in the response: cannot convert USDT quotes to USD"
        )
    low, high = PLAUSIBLE_USDC_USDT
    if not low < usdc_usdt < high:
        raise SourceError(source, "conversion", f"implausible {pair} price {usdc_usdt:g}")
    return {base: price / usdc_usdt for base, price in usdt_prices.items()}
