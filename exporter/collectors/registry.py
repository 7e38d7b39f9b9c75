"""Which pollers run, from the config. Each collector module exposes `pollers(config, context)`."""

from __future__ import annotations

from exporter.collectors import (
    accounts,
    book_depth,
    dexes,
    fills,
    governance,
    liveness,
    market,
    node,
    prices,
    spot_volume,
    vaults,
)
from exporter.collectors.base import Poller
from exporter.collectors.context import CollectorContext
from exporter.config import Config


def build_pollers(config: Config, context: CollectorContext) -> list[Poller]:
    pollers: list[Poller] = []
    pollers += market.pollers(config, context)
    pollers += prices.pollers(config, context)
    pollers += spot_volume.pollers(config, context)
    pollers += vaults.pollers(config, context)
    pollers += accounts.pollers(config, context)
    pollers += fills.pollers(config, context)
    pollers += liveness.pollers(config, context)
    pollers += node.pollers(config, context)
    # Then governance, slow by nature: stretched to fit what the others leave.
    pollers += governance.pollers(config, context, sum(p.planned_weight_per_minute for p in pollers))
    # Last: builder dexes get what the others leave of the weight budget (up to their own cap).
    pollers += dexes.pollers(config, context, sum(p.planned_weight_per_minute for p in pollers))
    # Order-book depth: what is left of the whole budget.
    pollers += book_depth.pollers(config, context, sum(p.planned_weight_per_minute for p in pollers))
    return pollers
