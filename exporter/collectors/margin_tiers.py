"""Margin tiers of a perp dex: each margin table's tiers, each coin's table and maintenance margins.

Read from the `meta` half of metaAndAssetCtxs (the market collector's for the first dex, the dexes
collector's for builder dexes, whose deployers insert tables and set each coin's), so they cost no
request of their own. A tier change moves a position's liquidation price without any price moving.
A builder dex's series carry `dex`; its table ids are its own.
"""

from __future__ import annotations

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from exporter.hyperliquid.margin import MetaTerms
from exporter.hyperliquid.market import META_AND_ASSET_CTXS


def margin_families(terms: MetaTerms, interval: float, dex: str = "") -> list[Metric]:
    tail = [dex] if dex else []

    def _gauge(name: str, meaning: str, labels: list[str], interval: float) -> GaugeMetricFamily:
        return GaugeMetricFamily(
            name,
            f"{meaning} (polled every {interval:g} s from {META_AND_ASSET_CTXS} meta).",
            labels=[*labels, *(["dex"] if dex else [])],
        )

    lower = _gauge(
        "hyperliquid_margin_table_tier_lower_bound_usd",
        "Position notional in USD from which the margin table's tier applies",
        ["table", "tier"],
        interval,
    )
    leverage = _gauge(
        "hyperliquid_margin_table_tier_max_leverage",
        "Maximum leverage of the margin table's tier",
        ["table", "tier"],
        interval,
    )
    table = _gauge(
        "hyperliquid_market_margin_table",
        "Id of the margin table that sets the perp's tiers (marginTableId)",
        ["coin"],
        interval,
    )
    maintenance = _gauge(
        "hyperliquid_market_maintenance_margin_ratio",
        "Maintenance margin of the perp's tier, as a ratio of position notional: half the initial margin "
        "at the tier's maximum leverage (tier 0 applies from 0 USD)",
        ["coin", "tier"],
        interval,
    )
    for margin_table in terms.tables:
        for index, tier in enumerate(margin_table.tiers):
            labels = [str(margin_table.table_id), str(index), *tail]
            lower.add_metric(labels, tier.lower_bound_usd)
            leverage.add_metric(labels, tier.max_leverage)
    for coin in terms.coins:
        if coin.table_id is not None:
            table.add_metric([coin.coin, *tail], float(coin.table_id))
        for index, tier in enumerate(coin.tiers):
            maintenance.add_metric([coin.coin, str(index), *tail], tier.maintenance_margin_ratio)
    return [lower, leverage, table, maintenance]
