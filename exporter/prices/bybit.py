"""Bybit: `GET /v5/market/tickers?category=spot`:
`{"retCode":0,"retMsg":"OK","result":{"category":"spot","list":[{"symbol":"BTCUSDT","bid1Price":"...",
"ask1Price":"...","lastPrice":"...","turnover24h":"..."}]}}`. The price is the book mid, or the last trade
without a book; `turnover24h` is the 24-hour volume in the quote currency."""

from __future__ import annotations

from typing import Any

from exporter.config import PriceSourceConfig
from exporter.prices.errors import SourceError
from exporter.prices.quotes import Quotes
from exporter.prices.source import BulkTickerSource
from exporter.prices.tickers import book_mid, quotes_from_rows

SOURCE = "bybit"
PATH = "/v5/market/tickers"
PARAMS = {"category": "spot"}
SUFFIXES = {"USDT": "USDT", "USDC": "USDC"}


def ticker_items(payload: Any, source: str) -> list[dict[str, Any]]:
    """The tickers of a Bybit v5 answer (spot and linear alike), or a SourceError naming `source`."""
    if not isinstance(payload, dict):
        raise SourceError(source, "shape", f"expected an object, got {type(payload).__name__}")
    code = payload.get("retCode")
    if code != 0 or isinstance(code, bool):
        raise SourceError(source, "api_error", f"retCode {code!r:.20}: {str(payload.get('retMsg'))[:200]}")
    result = payload.get("result")
    tickers = result.get("list") if isinstance(result, dict) else None
    if not isinstance(tickers, list):
        raise SourceError(source, "shape", "expected a list at result.list")
    return [item for item in tickers if isinstance(item, dict)]


def parse(payload: Any) -> Quotes:
    tickers = ticker_items(payload, SOURCE)
    rows = (
        (
            item.get("symbol"),
            book_mid(item.get("bid1Price"), item.get("ask1Price"), item.get("lastPrice")),
            item.get("turnover24h"),
        )
        for item in tickers
    )
    return quotes_from_rows(rows, SUFFIXES)


def source(config: PriceSourceConfig) -> BulkTickerSource:
    return BulkTickerSource(SOURCE, config.base_url + PATH, PARAMS, parse, config.timeout_seconds)
