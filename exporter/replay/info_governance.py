"""Governance bodies of `/info`: validatorL1Votes, validatorSummaries, spotClearinghouseState (the
Assistance Fund's HYPE; any other account holds no spot balance here) and delegatorSummary (an account's
HYPE staking and unstaking queue)."""

from __future__ import annotations

from typing import Any

from exporter.replay.clock import ScenarioClock
from exporter.replay.governance import ASSISTANCE_FUND, Governance
from exporter.replay.numbers import decimal_string

Json = Any
HYPE_TOKEN = 150  # HYPE's spot token index on mainnet
HYPE_WEI = 100_000_000


class GovernanceBodies:
    def __init__(self, governance: Governance, clock: ScenarioClock) -> None:
        self._governance = governance
        self._clock = clock

    def validator_l1_votes(self, now: float) -> Json:
        """Shape: nktkas/hyperliquid src/api/info/_methods/validatorL1Votes.ts."""
        bodies = []
        for vote in self._governance.pending(now):
            action: Json = {"D": vote.coins[0]} if vote.action == "D" else {vote.action: list(vote.coins)}
            expire_ms = int(self._clock.wall_ms(vote.expire_seconds))
            bodies.append({"expireTime": expire_ms, "action": action, "votes": list(vote.voters)})
        return bodies

    def validator_summaries(self, now: float) -> Json:
        """Shape: nktkas/hyperliquid validatorSummaries.ts; stake in 1e-8 HYPE."""
        jailed = self._governance.jailed_count(now)
        stats = {"uptimeFraction": "1.0", "predictedApr": "0.022", "nSamples": 1440}
        return [
            {
                "validator": v.validator,
                "signer": v.signer,
                "name": v.name,
                "description": "",
                "nRecentBlocks": 0 if index < jailed else 100,
                "stake": int(v.stake_hype * HYPE_WEI),
                "isJailed": index < jailed,
                "unjailableAfter": None,
                "isActive": index >= jailed,
                "commission": "0.05",
                "stats": [["day", stats], ["week", stats], ["month", stats]],
            }
            for index, v in enumerate(self._governance.validators)
        ]

    def delegator_summary(self, user: str) -> Json:
        """Shape: the GitBook info-endpoint example and nktkas/hyperliquid delegatorSummary.ts."""
        staker = self._governance.stakers.get(user)
        if staker is None:
            return {
                "delegated": "0.0",
                "undelegated": "0.0",
                "totalPendingWithdrawal": "0.0",
                "nPendingWithdrawals": 0,
            }
        return {
            "delegated": decimal_string(staker.delegated_hype, 8),
            "undelegated": decimal_string(staker.undelegated_hype, 8),
            "totalPendingWithdrawal": decimal_string(staker.pending_withdrawal_hype, 8),
            "nPendingWithdrawals": staker.pending_withdrawals,
        }

    def spot_clearinghouse_state(self, user: str, now: float) -> Json:
        """Shape: nktkas/hyperliquid spotClearinghouseState.ts."""
        if user != ASSISTANCE_FUND:
            return {"balances": []}
        total = self._governance.assistance_fund_hype.value_at(now)
        return {
            "balances": [
                {
                    "coin": "HYPE",
                    "token": HYPE_TOKEN,
                    "total": decimal_string(total, 8),
                    "hold": "0.0",
                    "entryNtl": "0.0",
                }
            ]
        }
