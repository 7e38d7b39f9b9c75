"""Which pollers run, from the config. Each collector module exposes `pollers(config, context)`."""

from __future__ import annotations

from exporter.collectors import accounts, book_depth, dexes, fills, market, prices, spot_volume, vaults
from exporter.collectors.base import Poller
from exporter.collectors.context import CollectorContext
from exporter.config import Config


def build_pollers(config: Config, context: CollectorContext) -> list[Poller]:
    pollers: list[Poller] = []
    pollers += market.pollers(config, context)
    pollers += book_depth.pollers(config, context)
    pollers += prices.pollers(config, context)
    pollers += spot_volume.pollers(config, context)
    pollers += vaults.pollers(config, context)
    pollers += accounts.pollers(config, context)
    pollers += fills.pollers(config, context)
    # Last: builder dexes get what the others leave of the weight budget (up to their own cap).
    pollers += dexes.pollers(config, context, sum(p.planned_weight_per_minute for p in pollers))
    return pollers
