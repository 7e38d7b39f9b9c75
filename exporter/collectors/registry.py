"""Which pollers run, from the config. Each collector module exposes `pollers(config, context)`."""

from __future__ import annotations

from exporter.collectors import accounts, fills, market, prices, vaults
from exporter.collectors.base import Poller
from exporter.collectors.context import CollectorContext
from exporter.config import Config


def build_pollers(config: Config, context: CollectorContext) -> list[Poller]:
    pollers: list[Poller] = []
    pollers += market.pollers(config, context)
    pollers += prices.pollers(config, context)
    pollers += vaults.pollers(config, context)
    pollers += accounts.pollers(config, context)
    pollers += fills.pollers(config, context)
    return pollers
