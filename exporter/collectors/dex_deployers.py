"""What a builder dex's deployer controls, published per dex: sub-deployers, funding multipliers, caps
from perpDexLimits, the collateral token (and its price in USDC, dex_collateral.py) and which markets are
halted.

Halted markets: no public SDK schema carries a halt flag (nktkas/hyperliquid's meta.ts and perpDexs.ts
have none; `haltTrading {coin, isHalted}` is the deployer's action). A halted builder-dex perp is read
from the only flag the dex's `meta` has for a market that stopped trading, `isDelisted`; this is an
assumption, stated in docs/builder-dexes.md, until a recorded response shows otherwise.
"""

from __future__ import annotations

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from exporter.collectors.dex_collateral import CollateralPegFamilies
from exporter.hyperliquid.dexes import PERP_DEX_LIMITS, PERP_DEXS, PerpDex, PerpDexLimits
from exporter.hyperliquid.market import META_AND_ASSET_CTXS, MarketData
from exporter.hyperliquid.spot import SpotTokens


def _gauge(name: str, meaning: str, labels: list[str], request: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, f"{meaning} (polled from {request}).", labels=labels)


class DeployerFamilies:
    def __init__(self, spot: SpotTokens | None = None) -> None:
        """`spot`: the latest fresh spot token table, which names and prices each dex's collateral."""
        self.collateral_peg = CollateralPegFamilies(spot)
        self.sub_deployers = _gauge(
            "hyperliquid_dex_sub_deployer_info",
            "Address the dex's deployer delegated an action to (function: e.g. setOracle); always 1",
            ["dex", "function", "address"],
            f"{PERP_DEXS} subDeployers",
        )
        self.funding_multiplier = _gauge(
            "hyperliquid_dex_funding_multiplier",
            "Multiplier the deployer applies to the perp's funding rate (0 to 10)",
            ["coin", "dex"],
            f"{PERP_DEXS} assetToFundingMultiplier",
        )
        self.coin_cap = _gauge(
            "hyperliquid_dex_coin_open_interest_cap_usd",
            "Open-interest cap of a builder-dex perp in the dex's collateral, as perpDexLimits gives it",
            ["coin", "dex"],
            f"{PERP_DEX_LIMITS} coinToOiCap",
        )
        self.size_cap = _gauge(
            "hyperliquid_dex_open_interest_size_cap_per_perp",
            "Open-interest cap of each perp of the dex, in coins",
            ["dex"],
            f"{PERP_DEX_LIMITS} oiSzCapPerPerp",
        )
        self.transfer_cap = _gauge(
            "hyperliquid_dex_max_transfer_notional_usd",
            "Largest collateral transfer into or out of the dex, in its collateral",
            ["dex"],
            f"{PERP_DEX_LIMITS} maxTransferNtl",
        )
        self.collateral = _gauge(
            "hyperliquid_dex_collateral_token",
            "Spot token index of the dex's collateral (0 is USDC; see spotMeta for the others)",
            ["dex"],
            f"{META_AND_ASSET_CTXS} meta collateralToken",
        )
        self.halted = _gauge(
            "hyperliquid_dex_market_halted",
            "1 if the builder-dex perp has stopped trading (isDelisted in the dex's meta), 0 otherwise",
            ["coin", "dex"],
            META_AND_ASSET_CTXS,
        )

    def add_dex(self, dex: PerpDex) -> None:
        for function, address in dex.sub_deployers:
            self.sub_deployers.add_metric([dex.name, function, address], 1.0)
        for coin, multiplier in dex.funding_multipliers:
            self.funding_multiplier.add_metric([coin, dex.name], multiplier)

    def add_market(self, dex: str, data: MarketData) -> None:
        for perp in data.perps:
            self.halted.add_metric([perp.spec.name, dex], 1.0 if perp.spec.delisted else 0.0)
        if data.terms is not None and data.terms.collateral_token is not None:
            self.collateral.add_metric([dex], float(data.terms.collateral_token))
            self.collateral_peg.add(dex, data.terms.collateral_token)

    def add_limits(self, dex: str, limits: PerpDexLimits) -> None:
        for coin, cap in limits.open_interest_caps:
            self.coin_cap.add_metric([coin, dex], cap)
        if limits.open_interest_size_cap_per_perp is not None:
            self.size_cap.add_metric([dex], limits.open_interest_size_cap_per_perp)
        if limits.max_transfer_notional is not None:
            self.transfer_cap.add_metric([dex], limits.max_transfer_notional)

    def families(self) -> list[Metric]:
        return [
            self.sub_deployers,
            self.funding_multiplier,
            self.coin_cap,
            self.size_cap,
            self.transfer_cap,
            self.collateral,
            *self.collateral_peg.families(),
            self.halted,
        ]
