"""HYPE staking and the unstaking queue of the monitored accounts (HLP's vaults and the watched accounts),
read by the governance poller one account per poll.

The public info API gives the unstaking queue per account only (`delegatorSummary`, weight 20), not for
the venue. Reading every account on every governance poll would cost 20 per account; one account per
poll, in turn, adds a fixed 20 to each governance poll whatever the number of accounts, and each account
is read every (number of accounts) polls. Its last reading is published until two turns have passed
without a new one. Only accounts that stake (anything delegated, undelegated or pending) are published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from exporter.hyperliquid.staking import DELEGATOR_SUMMARY, StakingSummary


@dataclass(frozen=True, slots=True)
class _Reading:
    summary: StakingSummary
    at: float


class StakingRotation:
    def __init__(self, accounts: Sequence[str]) -> None:
        self.accounts = tuple(dict.fromkeys(address.lower() for address in accounts))
        self._turn = 0
        self._readings: dict[str, _Reading] = {}

    def next_account(self) -> str | None:
        """The account to read on this poll (None when there is none); the next poll reads the next."""
        if not self.accounts:
            return None
        account = self.accounts[self._turn % len(self.accounts)]
        self._turn += 1
        return account

    def observe(self, account: str, summary: StakingSummary, at: float) -> None:
        self._readings[account] = _Reading(summary, at)

    def families(self, now: float, interval: float) -> list[Metric]:
        """The accounts that stake, read within two full turns of `interval`-second polls."""
        max_age = 2 * max(len(self.accounts), 1) * interval
        source = f"(polled from {DELEGATOR_SUMMARY}, one monitored account every {interval:g} s in turn)."
        delegated = GaugeMetricFamily(
            "hyperliquid_account_staked_hype",
            f"HYPE the account has delegated to validators {source}",
            labels=["account"],
        )
        undelegated = GaugeMetricFamily(
            "hyperliquid_account_staking_undelegated_hype",
            f"HYPE in the account's staking balance, not delegated {source}",
            labels=["account"],
        )
        pending = GaugeMetricFamily(
            "hyperliquid_account_unstaking_pending_hype",
            f"HYPE the account has in the 7-day unstaking queue (staking to spot) {source}",
            labels=["account"],
        )
        count = GaugeMetricFamily(
            "hyperliquid_account_unstaking_pending_withdrawals",
            f"Withdrawals from staking to spot the account has pending {source}",
            labels=["account"],
        )
        for account in self.accounts:
            reading = self._readings.get(account)
            if reading is None or now - reading.at > max_age or not reading.summary.stakes:
                continue
            summary = reading.summary
            delegated.add_metric([account], summary.delegated_hype)
            undelegated.add_metric([account], summary.undelegated_hype)
            pending.add_metric([account], summary.pending_withdrawal_hype)
            count.add_metric([account], float(summary.pending_withdrawals))
        return [delegated, undelegated, pending, count]
