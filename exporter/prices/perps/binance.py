"""Binance USDⓈ-M perps: `GET /fapi/v1/ticker/bookTicker` without `symbol` (every contract in one request,
weight 5 of the 2,400 a minute Binance allows an IP), as documented in Binance's derivatives API
(developers.binance.com, USDⓈ-M futures, market data, "Symbol Order Book Ticker"; the example in
binance/binance-connector's OpenAPI spec): `[{"symbol":"BTCUSDT","bidPrice":"…","bidQty":"…",
"askPrice":"…","askQty":"…","time":ms,"lastUpdateId":n}]`. The price is the book mid. Errors are
`{"code":-n,"msg":"…"}`."""

from __future__ import annotations

from typing import Any

from exporter.config import PriceSourceConfig
from exporter.prices.errors import SourceError
from exporter.prices.perps.contracts import perp_quotes
from exporter.prices.quotes import Quotes
from exporter.prices.source import BulkTickerSource
from exporter.prices.tickers import book_mid

SOURCE = "binance_perp"
PATH = "/fapi/v1/ticker/bookTicker"
SUFFIXES = {"USDT": "USDT", "USDC": "USDC"}


def parse(payload: Any) -> Quotes:
    if isinstance(payload, dict) and "code" in payload:
        raise SourceError(
            SOURCE, "api_error", f"code {payload.get('code')!r:.20}: {str(payload.get('msg'))[:200]}"
        )
    if not isinstance(payload, list):
        raise SourceError(SOURCE, "shape", f"expected a list of tickers, got {type(payload).__name__}")
    rows = (
        (item.get("symbol"), book_mid(item.get("bidPrice"), item.get("askPrice"), None))
        for item in payload
        if isinstance(item, dict)
    )
    return perp_quotes(rows, SUFFIXES)


def source(config: PriceSourceConfig) -> BulkTickerSource:
    return BulkTickerSource(SOURCE, config.base_url + PATH, {}, parse, config.timeout_seconds)
