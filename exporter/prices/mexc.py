"""MEXC: `GET /api/v3/ticker/24hr` (no `symbol`: every pair in one request), as documented at
https://mexcdevelop.github.io/apidocs/spot_v3_en/#24hr-ticker-price-change-statistics:
`[{"symbol":"BTCUSDT","lastPrice":"…","bidPrice":"…","askPrice":"…","volume":"…","quoteVolume":"…"}]`;
`quoteVolume` is the 24-hour volume in the quote currency. Errors are `{"code":…,"msg":"…"}`."""

from __future__ import annotations

from typing import Any

from exporter.config import PriceSourceConfig
from exporter.prices.errors import SourceError
from exporter.prices.quotes import Quotes
from exporter.prices.source import BulkTickerSource
from exporter.prices.tickers import book_mid, quotes_from_rows

SOURCE = "mexc"
PATH = "/api/v3/ticker/24hr"
SUFFIXES = {"USDT": "USDT", "USDC": "USDC"}


def parse(payload: Any) -> Quotes:
    if isinstance(payload, dict) and "code" in payload:
        raise SourceError(
            SOURCE, "api_error", f"code {payload.get('code')!r:.20}: {str(payload.get('msg'))[:200]}"
        )
    if not isinstance(payload, list):
        raise SourceError(SOURCE, "shape", f"expected a list of tickers, got {type(payload).__name__}")
    rows = (
        (
            item.get("symbol"),
            book_mid(item.get("bidPrice"), item.get("askPrice"), item.get("lastPrice")),
            item.get("quoteVolume"),
        )
        for item in payload
        if isinstance(item, dict)
    )
    return quotes_from_rows(rows, SUFFIXES)


def source(config: PriceSourceConfig) -> BulkTickerSource:
    return BulkTickerSource(SOURCE, config.base_url + PATH, {}, parse, config.timeout_seconds)
