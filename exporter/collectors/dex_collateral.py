"""Each builder dex's collateral token and its price in USDC on Hyperliquid spot: the peg a holder's
margin rests on when the dex is not margined in USDC (USDH is one such collateral).

The dex's `meta` names its collateral as a spot token index (`collateralToken`); `spotMetaAndAssetCtxs`,
which the prices collector already polls for spot volumes (weight 20 every 300 s), names that token and
prices its `<TOKEN>/USDC` pair. That poller publishes its latest token table here; the dexes poller
joins each dex's collateral index with it whenever it renders, so no request is added for the peg.

A token with no USDC pair, or whose pair has neither a mid nor a mark, is published as unpriced
(`hyperliquid_dex_collateral_priced` 0, no price), never as 1. USDC itself is priced at exactly 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from exporter.hyperliquid.market import META_AND_ASSET_CTXS
from exporter.hyperliquid.spot import SPOT_META_AND_ASSET_CTXS, SpotTokens
from exporter.prices.tickers import positive_price

QUOTE = "USDC"


@dataclass(frozen=True, slots=True)
class _Observed:
    tokens: SpotTokens
    at: float
    max_age: float


class LatestSpotTokens:
    """The spot token table of the last successful spotMetaAndAssetCtxs poll: written by the spot-volume
    poller, read by the dexes poller. Older than the writer's own maximum age, it is no longer read."""

    def __init__(self) -> None:
        self._observed: _Observed | None = None

    def publish(self, tokens: SpotTokens, at: float, max_age: float) -> None:
        self._observed = _Observed(tokens, at, max_age)

    def observe_mids(self, mids: Mapping[str, object], at: float) -> None:
        """Newer prices for the tokens of the last table, from `allMids` (every pair's mid, polled every
        10 s by the spot prices poller, where the table's own poll runs every 300 s); a pair missing from
        `mids` keeps its price."""
        observed = self._observed
        if observed is None:
            return
        tokens = {
            index: replace(token, usdc_price=positive_price(mids.get(token.usdc_pair)) or token.usdc_price)
            if token.usdc_pair is not None
            else token
            for index, token in observed.tokens.by_index.items()
        }
        self._observed = _Observed(SpotTokens(tokens), max(at, observed.at), observed.max_age)

    def fresh(self, now: float) -> SpotTokens | None:
        observed = self._observed
        if observed is None or now - observed.at > observed.max_age:
            return None
        return observed.tokens


class CollateralPegFamilies:
    """`hyperliquid_dex_collateral_info`, `_price` and `_priced` for the dexes added."""

    def __init__(self, spot: SpotTokens | None) -> None:
        self._spot = spot
        requests = f"{META_AND_ASSET_CTXS} collateralToken, {SPOT_META_AND_ASSET_CTXS}"
        self.info = GaugeMetricFamily(
            "hyperliquid_dex_collateral_info",
            "Collateral token of a builder dex: its spot name (empty when spotMeta lists no token at "
            "that index), index and its spot pair against USDC (empty when it has none); always 1 "
            f"(polled from {requests}).",
            labels=["dex", "token", "token_index", "pair"],
        )
        self.price = GaugeMetricFamily(
            "hyperliquid_dex_collateral_price",
            "Price of one unit of the dex's collateral token in USDC (label quote) on Hyperliquid spot: "
            "its USDC pair's mid, or mark when the book is empty; exactly 1 for USDC; absent when "
            f"unpriced (polled from {requests}).",
            labels=["dex", "token", "quote"],
        )
        self.priced = GaugeMetricFamily(
            "hyperliquid_dex_collateral_priced",
            "1 if the dex's collateral token has a price in USDC on Hyperliquid spot, 0 if it has no "
            f"USDC pair or the pair has no price (polled from {requests}).",
            labels=["dex", "token"],
        )

    def add(self, dex: str, token_index: int) -> None:
        """The dex's collateral; nothing while the spot token table is unknown or stale."""
        if self._spot is None:
            return
        token = self._spot.by_index.get(token_index)
        name = token.name if token is not None else ""
        pair = token.usdc_pair if token is not None and token.usdc_pair is not None else ""
        self.info.add_metric([dex, name, str(token_index), pair], 1.0)
        price = token.usdc_price if token is not None else None
        self.priced.add_metric([dex, name], 0.0 if price is None else 1.0)
        if price is not None:
            self.price.add_metric([dex, name, QUOTE], price)

    def families(self) -> list[Metric]:
        return [self.info, self.price, self.priced]
