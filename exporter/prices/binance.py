"""Binance: `GET /api/v3/ticker/price`, every pair in one request: `[{"symbol":"BTCUSDT","price":"..."}]`.

This ticker has no bid or ask, so the price is the last trade.
"""

from __future__ import annotations

from typing import Any

from exporter.config import PriceSourceConfig
from exporter.prices.errors import SourceError
from exporter.prices.quotes import Quotes
from exporter.prices.source import BulkTickerSource
from exporter.prices.tickers import quotes_from_tickers

SOURCE = "binance"
PATH = "/api/v3/ticker/price"
SUFFIXES = {"USDT": "USDT", "USDC": "USDC"}


def parse(payload: Any) -> Quotes:
    if not isinstance(payload, list):
        raise SourceError(SOURCE, "shape", f"expected a list of tickers, got {type(payload).__name__}")
    tickers = ((item.get("symbol"), item.get("price")) for item in payload if isinstance(item, dict))
    return quotes_from_tickers(tickers, SUFFIXES)


def source(config: PriceSourceConfig) -> BulkTickerSource:
    return BulkTickerSource(SOURCE, config.base_url + PATH, {}, parse, config.timeout_seconds)
