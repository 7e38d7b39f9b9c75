"""What a reference-price source is: something that returns its quotes per currency and base asset."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from exporter.prices.http import get_json
from exporter.prices.quotes import Quotes


class PriceSource(Protocol):
    @property
    def name(self) -> str:
        """The `source` label value: binance, okx, bybit, coinbase."""

    async def fetch(self, http: httpx.AsyncClient, bases: Collection[str]) -> Quotes:
        """Quotes of at least those of `bases` the exchange lists; raises SourceError."""


@dataclass(frozen=True, slots=True)
class BulkTickerSource:
    """An exchange that lists every pair's price in one request."""

    name: str
    url: str
    params: Mapping[str, str]
    parse: Callable[[Any], Quotes]
    timeout: float

    async def fetch(self, http: httpx.AsyncClient, bases: Collection[str]) -> Quotes:
        payload = await get_json(http, self.name, self.url, self.timeout, self.params or None)
        return self.parse(payload)
