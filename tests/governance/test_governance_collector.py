"""Validator votes, the validator set and the Assistance Fund: parsed from the SDK-documented shapes and
published by the governance poller against the simulator."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.collectors.context import CollectorContext
from exporter.collectors.governance import GovernancePoller
from exporter.config import ASSISTANCE_FUND, Config
from exporter.exposition import join_pieces, render_families
from exporter.hyperliquid.budget import WeightBudget
from exporter.hyperliquid.client import InfoClient, RequestStats
from exporter.hyperliquid.governance import (
    parse_spot_balance,
    parse_validator_l1_votes,
    parse_validator_summaries,
)
from exporter.replay.app import create_app
from tests.replay.support import WALL_START, Replay

BASE_URL = "http://replay.test"
A = "0x" + "a" * 40
B = "0x" + "b" * 40

# nktkas/hyperliquid validatorL1Votes.ts: the three action variants it lists.
VOTES: Any = [
    {"expireTime": 1_767_000_000_000, "action": {"D": "JELLY"}, "votes": [A]},
    {"expireTime": 1_767_000_100_000, "action": {"C": ["DLX", "xyz:TSLA"]}, "votes": [A, B]},
    {
        "expireTime": 1_767_000_200_000,
        "action": {
            "O": {"registerTokensAndStandaloneOutcome": {"quoteToken": 0, "nameAndDescription": ["a", "b"]}}
        },
        "votes": [],
    },
]
# nktkas/hyperliquid validatorSummaries.ts; stake in 1e-8 HYPE.
VALIDATORS: Any = [
    {
        "validator": A,
        "signer": "0x" + "c" * 40,
        "name": "big",
        "description": "",
        "nRecentBlocks": 10,
        "stake": 300_000_000 * 10**8,
        "isJailed": False,
        "unjailableAfter": None,
        "isActive": True,
        "commission": "0.05",
        "stats": [],
    },
    {
        "validator": B,
        "signer": B,
        "name": "jailed",
        "description": "",
        "nRecentBlocks": 0,
        "stake": 100_000_000 * 10**8,
        "isJailed": True,
        "unjailableAfter": 1_767_000_000_000,
        "isActive": False,
        "commission": "0.05",
        "stats": [],
    },
]


def test_votes_keep_their_tag_and_the_coins_they_name() -> None:
    parsed = parse_validator_l1_votes(VOTES)
    assert parsed.skipped == ()
    assert [(v.action, v.coins, len(v.voters)) for v in parsed.votes] == [
        ("D", ("JELLY",), 1),
        ("C", ("DLX", "xyz:TSLA"), 2),
        ("O", (), 0),
    ]


@pytest.mark.parametrize(
    "bad",
    [
        {"expireTime": 1, "action": {"D": "JELLY", "C": []}, "votes": []},
        {"expireTime": 1, "action": {"D": 42}, "votes": []},
        {"expireTime": 1, "action": {"D": "JELLY"}, "votes": ["nobody"]},
        {"action": {"D": "JELLY"}, "votes": []},
    ],
)
def test_a_malformed_vote_costs_only_itself(bad: object) -> None:
    parsed = parse_validator_l1_votes([*VOTES, bad])
    assert len(parsed.votes) == 3
    assert len(parsed.skipped) == 1


def test_validator_stake_is_read_in_hype() -> None:
    parsed = parse_validator_summaries(VALIDATORS)
    assert [(v.name, v.stake_hype, v.jailed, v.active) for v in parsed.validators] == [
        ("big", 300_000_000.0, False, True),
        ("jailed", 100_000_000.0, True, False),
    ]


def test_spot_balance_reads_one_coin() -> None:
    body = {
        "balances": [
            {"coin": "USDC", "token": 0, "total": "12.5", "hold": "0.0", "entryNtl": "0.0"},
            {"coin": "HYPE", "token": 150, "total": "43459601.14", "hold": "0.0", "entryNtl": "1.0"},
        ]
    }
    assert parse_spot_balance(body, "HYPE") == 43_459_601.14
    assert parse_spot_balance({"balances": []}, "HYPE") == 0.0


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def poll(replay: Replay, at: float) -> Samples:
    config = Config.model_validate({"hyperliquid": {"api_url": BASE_URL, "max_retries": 0}})
    budget, stats = WeightBudget(1_000_000), RequestStats()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(replay.state)), base_url=BASE_URL)
    context = CollectorContext(
        client=InfoClient(BASE_URL, budget, max_retries=0, http=http, stats=stats),
        http=http,
        budget=budget,
        stats=stats,
        clock=lambda: WALL_START + replay.monotonic.value,
    )
    replay.at(at)
    try:
        text = join_pieces(
            [render_families(await GovernancePoller(config.collectors.governance, context).poll())]
        )
    finally:
        await http.aclose()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
    }


async def test_a_vote_and_jailed_validators_show_on_the_simulator() -> None:
    replay = Replay(
        {
            "name": "votes",
            "market": {"baseline": False, "coins": [{"name": "DOGE", "price": 0.16}]},
            "hlp": {"children": []},
            "governance": {"validators": 4, "total_stake_hype": 400e6, "largest_stake_share": 0.4},
            "events": [
                {"at": 100, "kind": "validator_vote", "action": "D", "coins": ["DOGE"], "voters": 2},
                {"at": 100, "kind": "validators_jailed", "count": 1},
            ],
        }
    )
    before = await poll(replay, 50)
    assert not [name for name, _ in before if name == "hyperliquid_governance_votes_pending"]
    assert before[("hyperliquid_validator_active_stake_ratio", frozenset())] == 1.0
    assert before[("hyperliquid_staked_hype", frozenset())] == pytest.approx(400e6)
    assert before[("hyperliquid_assistance_fund_hype", frozenset())] == 40e6
    after = await poll(replay, 150)
    doge = frozenset({("action", "D"), ("coin", "DOGE")})
    assert after[("hyperliquid_governance_votes_pending", doge)] == 1
    # The two largest (40 % and 20 %) voted.
    assert after[("hyperliquid_governance_vote_stake_ratio", doge)] == pytest.approx(0.6)
    assert after[("hyperliquid_validators", frozenset({("state", "jailed")}))] == 1
    assert after[("hyperliquid_validator_active_stake_ratio", frozenset())] == pytest.approx(0.6)
    assert after[("hyperliquid_validator_largest_stake_ratio", frozenset())] == pytest.approx(0.4)


def test_the_default_address_is_the_assistance_fund() -> None:
    assert Config().collectors.governance.assistance_fund == ASSISTANCE_FUND
