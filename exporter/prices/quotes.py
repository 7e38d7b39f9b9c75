"""One exchange's answer as prices per quote currency, and conversion into an oracle's quote currency.

Hyperliquid's oracle is USDT-denominated for most perps and USDC-denominated for a few (PURR, HYPE),
so a reference price is expressed in the coin's oracle currency: a pair quoted in that currency as it
is, any other quote through the same exchange's own stablecoin price (USDC/USDT on Binance, OKX and
Bybit; USDT-USD and USDC-USD on Coinbase). A stablecoin depeg then moves the references and the
oracle alike instead of reading as oracle deviation.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

STABLECOINS = ("USDT", "USDC")
# One text for every poller publishing hyperliquid_stablecoin_price: pieces share one HELP header.
STABLECOIN_PRICE_HELP = (
    "Price of a stablecoin in another currency as a source quotes it (USDC in USDT on the exchanges; USDT "
    "and USDC in USD on Coinbase and Kraken; USDH and builder-dex collateral tokens in USDC on Hyperliquid "
    "spot, reference_prices.hyperliquid_spot.stablecoins); 1 when pegged."
)
# A stablecoin price outside this band is a broken quote, not a depeg: it converts nothing.
PLAUSIBLE_STABLECOIN_PRICE = (0.5, 2.0)


def oracle_currency(coin: str, usdc_denominated: Collection[str]) -> str:
    """The currency a perp's oracle (and so its mark, mid and impact prices) is denominated in."""
    return "USDC" if coin in usdc_denominated else "USDT"


@dataclass(frozen=True, slots=True)
class Quotes:
    """Prices per quote currency ("USDT", "USDC", "USD") and base asset, as the exchange quoted them.

    Stablecoins appear as base assets too: `{"USDT": {"USDC": 0.9998}}` is USDC priced in USDT.
    """

    by_currency: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    # 24-hour traded notional per quote currency and base asset, in that quote currency, where the
    # exchange's ticker carries it.
    volumes: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    # Other stablecoins this source prices, (stablecoin, quote currency) -> price: published beside the
    # USDT and USDC quotes, never used to convert (USDH in USDC on Hyperliquid spot).
    watched_stablecoins: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def rate(self, currency: str, into: str) -> float | None:
        """How many `into` one unit of `currency` is worth here, or None if the exchange does not say."""
        if currency == into:
            return 1.0
        direct = self.by_currency.get(into, {}).get(currency)
        if direct is not None:
            return direct if _plausible(direct) else None
        inverse = self.by_currency.get(currency, {}).get(into)
        if inverse is not None and _plausible(inverse):
            return 1.0 / inverse
        return None

    def price(self, base: str, currency: str) -> float | None:
        """`base` in `currency`: a direct quote if there is one, else another quote converted."""
        direct = self.by_currency.get(currency, {}).get(base)
        if direct is not None:
            return direct
        for quoted_in, table in sorted(self.by_currency.items()):
            price = table.get(base)
            if price is None or quoted_in == currency:
                continue
            rate = self.rate(quoted_in, currency)
            if rate is not None:
                return price * rate
        return None

    def volume(self, base: str, currency: str) -> float | None:
        """24-hour notional of every `base` pair the exchange quotes, summed in `currency`; None if
        the ticker carries no volume for it (or no rate converts it)."""
        total: float | None = None
        for quoted_in, table in self.volumes.items():
            notional = table.get(base)
            rate = self.rate(quoted_in, currency) if notional is not None else None
            if notional is not None and rate is not None:
                total = (total or 0.0) + notional * rate
        return total

    def stablecoin_prices(self) -> dict[tuple[str, str], float]:
        """Every stablecoin price quoted directly: (stablecoin, quote currency) -> price."""
        observed: dict[tuple[str, str], float] = {}
        for currency, table in self.by_currency.items():
            for stablecoin in STABLECOINS:
                price = table.get(stablecoin)
                if stablecoin != currency and price is not None and _plausible(price):
                    observed[(stablecoin, currency)] = price
        return {**observed, **self.watched_stablecoins}

    def bases(self) -> set[str]:
        return {base for table in self.by_currency.values() for base in table}


def _plausible(price: float) -> bool:
    low, high = PLAUSIBLE_STABLECOIN_PRICE
    return low < price < high
