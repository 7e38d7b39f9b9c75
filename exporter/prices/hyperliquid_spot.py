"""Hyperliquid spot as a reference for the USDC-denominated perps (HYPE, PURR), whose main oracle
source it is: `POST /info {"type":"allMids"}` (weight 2) gives every mid, spot pairs under keys like
`@107` (HYPE/USDC on mainnet) or `PURR/USDC`. Spot mids are in USDC, the pairs' quote token."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import httpx

from exporter.hyperliquid.client import InfoClient
from exporter.hyperliquid.errors import UpstreamError
from exporter.prices.errors import SourceError
from exporter.prices.quotes import Quotes
from exporter.prices.tickers import positive_price

SOURCE = "hyperliquid_spot"
REQUEST_TYPE = "allMids"


@dataclass(frozen=True, slots=True)
class SpotPair:
    key: str  # the allMids key: "@107", "PURR/USDC"
    scale: float  # exchange units per Hyperliquid perp unit, as in the symbol map


@dataclass(frozen=True, slots=True)
class HyperliquidSpotSource:
    client: InfoClient
    collector: str
    # Exchange base asset (as the symbol map names it) -> its spot pair.
    pairs: Mapping[str, SpotPair]
    name: str = SOURCE

    async def fetch(self, http: httpx.AsyncClient, bases: Collection[str]) -> Quotes:
        try:
            payload = await self.client.info({"type": REQUEST_TYPE}, self.collector)
        except UpstreamError as exc:
            raise SourceError(SOURCE, exc.reason, f"allMids: {exc}") from None
        if not isinstance(payload, dict):
            raise SourceError(SOURCE, "shape", f"allMids: expected an object, got {type(payload).__name__}")
        mids: dict[str, float] = {}
        for base, pair in self.pairs.items():
            mid = positive_price(payload.get(pair.key))
            if mid is not None and base in bases:
                mids[base] = mid / pair.scale
        return Quotes({"USDC": mids})
