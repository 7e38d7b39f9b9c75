"""The simulator answers the new requests in the shapes of the public SDK schemas (nktkas/hyperliquid
src/api/info/_methods/{perpDexs,perpDexLimits,validatorL1Votes,validatorSummaries,
spotClearinghouseState,delegatorSummary}.ts), and the exporter's parsers read those answers without a
skipped item."""

from __future__ import annotations

from typing import Any

from exporter.hyperliquid.dexes import parse_perp_dex_limits, parse_perp_dexs
from exporter.hyperliquid.governance import (
    parse_spot_balance,
    parse_validator_l1_votes,
    parse_validator_summaries,
)
from exporter.hyperliquid.staking import parse_delegator_summary
from tests.dexes.test_dex_deployers import SDK_ENTRY
from tests.governance.test_governance_collector import VALIDATORS, VOTES
from tests.governance.test_staking import DOCUMENTED, SCENARIO, STAKER
from tests.replay.shapes import mismatches, schema_of
from tests.replay.support import Replay

PERP_DEX_LIMITS: Any = {
    "totalOiCap": "500000000.0",
    "oiSzCapPerPerp": "1000000000.0",
    "maxTransferNtl": "100000000.0",
    "coinToOiCap": [["xyz:TSLA", "250000000.0"]],
}
SPOT_STATE: Any = {
    "balances": [{"coin": "HYPE", "token": 150, "total": "1.0", "hold": "0.0", "entryNtl": "0.0"}]
}
# Addresses and the main dex's null are data, not shape.
NULLABLE = frozenset({"oracleUpdater", "feeRecipient", "unjailableAfter"})


def assert_shape(example: Any, simulated: Any) -> None:
    problems = mismatches(schema_of(example), simulated, nullable=NULLABLE)
    assert not problems, "\n".join(problems)


def test_perp_dexs_and_limits_with_a_sub_deployer() -> None:
    replay = Replay("hip3-sub-deployer-walk").at(570)
    dexs = replay.info({"type": "perpDexs"})
    assert dexs[0] is None
    for entry in dexs[1:]:
        assert_shape(SDK_ENTRY, entry)
    assert parse_perp_dexs(dexs).skipped == ()
    limits = replay.info({"type": "perpDexLimits", "dex": "xyz"})
    assert_shape(PERP_DEX_LIMITS, limits)
    parsed = parse_perp_dex_limits(limits)
    assert parsed is not None
    assert parsed.total_open_interest_cap == 500_000_000.0


def test_validator_votes_summaries_and_the_assistance_fund() -> None:
    replay = Replay("governance-delist-vote").at(250)
    votes = replay.info({"type": "validatorL1Votes"})
    assert_shape(VOTES[:1], votes)
    assert parse_validator_l1_votes(votes).skipped == ()
    summaries = replay.info({"type": "validatorSummaries"})
    assert_shape(VALIDATORS, summaries)
    assert len(parse_validator_summaries(summaries).validators) == 24
    fund = replay.info({"type": "spotClearinghouseState", "user": "0x" + "fe" * 20})
    assert_shape(SPOT_STATE, fund)
    assert parse_spot_balance(fund, "HYPE") == 40_000_000.0


def test_delegator_summary_for_a_staker_and_for_anyone_else() -> None:
    replay = Replay(SCENARIO).at(10)
    for user in (STAKER, "0x" + "12" * 20):
        simulated = replay.info({"type": "delegatorSummary", "user": user})
        assert_shape(DOCUMENTED, simulated)
        parse_delegator_summary(simulated)
    assert parse_delegator_summary(replay.info({"type": "delegatorSummary", "user": STAKER})).stakes
