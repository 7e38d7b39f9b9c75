"""24-hour notional volume of the Hyperliquid spot pairs behind the USDC-denominated perps (HYPE, PURR),
and the spot token table: which pair prices which token. The spot prices poller reads the watched
stablecoins' (USDH) and the builder dexes' collateral prices from `allMids` every poll with this table;
the dexes poller names each dex's collateral from it (dex_collateral.py).

Spot is those perps' main oracle source, so a thin spot market is a weak oracle. `allMids` (the spot
prices poller) carries no volume; `spotMetaAndAssetCtxs` (weight 20) does, for every pair, and volume
over 24 hours changes slowly: it is polled every `reference_prices.hyperliquid_spot.volume_interval_seconds`
(300 s: 4 weight/min). A failed poll withdraws the volumes (the prices poller's
`hyperliquid_external_source_up{source="hyperliquid_spot"}` reports the source itself).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from exporter.collectors.base import Poller
from exporter.collectors.context import CollectorContext
from exporter.collectors.market import count_skipped
from exporter.config import Config
from exporter.failure_tracker import FailureTracker
from exporter.hyperliquid.errors import ParseError, UpstreamError
from exporter.hyperliquid.spot import (
    SPOT_META_AND_ASSET_CTXS,
    parse_spot_tokens,
    parse_spot_volumes,
)
from exporter.hyperliquid.weights import weight_per_minute
from exporter.scheduler import failure_kind

log = logging.getLogger(__name__)

COLLECTOR = "prices"
# Every spot pair Hyperliquid lists so far is quoted in USDC.
SPOT_QUOTE = "USDC"


class SpotVolumePoller:
    name = "prices_hyperliquid_spot_volume"
    collector = COLLECTOR

    def __init__(
        self,
        pairs: dict[str, str],
        interval: float,
        context: CollectorContext,
    ) -> None:
        self._pairs = dict(pairs)  # perp coin -> spot pair key
        self._context = context
        self.interval = interval
        self.max_age = 3 * interval
        self.planned_weight_per_minute = weight_per_minute(SPOT_META_AND_ASSET_CTXS, interval)
        self._failure = FailureTracker()

    async def poll(self) -> Sequence[Metric]:
        family = GaugeMetricFamily(
            "hyperliquid_spot_day_notional_volume",
            "Notional volume over the last 24 hours of the Hyperliquid spot pair behind a USDC-denominated "
            "perp, in the pair's quote token (label quote) "
            f"(polled from {SPOT_META_AND_ASSET_CTXS} dayNtlVlm).",
            labels=["coin", "pair", "quote"],
        )
        try:
            # The prices collector's usual priority, not LOW: behind the start-up burst a LOW request can
            # wait over a minute, and the collector's last success (0 until then) raises HyperliquidDataStale.
            body = {"type": SPOT_META_AND_ASSET_CTXS}
            response = await self._context.client.info(body, COLLECTOR)
            volumes = parse_spot_volumes(response)
            tokens = parse_spot_tokens(response)
        except (UpstreamError, ParseError) as exc:
            kind, message = failure_kind(exc)
            if self._failure.failed(kind):
                log.warning("spot volumes unavailable (%s); withdrawn until the next poll succeeds", message)
            return [family]
        if self._failure.succeeded():
            log.info("spot volumes available again")
        # Which pair prices which token: the spot prices poller's allMids and the dexes poller read it.
        self._context.spot_tokens.publish(tokens, self._context.clock(), self.max_age)
        count_skipped(self._context, volumes.skipped)
        for coin, pair in self._pairs.items():
            volume = volumes.by_pair.get(pair)
            if volume is not None:
                family.add_metric([coin, pair, SPOT_QUOTE], volume)
        return [family]


def pollers(config: Config, context: CollectorContext) -> list[Poller]:
    prices = config.reference_prices
    spot = prices.hyperliquid_spot
    # Like the spot prices, a reference for the perps the market collector watches.
    if not (prices.enabled and spot.enabled and spot.pairs and config.collectors.market.enabled):
        return []
    pairs = {coin: key for coin, key in spot.pairs.items() if coin not in prices.exclude_coins}
    return [SpotVolumePoller(pairs, spot.volume_interval_seconds, context)]
