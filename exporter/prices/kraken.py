"""Kraken: `GET /0/public/Ticker` (no `pair`: every pair in one request), as documented at
https://docs.kraken.com/rest/#tag/Market-Data/operation/getTickerInformation:
`{"error":[],"result":{"XXBTZUSD":{"a":[ask,…],"b":[bid,…],"c":[last,…],"v":[today,24h],
"p":[vwap today,vwap 24h],…}}}`. `v` is base volume, so the 24-hour notional is v[1] x p[1].

Pair keys mix Kraken's legacy asset codes (`XXBTZUSD`: XBT in USD) with plain ones (`SOLUSD`,
`USDTZUSD`, `XBTUSDT`), and most pairs are quoted in USD: USDT-USD and USDC-USD convert them.
"""

from __future__ import annotations

from typing import Any

from exporter.config import PriceSourceConfig
from exporter.prices.errors import SourceError
from exporter.prices.quotes import Quotes
from exporter.prices.source import BulkTickerSource
from exporter.prices.tickers import book_mid, non_negative, quotes_from_rows

SOURCE = "kraken"
PATH = "/0/public/Ticker"
# Longest first: `USDTZUSD` is USDT in USD, `XBTUSDT` is XBT in USDT.
QUOTES = (("USDT", "USDT"), ("USDC", "USDC"), ("ZUSD", "USD"), ("USD", "USD"))
# Kraken's own codes for assets other exchanges name differently (its legacy X-prefixed codes).
ALIASES = {
    "XXBT": "BTC",
    "XBT": "BTC",
    "XETH": "ETH",
    "XXDG": "DOGE",
    "XDG": "DOGE",
    "XXRP": "XRP",
    "XLTC": "LTC",
    "XXLM": "XLM",
    "XETC": "ETC",
    "XXMR": "XMR",
    "XZEC": "ZEC",
}
SUFFIXES = {"USDT": "-USDT", "USDC": "-USDC", "USD": "-USD"}


def normalise(pair: str) -> str | None:
    """`XXBTZUSD` -> `BTC-USD`; None for a pair not quoted in USD, USDT or USDC."""
    for suffix, currency in QUOTES:
        if pair.endswith(suffix) and len(pair) > len(suffix):
            base = pair[: -len(suffix)]
            return f"{ALIASES.get(base, base)}-{currency}"
    return None


def _day_notional(ticker: dict[str, Any]) -> float | None:
    volume, vwap = ticker.get("v"), ticker.get("p")
    if not (isinstance(volume, list) and isinstance(vwap, list) and len(volume) > 1 and len(vwap) > 1):
        return None
    base_volume, average = non_negative(volume[1]), non_negative(vwap[1])
    return None if base_volume is None or average is None else base_volume * average


def _first(field: Any) -> Any:
    return field[0] if isinstance(field, list) and field else None


def parse(payload: Any) -> Quotes:
    if not isinstance(payload, dict):
        raise SourceError(SOURCE, "shape", f"expected an object, got {type(payload).__name__}")
    errors = payload.get("error")
    if errors:
        raise SourceError(SOURCE, "api_error", f"error {str(errors)[:200]}")
    result = payload.get("result")
    if not isinstance(result, dict):
        raise SourceError(SOURCE, "shape", "expected an object at result")
    rows = (
        (
            normalise(pair),
            book_mid(_first(ticker.get("b")), _first(ticker.get("a")), _first(ticker.get("c"))),
            _day_notional(ticker),
        )
        for pair, ticker in result.items()
        if isinstance(pair, str) and isinstance(ticker, dict)
    )
    return quotes_from_rows(rows, SUFFIXES)


def source(config: PriceSourceConfig) -> BulkTickerSource:
    return BulkTickerSource(SOURCE, config.base_url + PATH, {}, parse, config.timeout_seconds)
