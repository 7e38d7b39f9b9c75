"""Binance: `GET /api/v3/ticker/price`, every pair in one request: `[{"symbol":"BTCUSDT","price":"..."}]`."""

from __future__ import annotations

from typing import Any

from exporter.config import PriceSourceConfig
from exporter.prices.errors import SourceError
from exporter.prices.source import BulkTickerSource
from exporter.prices.tickers import usd_prices_from_usdt_tickers

SOURCE = "binance"
PATH = "/api/v3/ticker/price"


def parse(payload: Any) -> dict[str, float]:
    if not isinstance(payload, list):
        raise SourceError(SOURCE, "shape", f"expected a list of tickers, got {type(payload).__name__}")
    tickers = ((item.get("symbol"), item.get("price")) for item in payload if isinstance(item, dict))
    return usd_prices_from_usdt_tickers(SOURCE, tickers, "USDT", "USDCUSDT")


def source(config: PriceSourceConfig) -> BulkTickerSource:
    return BulkTickerSource(SOURCE, config.base_url + PATH, {}, parse, config.timeout_seconds)
