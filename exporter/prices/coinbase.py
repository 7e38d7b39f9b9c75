"""Coinbase: `GET /v2/prices/{BASE}-USD/spot` -> `{"data":{"amount":"...","base":"BTC","currency":"USD"}}`.

One request per asset (Coinbase has no bulk endpoint here), a few at a time. Prices are in USD, so
USDT-USD and USDC-USD are asked for too: they express the USD prices in the oracle's currency, and
without USDT-USD the poll fails (reason `conversion`). A 400 or 404 means Coinbase has no such
pair: that asset is left out. Any other failure fails
the whole poll of the source, so a half-answered poll never looks like a healthy one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import httpx

from exporter.config import PriceSourceConfig
from exporter.prices.errors import SourceError
from exporter.prices.http import get_json
from exporter.prices.quotes import STABLECOINS, Quotes
from exporter.prices.tickers import positive_price

SOURCE = "coinbase"
NO_SUCH_PAIR = (400, 404)


def spot_path(base: str) -> str:
    return f"/v2/prices/{base}-USD/spot"


def parse(payload: Any, base: str) -> float | None:
    """The USD price of `base`; None when Coinbase answers for another asset or currency."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        raise SourceError(SOURCE, "shape", f"{spot_path(base)}: expected an object at data")
    if data.get("currency", "USD") != "USD" or data.get("base", base) != base:
        return None
    price = positive_price(data.get("amount"))
    if price is None:
        raise SourceError(SOURCE, "shape", f"{spot_path(base)}: expected a positive price at data.amount")
    return price


@dataclass(frozen=True, slots=True)
class CoinbaseSource:
    base_url: str
    timeout: float
    max_concurrency: int
    name: str = SOURCE

    async def fetch(self, http: httpx.AsyncClient, bases: Collection[str]) -> Quotes:
        limit = asyncio.Semaphore(self.max_concurrency)

        async def one(base: str) -> float | None:
            async with limit:
                url = self.base_url + spot_path(base)
                payload = await get_json(http, SOURCE, url, self.timeout, absent_statuses=NO_SUCH_PAIR)
            return None if payload is None else parse(payload, base)

        ordered = sorted(set(bases) | set(STABLECOINS))
        results = await asyncio.gather(*(one(base) for base in ordered), return_exceptions=True)
        prices: dict[str, float] = {}
        for base, result in zip(ordered, results, strict=True):
            if isinstance(result, BaseException):
                raise result
            if result is not None:
                prices[base] = result
        if "USDT" not in prices:
            raise SourceError(SOURCE, "conversion", "no USDT-USD price: cannot express USD quotes in USDT")
        return Quotes({"USD": prices})


def source(config: PriceSourceConfig, max_concurrency: int) -> CoinbaseSource:
    return CoinbaseSource(config.base_url, config.timeout_seconds, max_concurrency)
