"""The HYPE staking and unstaking queue of the monitored accounts: delegatorSummary parsed from its
documented shape, read one account per governance poll in turn, published for the accounts that stake,
and within the weight plan."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.collectors.context import CollectorContext
from exporter.collectors.governance import GovernancePoller, staking_accounts
from exporter.collectors.staking import StakingRotation
from exporter.config import HLP_VAULT, Config
from exporter.exposition import join_pieces, render_families
from exporter.hyperliquid.budget import WeightBudget
from exporter.hyperliquid.client import InfoClient, RequestStats
from exporter.hyperliquid.errors import ParseError
from exporter.hyperliquid.staking import StakingSummary, parse_delegator_summary
from exporter.replay.app import create_app
from tests.replay.support import WALL_START, Replay

BASE_URL = "http://replay.test"
STAKER = "0x5eed0000000000000000000000000000000000a1"
IDLE = "0x5eed0000000000000000000000000000000000a2"

# Hyperliquid's GitBook info-endpoint page, "Query a user's staking summary" (the same four fields in
# nktkas/hyperliquid delegatorSummary.ts and the Python SDK's user_staking_summary docstring).
DOCUMENTED: Any = {
    "delegated": "12060.16529862",
    "undelegated": "0.0",
    "totalPendingWithdrawal": "0.0",
    "nPendingWithdrawals": 0,
}


def test_the_documented_example_parses() -> None:
    summary = parse_delegator_summary(DOCUMENTED)
    assert summary == StakingSummary(12060.16529862, 0.0, 0.0, 0)
    assert summary.stakes


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        {**DOCUMENTED, "totalPendingWithdrawal": "lots"},
        {**DOCUMENTED, "nPendingWithdrawals": "2"},
        {**DOCUMENTED, "delegated": "-1.0"},
        {key: value for key, value in DOCUMENTED.items() if key != "undelegated"},
    ],
)
def test_a_malformed_summary_is_a_parse_error(bad: Any) -> None:
    with pytest.raises(ParseError):
        parse_delegator_summary(bad)


def test_the_rotation_reads_one_account_per_poll_and_publishes_only_stakers() -> None:
    rotation = StakingRotation([STAKER, IDLE, STAKER.upper().replace("0X", "0x")])
    assert rotation.accounts == (STAKER, IDLE)
    assert [rotation.next_account() for _ in range(5)] == [STAKER, IDLE, STAKER, IDLE, STAKER]
    rotation.observe(STAKER, StakingSummary(100.0, 5.0, 2500.0, 2), at=1000.0)
    rotation.observe(IDLE, StakingSummary(0.0, 0.0, 0.0, 0), at=1000.0)
    samples = {
        (family.name, tuple(sample.labels.values())): sample.value
        for family in rotation.families(now=1000.0, interval=300.0)
        for sample in family.samples
    }
    assert samples == {
        ("hyperliquid_account_staked_hype", (STAKER,)): 100.0,
        ("hyperliquid_account_staking_undelegated_hype", (STAKER,)): 5.0,
        ("hyperliquid_account_unstaking_pending_hype", (STAKER,)): 2500.0,
        ("hyperliquid_account_unstaking_pending_withdrawals", (STAKER,)): 2.0,
    }
    # Two full turns (2 accounts x 2 x 300 s) without a new reading: withdrawn.
    assert all(not family.samples for family in rotation.families(now=1000.0 + 1200.1, interval=300.0))
    assert StakingRotation([]).next_account() is None


def test_the_hlp_vault_and_the_watched_accounts_are_read_unless_switched_off() -> None:
    watched = {"collectors": {"accounts": {"watched": [{"address": STAKER, "name": "s"}]}}}
    assert staking_accounts(Config.model_validate(watched)) == [STAKER, HLP_VAULT]
    off = {"collectors": {**watched["collectors"], "governance": {"staking_summaries": False}}}
    assert staking_accounts(Config.model_validate(off)) == []


def test_staking_adds_one_request_to_each_poll_whatever_the_number_of_accounts() -> None:
    config = Config()
    context: Any = None
    without = GovernancePoller(config.collectors.governance, context)
    few = GovernancePoller(config.collectors.governance, context, staking=StakingRotation([STAKER]))
    many = GovernancePoller(
        config.collectors.governance, context, staking=StakingRotation([f"0x{n:040x}" for n in range(1, 22)])
    )
    assert without.planned_weight_per_minute == pytest.approx(8.4)  # 42 every 300 s
    assert few.planned_weight_per_minute == many.planned_weight_per_minute == pytest.approx(12.4)
    # Stretched to what the others leave, the staking read stretches with the rest.
    squeezed = GovernancePoller(config.collectors.governance, context, 2.0, StakingRotation([STAKER]))
    assert squeezed.planned_weight_per_minute == pytest.approx(2.0)
    assert squeezed.interval == pytest.approx(60 * 62 / 2.0)


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def poll_many(
    replay: Replay, rotation: StakingRotation, times: list[float], fail: bool = False
) -> Samples:
    config = Config.model_validate({"hyperliquid": {"api_url": BASE_URL, "max_retries": 0}})
    app = httpx.ASGITransport(app=create_app(replay.state))

    async def route(request: httpx.Request) -> httpx.Response:
        if fail and b"delegatorSummary" in request.content:
            return httpx.Response(502, text="bad gateway")
        return await app.handle_async_request(request)

    budget, stats = WeightBudget(1_000_000), RequestStats()
    http = httpx.AsyncClient(transport=httpx.MockTransport(route), base_url=BASE_URL)
    context = CollectorContext(
        client=InfoClient(BASE_URL, budget, max_retries=0, http=http, stats=stats),
        http=http,
        budget=budget,
        stats=stats,
        clock=lambda: WALL_START + replay.monotonic.value,
    )
    poller = GovernancePoller(config.collectors.governance, context, staking=rotation)
    families: Any = []
    try:
        for at in times:
            replay.at(at)
            families = await poller.poll()
    finally:
        await http.aclose()
    text = join_pieces([render_families(families)]).decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


SCENARIO: Any = {
    "name": "stakers",
    "market": {"baseline": False, "coins": [{"name": "BTC", "price": 95000}]},
    "hlp": {"children": []},
    "governance": {
        "stakers": [
            {
                "address": STAKER,
                "delegated_hype": 1_000_000,
                "undelegated_hype": 0,
                "pending_withdrawal_hype": 250_000,
                "pending_withdrawals": 3,
            }
        ]
    },
}


async def test_a_watched_stakers_unstaking_queue_is_published_from_the_simulator() -> None:
    # The first poll reads no staking summary (start-up); the idle account's turn, then the staker's.
    samples = await poll_many(Replay(SCENARIO), StakingRotation([IDLE, STAKER]), [10, 310, 610])
    staker = frozenset({("account", STAKER)})
    assert samples[("hyperliquid_account_unstaking_pending_hype", staker)] == 250_000
    assert samples[("hyperliquid_account_unstaking_pending_withdrawals", staker)] == 3
    assert samples[("hyperliquid_account_staked_hype", staker)] == 1_000_000
    # The idle account was read (first) but stakes nothing: not published.
    assert not [labels for name, labels in samples if dict(labels).get("account") == IDLE]
    assert samples[("hyperliquid_staked_hype", frozenset())] > 0  # the rest of the poll as before


async def test_a_failed_staking_read_costs_only_that_reading() -> None:
    samples = await poll_many(Replay(SCENARIO), StakingRotation([STAKER]), [10, 310], fail=True)
    assert samples[("hyperliquid_staked_hype", frozenset())] > 0
    assert not [name for name, _ in samples if name.startswith("hyperliquid_account_")]
