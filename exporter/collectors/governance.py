"""What validators and the protocol decide (collector `governance`): pending validator votes and the coins
they concern, the validator set's health, the Assistance Fund's HYPE, and the HYPE staking and unstaking
queue of the monitored accounts.

One poller, every `interval_seconds` (300 s): validatorL1Votes (20), validatorSummaries (20), the
Assistance Fund's spotClearinghouseState (2) and one monitored account's delegatorSummary (20, in turn:
staking.py), 12.4 weight/min. These move in hours (a vote stays open for days, an unstaking takes 7), so
a slow poll costs no detection that matters. A vote's stake share is the stake of the
validators that voted for it (matched by validator or signer address) over the whole set's stake.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Sequence
from typing import Any

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from exporter.collectors.base import Poller
from exporter.collectors.context import CollectorContext
from exporter.collectors.dex_schedule import discovery_weight_per_minute
from exporter.collectors.market import count_skipped
from exporter.collectors.staking import StakingRotation
from exporter.config import Config, GovernanceCollectorConfig
from exporter.hyperliquid.budget import Priority
from exporter.hyperliquid.errors import ParseError, UpstreamError
from exporter.hyperliquid.governance import (
    SPOT_CLEARINGHOUSE_STATE,
    VALIDATOR_L1_VOTES,
    VALIDATOR_SUMMARIES,
    PendingVote,
    Validators,
    parse_spot_balance,
    parse_validator_l1_votes,
    parse_validator_summaries,
)
from exporter.hyperliquid.staking import DELEGATOR_SUMMARY, parse_delegator_summary
from exporter.hyperliquid.weights import weight_per_minute

log = logging.getLogger(__name__)

COLLECTOR = "governance"
# The least a stretched governance poll plans: one weight a minute (a poll about every 42 minutes).
MIN_WEIGHT_PER_MINUTE = 1.0
HYPE = "HYPE"


class GovernancePoller:
    name = "governance"
    collector = COLLECTOR

    def __init__(
        self,
        config: GovernanceCollectorConfig,
        context: CollectorContext,
        room_per_minute: float = math.inf,
        staking: StakingRotation | None = None,
    ) -> None:
        self._config = config
        self._context = context
        self._staking = staking if staking is not None and staking.accounts else None
        # These change over hours: when the other collectors leave less room in the budget than a poll
        # every interval_seconds costs, the interval stretches to fit (never below one weight a minute).
        per_poll = sum(weight_per_minute(request, 60.0) for request in self._requests())
        fitting = 60.0 * per_poll / max(room_per_minute, MIN_WEIGHT_PER_MINUTE)
        self.interval = max(config.interval_seconds, fitting)
        self.max_age = config.max_age(self.interval)
        self._first_poll = True

    def _requests(self) -> tuple[str, ...]:
        requests = (VALIDATOR_L1_VOTES, VALIDATOR_SUMMARIES, SPOT_CLEARINGHOUSE_STATE)
        return (*requests, DELEGATOR_SUMMARY) if self._staking is not None else requests

    @property
    def planned_weight_per_minute(self) -> float:
        return sum(weight_per_minute(request, self.interval) for request in self._requests())

    async def _info(self, body: dict[str, Any]) -> Any:
        # Behind everything else in the budget's queue (these change over hours, a wait costs nothing),
        # except the first poll: with the streams down the queue is never empty of higher priorities,
        # and `/-/ready` waits for every poller's first poll.
        priority = Priority.NORMAL if self._first_poll else Priority.LOW
        return await self._context.client.info(body, COLLECTOR, priority=priority)

    async def poll(self) -> Sequence[Metric]:
        try:
            votes_raw, validators_raw, fund_raw, _ = await asyncio.gather(
                self._info({"type": VALIDATOR_L1_VOTES}),
                self._info({"type": VALIDATOR_SUMMARIES}),
                self._info({"type": SPOT_CLEARINGHOUSE_STATE, "user": self._config.assistance_fund}),
                # Not in the first poll: a staking summary (weight 20) moves over days, and at start-up it
                # would push every other poller's first success back by a second at the shipped budget.
                self._read_staking() if not self._first_poll else asyncio.sleep(0),
            )
        finally:
            self._first_poll = False
        votes = parse_validator_l1_votes(votes_raw)
        validators = parse_validator_summaries(validators_raw)
        count_skipped(self._context, (*votes.skipped, *validators.skipped))
        fund_hype = parse_spot_balance(fund_raw, HYPE)
        return [
            *vote_families(votes.votes, validators, self.interval),
            *validator_families(validators, self.interval),
            _gauge(
                "hyperliquid_assistance_fund_hype",
                "HYPE held by the Assistance Fund, which buys HYPE with trading fees",
                [],
                SPOT_CLEARINGHOUSE_STATE,
                self.interval,
                [([], fund_hype)],
            ),
            *(self._staking.families(self._context.clock(), self.interval) if self._staking else []),
        ]

    async def _read_staking(self) -> None:
        """One monitored account's staking summary; its failure costs that reading, not the poll."""
        account = self._staking.next_account() if self._staking is not None else None
        if self._staking is None or account is None:
            return
        try:
            summary = parse_delegator_summary(await self._info({"type": DELEGATOR_SUMMARY, "user": account}))
        except (UpstreamError, ParseError) as exc:
            log.info("staking summary of %s unavailable (%s); read again at its next turn", account, exc)
            if isinstance(exc, ParseError):
                self._context.count_malformed(DELEGATOR_SUMMARY)
            return
        self._staking.observe(account, summary, self._context.clock())


def _gauge(
    name: str,
    meaning: str,
    labels: list[str],
    request: str,
    interval: float,
    samples: list[tuple[list[str], float]],
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        name, f"{meaning} (polled every {interval:g} s from {request}).", labels=labels
    )
    for values, value in samples:
        family.add_metric(values, value)
    return family


def _stake_share(vote: PendingVote, validators: Validators) -> float:
    total = sum(v.stake_hype for v in validators.validators)
    voted = sum(v.stake_hype for v in validators.validators if {v.validator, v.signer} & vote.voters)
    return voted / total if total > 0 else 0.0


def vote_families(votes: Sequence[PendingVote], validators: Validators, interval: float) -> list[Metric]:
    """Per (action, coin): how many votes are pending, the largest stake share behind one, the soonest
    expiry. A vote naming no coin is counted under coin ""."""
    count: dict[tuple[str, str], float] = {}
    share: dict[tuple[str, str], float] = {}
    expiry: dict[tuple[str, str], float] = {}
    for vote in votes:
        for coin in vote.coins or ("",):
            key = (vote.action, coin)
            count[key] = count.get(key, 0.0) + 1
            share[key] = max(share.get(key, 0.0), _stake_share(vote, validators))
            expiry[key] = min(expiry.get(key, float("inf")), vote.expires_ms / 1000)
    labels = ["action", "coin"]
    return [
        _gauge(
            "hyperliquid_governance_votes_pending",
            "Validator L1 votes pending, by action tag (D, C, ...) and the coin they name",
            labels,
            VALIDATOR_L1_VOTES,
            interval,
            [(list(key), value) for key, value in count.items()],
        ),
        _gauge(
            "hyperliquid_governance_vote_stake_ratio",
            "Share of the validators' stake that voted for the pending vote (the largest, if several)",
            labels,
            VALIDATOR_L1_VOTES,
            interval,
            [(list(key), value) for key, value in share.items()],
        ),
        _gauge(
            "hyperliquid_governance_vote_expiry_timestamp_seconds",
            "Unix time at which the pending vote lapses (the soonest, if several)",
            labels,
            VALIDATOR_L1_VOTES,
            interval,
            [(list(key), value) for key, value in expiry.items()],
        ),
    ]


def validator_families(validators: Validators, interval: float) -> list[Metric]:
    every = validators.validators
    total = sum(v.stake_hype for v in every)
    counted = {
        "active": sum(1.0 for v in every if v.active and not v.jailed),
        "jailed": sum(1.0 for v in every if v.jailed),
        "inactive": sum(1.0 for v in every if not v.active and not v.jailed),
    }
    active_stake = sum(v.stake_hype for v in every if v.active and not v.jailed)
    largest = max((v.stake_hype for v in every), default=0.0)
    active_share, largest_share = (active_stake / total, largest / total) if total > 0 else (0.0, 0.0)
    return [
        _gauge(
            "hyperliquid_validators",
            "Validators by state: active (and not jailed), jailed, inactive",
            ["state"],
            VALIDATOR_SUMMARIES,
            interval,
            [([state], value) for state, value in counted.items()],
        ),
        _gauge(
            "hyperliquid_staked_hype",
            "HYPE staked with all validators (stake is in 1e-8 HYPE in the answer)",
            [],
            VALIDATOR_SUMMARIES,
            interval,
            [([], total)],
        ),
        _gauge(
            "hyperliquid_validator_active_stake_ratio",
            "Share of staked HYPE behind active, unjailed validators",
            [],
            VALIDATOR_SUMMARIES,
            interval,
            [([], active_share)],
        ),
        _gauge(
            "hyperliquid_validator_largest_stake_ratio",
            "Share of staked HYPE behind the largest single validator",
            [],
            VALIDATOR_SUMMARIES,
            interval,
            [([], largest_share)],
        ),
    ]


def staking_accounts(config: Config) -> list[str]:
    """Whose staking summary is read, in this order: the watched accounts (the likelier stakers, read
    first after a start) and the configured vaults (HLP)."""
    if not config.collectors.governance.staking_summaries:
        return []
    collectors = config.collectors
    vaults = [vault.address for vault in collectors.vaults.vaults] if collectors.vaults.enabled else []
    watched = (
        [account.address for account in collectors.accounts.watched] if collectors.accounts.enabled else []
    )
    return [*watched, *vaults]


def pollers(config: Config, context: CollectorContext, planned_elsewhere: float = 0.0) -> list[Poller]:
    """`planned_elsewhere`: what the collectors before it plan; the builder dexes' discovery is kept
    room for (they take what is left after governance)."""
    section = config.collectors.governance
    if not section.enabled:
        return []
    dexes = config.collectors.dexes
    reserved = discovery_weight_per_minute(dexes) if dexes.enabled else 0.0
    room = config.hyperliquid.weight_budget_per_minute - planned_elsewhere - reserved
    poller = GovernancePoller(section, context, room, StakingRotation(staking_accounts(config)))
    if poller.interval > section.interval_seconds:
        log.warning(
            "the other collectors leave %.1f weight/min of the %.0f budget: governance is polled every "
            "%.0f s instead of collectors.governance.interval_seconds=%.0f",
            max(room, 0.0),
            config.hyperliquid.weight_budget_per_minute,
            poller.interval,
            section.interval_seconds,
        )
    return [poller]
