"""Hyperliquid spot as a reference for the USDC-denominated perps (HYPE, PURR), whose main oracle
source it is: `POST /info {"type":"allMids"}` (weight 2) gives every mid, spot pairs under keys like
`@107` (HYPE/USDC on mainnet) or `PURR/USDC`. Spot mids are in USDC, the pairs' quote token.

The same answer prices every spot token that has a USDC pair: the watched stablecoins (USDH) and the
builder dexes' collateral tokens are read from it every poll, with the token table (which pair is
whose) from the spot-volume poller's `spotMetaAndAssetCtxs`, read every 300 s."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

import httpx

from exporter.collectors.dex_collateral import LatestSpotTokens
from exporter.hyperliquid.client import InfoClient
from exporter.hyperliquid.errors import UpstreamError
from exporter.hyperliquid.spot import stablecoin_prices
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
    # The spot token table, refreshed with these mids; the stablecoins whose USDC price is published.
    tokens: LatestSpotTokens | None = None
    stablecoins: tuple[str, ...] = ()
    clock: Callable[[], float] = field(default=lambda: 0.0)

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
        return Quotes({"USDC": mids}, watched_stablecoins=self._stablecoin_prices(payload))

    def _stablecoin_prices(self, payload: Mapping[str, object]) -> dict[tuple[str, str], float]:
        if self.tokens is None:
            return {}
        now = self.clock()
        self.tokens.observe_mids(payload, now)
        table = self.tokens.fresh(now)
        if table is None:
            return {}
        return {(token, "USDC"): price for token, price in stablecoin_prices(table, self.stablecoins).items()}
