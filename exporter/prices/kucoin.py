"""KuCoin: `GET /api/v1/market/allTickers` (every pair in one request), as documented at
https://docs.kucoin.com/#get-all-tickers: `{"code":"200000","data":{"time":ms,"ticker":[{"symbol":
"BTC-USDT","buy":"…","sell":"…","last":"…","vol":"…","volValue":"…"}]}}`. `buy` is the best bid,
`sell` the best ask; `volValue` is the 24-hour volume in the quote currency."""

from __future__ import annotations

from typing import Any

from exporter.config import PriceSourceConfig
from exporter.prices.errors import SourceError
from exporter.prices.quotes import Quotes
from exporter.prices.source import BulkTickerSource
from exporter.prices.tickers import book_mid, quotes_from_rows

SOURCE = "kucoin"
PATH = "/api/v1/market/allTickers"
SUFFIXES = {"USDT": "-USDT", "USDC": "-USDC"}
OK = "200000"


def parse(payload: Any) -> Quotes:
    if not isinstance(payload, dict):
        raise SourceError(SOURCE, "shape", f"expected an object, got {type(payload).__name__}")
    code = payload.get("code")
    if code != OK:
        raise SourceError(SOURCE, "api_error", f"code {code!r:.20}: {str(payload.get('msg'))[:200]}")
    data = payload.get("data")
    tickers = data.get("ticker") if isinstance(data, dict) else None
    if not isinstance(tickers, list):
        raise SourceError(SOURCE, "shape", "expected a list at data.ticker")
    rows = (
        (
            item.get("symbol"),
            book_mid(item.get("buy"), item.get("sell"), item.get("last")),
            item.get("volValue"),
        )
        for item in tickers
        if isinstance(item, dict)
    )
    return quotes_from_rows(rows, SUFFIXES)


def source(config: PriceSourceConfig) -> BulkTickerSource:
    return BulkTickerSource(SOURCE, config.base_url + PATH, {}, parse, config.timeout_seconds)
