"""What a reference-price source is: something that returns USD prices per exchange base asset."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from exporter.prices.http import get_json


class PriceSource(Protocol):
    @property
    def name(self) -> str:
        """The `source` label value: binance, okx, bybit, coinbase."""

    async def fetch(self, http: httpx.AsyncClient, bases: Collection[str]) -> dict[str, float]:
        """USD price per base asset (at least those of `bases` the exchange quotes); raises SourceError."""


@dataclass(frozen=True, slots=True)
class BulkTickerSource:
    """An exchange that lists every pair's price in one request."""

    name: str
    url: str
    params: Mapping[str, str]
    parse: Callable[[Any], dict[str, float]]
    timeout: float

    async def fetch(self, http: httpx.AsyncClient, bases: Collection[str]) -> dict[str, float]:
        payload = await get_json(http, self.name, self.url, self.timeout, self.params or None)
        return self.parse(payload)
