"""Typed parser for one account's HYPE staking: `{"type": "delegatorSummary", "user": "0x…"}` (weight 20).

Shape (Hyperliquid's GitBook info-endpoint page, "Query a user's staking summary", and nktkas/hyperliquid
src/api/info/_methods/delegatorSummary.ts; the official Python SDK's `user_staking_summary` documents the
same four fields):
`{"delegated": "12060.16529862", "undelegated": "0.0", "totalPendingWithdrawal": "0.0",
"nPendingWithdrawals": 0}`: HYPE delegated to validators, HYPE in the staking balance but not delegated,
HYPE on its way from staking to spot (the 7-day unstaking queue) and how many such withdrawals there are.

The public info API has this per account only: no request gives the venue-wide unstaking queue
(docs/metrics.md, "HYPE staking and the unstaking queue").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.fields import JsonObject

DELEGATOR_SUMMARY = "delegatorSummary"


@dataclass(frozen=True, slots=True)
class StakingSummary:
    delegated_hype: float
    undelegated_hype: float
    pending_withdrawal_hype: float
    pending_withdrawals: int

    @property
    def stakes(self) -> bool:
        """The account has HYPE staked, in its staking balance, or in the unstaking queue."""
        return self.delegated_hype > 0 or self.undelegated_hype > 0 or self.pending_withdrawal_hype > 0


def parse_delegator_summary(response: Any) -> StakingSummary:
    body = JsonObject(response, DELEGATOR_SUMMARY, "$")
    summary = StakingSummary(
        delegated_hype=body.number("delegated"),
        undelegated_hype=body.number("undelegated"),
        pending_withdrawal_hype=body.number("totalPendingWithdrawal"),
        pending_withdrawals=body.integer("nPendingWithdrawals"),
    )
    for name, value in (
        ("delegated", summary.delegated_hype),
        ("undelegated", summary.undelegated_hype),
        ("totalPendingWithdrawal", summary.pending_withdrawal_hype),
        ("nPendingWithdrawals", summary.pending_withdrawals),
    ):
        if value < 0:
            raise ParseError(DELEGATOR_SUMMARY, f"$.{name}", "is negative")
    return summary
