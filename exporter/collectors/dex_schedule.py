"""How often each builder dex is polled, so that all of them together stay within one weight allowance.

Per dex and minute at the configured intervals: metaAndAssetCtxs (20) every `interval_seconds`,
perpDexStatus (20) and perpsAtOpenInterestCap (20) every `status_interval_seconds`, perpDexLimits (20)
every `limits_interval_seconds`, and clearinghouseState (2) of each watched account every
`watched_interval_seconds`; plus one perpDexs (20) every `discovery_interval_seconds` for all dexes.
When that exceeds the allowance, every per-dex interval is stretched by the same factor, so the plan
never exceeds the allowance whatever the number of dexes. A dex whose contexts are streamed is planned
with `contexts_interval` (the slow REST reconciliation) instead of `interval_seconds`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from exporter.config import DexesCollectorConfig
from exporter.hyperliquid.accounts import CLEARINGHOUSE_STATE
from exporter.hyperliquid.dexes import PERP_DEX_LIMITS, PERP_DEX_STATUS, PERP_DEXS
from exporter.hyperliquid.market import META_AND_ASSET_CTXS, OPEN_INTEREST_CAP
from exporter.hyperliquid.weights import weight_per_minute


@dataclass(frozen=True, slots=True)
class DexSchedule:
    """Seconds between requests of one dex (math.inf: not polled at all), and what it all costs."""

    contexts: float
    status: float
    limits: float
    watched: float
    stretch: float
    weight_per_minute: float


def discovery_weight_per_minute(config: DexesCollectorConfig) -> float:
    return weight_per_minute(PERP_DEXS, config.discovery_interval_seconds)


def per_dex_weight_per_minute(
    config: DexesCollectorConfig, watched_accounts: int, contexts_interval: float | None = None
) -> float:
    """One dex's weight per minute at the configured (unstretched) intervals."""
    return (
        weight_per_minute(META_AND_ASSET_CTXS, contexts_interval or config.interval_seconds)
        + weight_per_minute(PERP_DEX_STATUS, config.status_interval_seconds)
        + weight_per_minute(OPEN_INTEREST_CAP, config.status_interval_seconds)
        + weight_per_minute(PERP_DEX_LIMITS, config.limits_interval_seconds)
        + weight_per_minute(CLEARINGHOUSE_STATE, config.watched_interval_seconds, watched_accounts)
    )


def plan_schedule(
    config: DexesCollectorConfig,
    dexes: int,
    watched_accounts: int,
    allowance: float,
    contexts_interval: float | None = None,
) -> DexSchedule:
    discovery = discovery_weight_per_minute(config)
    wanted = dexes * per_dex_weight_per_minute(config, watched_accounts, contexts_interval)
    room = allowance - discovery
    if wanted <= room or dexes == 0:
        stretch = 1.0
    elif room <= 0:
        stretch = math.inf
    else:
        stretch = wanted / room
    spent = discovery + (wanted / stretch if math.isfinite(stretch) else 0.0)
    return DexSchedule(
        contexts=(contexts_interval or config.interval_seconds) * stretch,
        status=config.status_interval_seconds * stretch,
        limits=config.limits_interval_seconds * stretch,
        watched=config.watched_interval_seconds * stretch,
        stretch=stretch,
        weight_per_minute=spent,
    )
