"""OKX: `GET /api/v5/market/tickers?instType=SPOT`:
`{"code":"0","msg":"","data":[{"instId":"BTC-USDT","last":"...","bidPx":"...","askPx":"..."}]}`.
The price is the book mid, or the last trade without a book; for SPOT, `volCcy24h` is the 24-hour
volume in the quote currency."""

from __future__ import annotations

from typing import Any

from exporter.config import PriceSourceConfig
from exporter.prices.errors import SourceError
from exporter.prices.quotes import Quotes
from exporter.prices.source import BulkTickerSource
from exporter.prices.tickers import book_mid, quotes_from_rows

SOURCE = "okx"
PATH = "/api/v5/market/tickers"
PARAMS = {"instType": "SPOT"}
SUFFIXES = {"USDT": "-USDT", "USDC": "-USDC"}


def ticker_items(payload: Any, source: str) -> list[dict[str, Any]]:
    """The tickers of an OKX v5 answer (spot and swaps alike), or a SourceError naming `source`."""
    if not isinstance(payload, dict):
        raise SourceError(source, "shape", f"expected an object, got {type(payload).__name__}")
    code = payload.get("code")
    if code != "0":
        raise SourceError(source, "api_error", f"code {code!r:.20}: {str(payload.get('msg'))[:200]}")
    data = payload.get("data")
    if not isinstance(data, list):
        raise SourceError(source, "shape", f"expected a list at data, got {type(data).__name__}")
    return [item for item in data if isinstance(item, dict)]


def parse(payload: Any) -> Quotes:
    data = ticker_items(payload, SOURCE)
    rows = (
        (
            item.get("instId"),
            book_mid(item.get("bidPx"), item.get("askPx"), item.get("last")),
            item.get("volCcy24h"),
        )
        for item in data
    )
    return quotes_from_rows(rows, SUFFIXES)


def source(config: PriceSourceConfig) -> BulkTickerSource:
    return BulkTickerSource(SOURCE, config.base_url + PATH, PARAMS, parse, config.timeout_seconds)
