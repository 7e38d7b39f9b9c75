"""From Hyperliquid coin names to exchange assets, and each coin's oracle quote currency.

A Hyperliquid coin is priced from the exchange asset named like it, unless
`reference_prices.symbols` maps it to another base asset and scale. Coins named `k` + upper
case (kPEPE, kSHIB, ...) are 1000 units of the asset without the `k`, unless mapped otherwise.

A coin's reference price is in its oracle's currency: USDT, or USDC for the coins listed in
`reference_prices.usdc_denominated_coins` (see exporter/prices/quotes.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from exporter.config import SymbolMapping
from exporter.prices.quotes import Quotes, oracle_currency

THOUSAND_PREFIX = re.compile(r"^k[A-Z0-9]{2,}$")


@dataclass(frozen=True, slots=True)
class ExchangeAsset:
    base: str
    # Exchange units per Hyperliquid unit: the Hyperliquid price is the exchange price times this.
    scale: float


class SymbolMap:
    def __init__(self, overrides: Mapping[str, SymbolMapping], usdc_coins: Iterable[str] = ()) -> None:
        self._overrides = {coin: ExchangeAsset(m.base, m.scale) for coin, m in overrides.items()}
        self._usdc_coins = frozenset(usdc_coins)

    def quote_currency(self, coin: str) -> str:
        """The currency the coin's oracle is denominated in: "USDC" or "USDT"."""
        return oracle_currency(coin, self._usdc_coins)

    def asset(self, coin: str) -> ExchangeAsset:
        override = self._overrides.get(coin)
        if override is not None:
            return override
        if THOUSAND_PREFIX.match(coin):
            return ExchangeAsset(coin[1:], 1000.0)
        return ExchangeAsset(coin, 1.0)

    def coin_prices(self, coins: Iterable[str], quotes: Quotes) -> dict[str, float]:
        """Price per Hyperliquid coin in its oracle's currency, for the coins the exchange quotes."""
        prices: dict[str, float] = {}
        for coin in coins:
            asset = self.asset(coin)
            price = quotes.price(asset.base, self.quote_currency(coin))
            if price is not None:
                prices[coin] = price * asset.scale
        return prices

    def coin_volumes(self, coins: Iterable[str], quotes: Quotes) -> dict[str, float]:
        """24-hour notional per Hyperliquid coin in its oracle's currency, where the ticker carries it."""
        volumes: dict[str, float] = {}
        for coin in coins:
            volume = quotes.volume(self.asset(coin).base, self.quote_currency(coin))
            if volume is not None:
                volumes[coin] = volume
        return volumes
