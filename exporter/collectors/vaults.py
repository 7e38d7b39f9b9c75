"""Vault collector: `vaultDetails` of each configured vault (default HLP).

PnL windows come from `pnlHistory` (cumulative PnL since the window started), never from
account value, which moves with deposits and withdrawals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from exporter.collectors.base import Poller
from exporter.collectors.context import CollectorContext
from exporter.config import Config, VaultRef, VaultsCollectorConfig
from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.vaults import VAULT_DETAILS, VaultDetails, parse_vault_details
from exporter.hyperliquid.weights import weight_per_minute

COLLECTOR = "vaults"
PNL_WINDOWS = ("day", "week", "month", "allTime")


class VaultPoller:
    name = "vaults"
    collector = COLLECTOR

    def __init__(self, config: VaultsCollectorConfig, context: CollectorContext) -> None:
        self._config = config
        self._context = context
        self.interval = config.interval_seconds
        self.max_age = config.max_age()
        # A vault listed twice would repeat its series: the first entry (and its name) wins.
        unique: dict[str, VaultRef] = {}
        for vault in config.vaults:
            unique.setdefault(vault.address, vault)
        self._vaults = list(unique.values())

    @property
    def planned_weight_per_minute(self) -> float:
        return weight_per_minute(VAULT_DETAILS, self.interval, len(self._vaults))

    async def _details(self, vault: VaultRef) -> VaultDetails:
        raw = await self._context.shared_reads.info(
            self._context.client, {"type": VAULT_DETAILS, "vaultAddress": vault.address}, COLLECTOR
        )
        details = parse_vault_details(raw)
        if details is None:
            raise ParseError(VAULT_DETAILS, "$", f"null: {vault.address} is not a known vault")
        for _ in range(details.malformed):
            self._context.count_malformed(VAULT_DETAILS)
        return details

    async def poll(self) -> Sequence[Metric]:
        results = await asyncio.gather(*(self._details(v) for v in self._vaults), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        every = f"polled every {self.interval:g} s from vaultDetails"
        info = GaugeMetricFamily(
            "hyperliquid_vault_info",
            f"Monitored vault and its name; always 1 ({every}).",
            labels=["vault", "name"],
        )
        value = GaugeMetricFamily(
            "hyperliquid_vault_account_value_usd",
            f"Vault account value in USD, including deposits and withdrawals: newest point of "
            f"accountValueHistory ({every}).",
            labels=["vault"],
        )
        pnl = GaugeMetricFamily(
            "hyperliquid_vault_pnl_usd",
            f"Vault PnL in USD accumulated since the start of the window (day, week, month, allTime): newest "
            f"point of pnlHistory, points about 2.3 h apart; deposits and withdrawals excluded ({every}).",
            labels=["vault", "window"],
        )
        apr = GaugeMetricFamily(
            "hyperliquid_vault_apr_ratio",
            f"Vault annualised return as reported by Hyperliquid, as a ratio (0.36 = 36%) ({every}).",
            labels=["vault"],
        )
        for vault, details in zip(self._vaults, results, strict=True):
            assert isinstance(details, VaultDetails)
            info.add_metric([vault.address, vault.name or details.name], 1.0)
            latest_value = details.account_value
            if latest_value is not None:
                value.add_metric([vault.address], latest_value.value)
            for window in PNL_WINDOWS:
                history = details.portfolio.windows.get(window)
                latest = history.latest_pnl if history else None
                if latest is not None:
                    pnl.add_metric([vault.address, window], latest.value)
            if details.apr is not None:
                apr.add_metric([vault.address], details.apr)
        return [info, value, pnl, apr]


def pollers(config: Config, context: CollectorContext) -> list[Poller]:
    section = config.collectors.vaults
    if not section.enabled or not section.vaults:
        return []
    return [VaultPoller(section, context)]
