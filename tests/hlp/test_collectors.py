"""Vault, account and fills pollers against a loopback Hyperliquid server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from exporter.app import Exporter, build_exporter
from exporter.collectors.accounts import WatchedAccountsPoller
from exporter.collectors.base import Poller
from exporter.collectors.budget_pressure import WATCHED_MAX_STRETCH, BudgetPressure
from exporter.collectors.fills import FillsPoller
from exporter.hyperliquid.budget import WeightBudget
from tests.hlp.fake_hyperliquid import (
    HLP,
    LIQUIDATORS,
    STRATEGIES,
    FakeHyperliquid,
    address,
    clearinghouse,
    config_for,
    fill,
    meta,
    position,
    serving,
    vault_details,
)
from tests.hlp.metrics_text import samples, series, value
from tests.support.clock import ManualClock

NEW_CHILD = "0x" + "c1" * 20


@pytest.fixture
async def fake() -> AsyncIterator[FakeHyperliquid]:
    state = FakeHyperliquid()
    state.vaults[HLP] = vault_details(HLP, "Hyperliquidity Provider (HLP)", [*STRATEGIES, *LIQUIDATORS])
    async with serving(state) as running:
        yield running


def pollers_of(exporter: Exporter) -> dict[str, Poller]:
    return {poller.name: poller for poller in exporter.scheduler.pollers}


async def poll(exporter: Exporter, *names: str) -> None:
    by_name = pollers_of(exporter)
    for name in names:
        assert await exporter.scheduler.poll_once(by_name[name]), f"poll of {name} failed"


async def test_vault_pnl_comes_from_pnl_history(fake: FakeHyperliquid) -> None:
    config = config_for(fake, {"vaults": {"vaults": [{"address": HLP}]}, "accounts": {"enabled": False}})
    exporter = build_exporter(config)
    try:
        await poll(exporter, "vaults")
        found = samples(exporter.render_metrics())
    finally:
        await exporter.aclose()
    assert value(found, "hyperliquid_vault_info", vault=HLP, name="Hyperliquidity Provider (HLP)") == 1
    # Recorded portfolio: +15.9 M of transfers in the week, but the week's PnL is -909 k.
    assert value(found, "hyperliquid_vault_pnl_usd", vault=HLP, window="week") == pytest.approx(
        -909_673.982675
    )
    assert value(found, "hyperliquid_vault_pnl_usd", vault=HLP, window="day") == pytest.approx(
        -130_193.448756
    )
    assert value(found, "hyperliquid_vault_pnl_usd", vault=HLP, window="month") == pytest.approx(
        -780_711.46034
    )
    assert value(found, "hyperliquid_vault_pnl_usd", vault=HLP, window="allTime") == pytest.approx(
        650_509.577425
    )
    assert len(series(found, "hyperliquid_vault_pnl_usd")) == 4  # perp* windows are not published
    assert value(found, "hyperliquid_vault_account_value_usd", vault=HLP) == pytest.approx(160_664_370.477425)
    assert value(found, "hyperliquid_vault_apr_ratio", vault=HLP) == pytest.approx(0.36387129259090006)


async def test_unknown_vault_fails_the_poll_with_a_clear_reason(fake: FakeHyperliquid) -> None:
    unknown = address(77)
    config = config_for(
        fake, {"vaults": {"vaults": [{"address": unknown, "name": "x"}]}, "accounts": {"enabled": False}}
    )
    exporter = build_exporter(config)
    try:
        assert not await exporter.scheduler.poll_once(pollers_of(exporter)["vaults"])
        failure = exporter.store.health["vaults"].failure.current
    finally:
        await exporter.aclose()
    assert failure == "parse:$"


async def test_hlp_children_roles_and_vanishing_positions(fake: FakeHyperliquid) -> None:
    fake.states[LIQUIDATORS[0]] = clearinghouse(5e6, [position("SOL", -500.0, 150.0, -2000.0, 190.0)])
    fake.states[STRATEGIES[1]] = clearinghouse(
        1e8,
        [
            position("BTC", 2.0, 100_000.0, 500.0, None),
            position("ETH", -10.0, 4000.0, -30.0, 9000.0, margin="isolated"),
            position("SOL", 5.0, 150.0, 0.0, 100.0, margin="somethingNew"),
        ],
    )
    config = config_for(fake, {"vaults": {"enabled": False}})
    exporter = build_exporter(config)
    try:
        await poll(exporter, "accounts_liquidators", "accounts_hlp")
        found = samples(exporter.render_metrics())
        info = series(found, "hyperliquid_account_info")
        roles = {dict(labels)["account"]: (dict(labels)["role"], dict(labels)["vault"]) for labels in info}
        assert roles == {
            HLP: ("hlp", HLP),
            **{child: ("hlp", HLP) for child in STRATEGIES},
            **{liquidator: ("hlp_liquidator", HLP) for liquidator in LIQUIDATORS},
        }
        assert value(found, "hyperliquid_account_position_size", account=STRATEGIES[1], coin="ETH") == -10.0
        assert (
            value(found, "hyperliquid_account_position_notional_usd", account=STRATEGIES[1], coin="ETH")
            == 40_000
        )
        liquidation_prices = series(found, "hyperliquid_account_position_liquidation_price")
        of_strategy = {
            (labels["coin"], labels["margin"]): price
            for key, price in liquidation_prices.items()
            if (labels := dict(key))["account"] == STRATEGIES[1]
        }
        # BTC has none (null); the margin type is a bounded label: cross, isolated or unknown
        assert of_strategy == {("ETH", "isolated"): 9000.0, ("SOL", "unknown"): 100.0}
        assert (
            value(
                found,
                "hyperliquid_account_position_liquidation_price",
                account=LIQUIDATORS[0],
                coin="SOL",
                margin="cross",
            )
            == 190
        )
        assert value(found, "hyperliquid_account_value_usd", account=LIQUIDATORS[0]) == 5e6
        assert (
            value(found, "hyperliquid_account_cross_maintenance_margin_used_usd", account=LIQUIDATORS[0])
            == 2.5e5
        )

        # The ETH position closes: gone after the next poll, BTC stays.
        fake.states[STRATEGIES[1]] = clearinghouse(1e8, [position("BTC", 2.0, 100_000.0, 400.0, None)])
        await poll(exporter, "accounts_hlp")
        found = samples(exporter.render_metrics())
    finally:
        await exporter.aclose()
    positions = series(found, "hyperliquid_account_position_size")
    assert (("account", STRATEGIES[1]), ("coin", "ETH")) not in positions
    assert (
        value(found, "hyperliquid_account_position_unrealized_pnl_usd", account=STRATEGIES[1], coin="BTC")
        == 400
    )
    assert value(found, "hyperliquid_account_position_size", account=LIQUIDATORS[0], coin="SOL") == -500.0


async def test_child_rediscovery(fake: FakeHyperliquid) -> None:
    config = config_for(
        fake,
        {
            "vaults": {"enabled": False},
            "accounts": {"child_discovery_interval_seconds": 600, "interval_seconds": 15},
        },
    )
    exporter = build_exporter(config)
    clock = ManualClock(time.time())
    exporter.context.clock = clock

    def parent_details() -> int:
        return sum(1 for body in fake.requests if body.get("vaultAddress") == HLP)

    try:
        await poll(exporter, "accounts_hlp")
        assert parent_details() == 1
        # HLP's mainnet children are named from the known list at start-up (no request: their 7 x 20
        # weight would queue ahead of every collector's first requests), confirmed at the next discovery.
        assert fake.count("vaultDetails") == 1
        fake.vaults[HLP] = vault_details(HLP, "HLP", [STRATEGIES[0], NEW_CHILD, *LIQUIDATORS])
        clock.now += 300  # not yet due: same children, no vaultDetails request
        await poll(exporter, "accounts_hlp")
        assert parent_details() == 1
        before = {
            dict(k)["account"] for k in series(samples(exporter.render_metrics()), "hyperliquid_account_info")
        }
        clock.now += 301
        await poll(exporter, "accounts_hlp")
        assert parent_details() == 2
        # The parent again, the known children still there confirmed (STRATEGIES[0] and the
        # liquidators), and NEW_CHILD, unknown, named.
        assert fake.count("vaultDetails") == 2 + 1 + len(LIQUIDATORS) + 1
        clock.now += 601
        await poll(exporter, "accounts_hlp")
        assert fake.count("vaultDetails") == 3 + 1 + len(LIQUIDATORS) + 1  # each name read once only
        after = {
            dict(k)["account"] for k in series(samples(exporter.render_metrics()), "hyperliquid_account_info")
        }
        # Discovery fails later: the children found before are kept, the poll still succeeds.
        fake.failing.add("vaultDetails")
        clock.now += 601
        await poll(exporter, "accounts_hlp")
        kept = {
            dict(k)["account"] for k in series(samples(exporter.render_metrics()), "hyperliquid_account_info")
        }
    finally:
        await exporter.aclose()
    assert before == {HLP, *STRATEGIES}
    assert after == {HLP, STRATEGIES[0], NEW_CHILD}
    assert kept == after


async def test_first_discovery_failure_fails_the_poll(fake: FakeHyperliquid) -> None:
    fake.failing.add("vaultDetails")
    exporter = build_exporter(config_for(fake, {"vaults": {"enabled": False}}))
    try:
        assert not await exporter.scheduler.poll_once(pollers_of(exporter)["accounts_hlp"])
        assert await exporter.scheduler.poll_once(pollers_of(exporter)["accounts_liquidators"])
    finally:
        await exporter.aclose()


async def test_watched_accounts_skip_hlp_and_yield_when_budget_is_tight(fake: FakeHyperliquid) -> None:
    whale = address(1)
    watched = [{"address": whale, "name": "whale"}, {"address": STRATEGIES[0], "name": "dup-of-hlp"}]
    fake.states[whale] = clearinghouse(2e7, [position("ETH", 5000.0, 4000.0, 1e5, 3000.0)])
    exporter = build_exporter(
        config_for(fake, {"vaults": {"enabled": False}, "accounts": {"watched": watched}})
    )
    try:
        await poll(exporter, "accounts_hlp", "accounts_watched")
        found = samples(exporter.render_metrics())
    finally:
        await exporter.aclose()
    assert (
        value(found, "hyperliquid_account_info", account=whale, name="whale", role="watched", vault="") == 1
    )
    # An HLP child listed as watched is published once, by the HLP poller, with its HLP role.
    assert (
        value(
            found,
            "hyperliquid_account_info",
            account=STRATEGIES[0],
            name="HLP Strategy A",
            role="hlp",
            vault=HLP,
        )
        == 1
    )
    assert (
        value(
            found, "hyperliquid_account_position_liquidation_price", account=whale, coin="ETH", margin="cross"
        )
        == 3000
    )

    # A budget far smaller than the plan: watched accounts stretch, liquidators and HLP do not.
    tight = config_for(fake, {"vaults": {"enabled": False}, "accounts": {"watched": watched}})
    tight = tight.model_copy(
        update={"hyperliquid": tight.hyperliquid.model_copy(update={"weight_limit_per_minute": 100})}
    )
    exporter = build_exporter(tight)
    try:
        pollers = pollers_of(exporter)
        watched_poller = pollers["accounts_watched"]
        assert isinstance(watched_poller, WatchedAccountsPoller)
        assert watched_poller.interval == 30 * WATCHED_MAX_STRETCH
        assert pollers["accounts_liquidators"].interval == 5
        assert pollers["accounts_hlp"].interval == 15
        assert watched_poller.max_age >= 3 * watched_poller.interval
    finally:
        await exporter.aclose()


def test_budget_pressure_stretches_then_recovers() -> None:
    clock = ManualClock(time.time())
    budget = WeightBudget(600, clock=clock)
    pressure = BudgetPressure(budget, batch_weight=40, own_planned_per_minute=80)
    budget.plan("accounts", 80)
    budget.plan("market", 140)
    assert pressure.stretch == 1
    budget.charge(200, "market")  # other collectors drained the bucket
    pressure.observe()
    assert pressure.stretch == 2
    pressure.observe()
    pressure.observe()
    assert pressure.stretch == WATCHED_MAX_STRETCH
    clock.now += 60  # refilled
    pressure.observe()
    pressure.observe()
    assert pressure.stretch == 1
    # Planned beyond the budget by 40/min: stretch the watched 80/min down to 40/min.
    budget.plan("fills", 420)
    assert budget.planned_total == 640
    assert pressure.stretch == pytest.approx(2.0)


def liquidation(user: str, method: str, mark: str = "1.0") -> dict[str, Any]:
    return {"liquidatedUser": user, "markPx": mark, "method": method}


async def test_fills_counters_backstop_adl_dedup_and_restart(fake: FakeHyperliquid) -> None:
    fake.universe = meta(["BTC", "ETH", "SOL", "AVAX"], delisted=("LOOM",))
    now_ms = int(time.time() * 1000)
    trader = address(9)
    fake.fills[LIQUIDATORS[0]] = [
        # Before the exporter started: never counted.
        fill(
            "SOL", 60.0, 100.0, now_ms - 60_000, 1, "Liquidated Cross Long", liquidation(trader, "backstop")
        ),
    ]
    exporter = build_exporter(config_for(fake, {"vaults": {"enabled": False}, "accounts": {"enabled": True}}))
    try:
        await poll(exporter, "fills")
        found = samples(exporter.render_metrics())
        assert value(found, "hyperliquid_liquidations_total", coin="SOL", method="backstop") == 0
        for coin in ("BTC", "ETH", "SOL", "AVAX"):
            for method in ("market", "backstop"):
                assert value(found, "hyperliquid_liquidations_total", coin=coin, method=method) == 0
                assert (
                    value(found, "hyperliquid_liquidated_notional_usd_total", coin=coin, method=method) == 0
                )
            assert value(found, "hyperliquid_auto_deleverages_total", coin=coin) == 0
            assert value(found, "hyperliquid_auto_deleveraged_notional_usd_total", coin=coin) == 0
        assert value(found, "hyperliquid_liquidations_total", coin="LOOM", method="market") is None
        for liquidator in LIQUIDATORS:
            assert value(found, "hyperliquid_fills_pagination_gaps_total", account=liquidator) == 0

        later = now_ms + 5_000
        fake.fills[LIQUIDATORS[0]] += [
            fill(
                "SOL",
                67.5499,
                10.0,
                later,
                2,
                "Liquidated Cross Long",
                liquidation(trader, "backstop", "68.2"),
            ),
            fill(
                "AVAX",
                22.075,
                100.0,
                later + 1,
                3,
                "Auto-Deleveraging",
                liquidation(LIQUIDATORS[0], "backstop"),
            ),
            # One market liquidation filled by two monitored makers: one event, both notionals.
            fill(
                "ETH",
                4000.0,
                1.0,
                later + 2,
                4,
                "Close Short",
                liquidation(trader, "market"),
                "0x" + "11" * 32,
            ),
        ]
        fake.fills[LIQUIDATORS[1]] = [
            fill(
                "ETH",
                4001.0,
                2.0,
                later + 2,
                5,
                "Close Short",
                liquidation(trader, "market"),
                "0x" + "11" * 32,
            ),
            fill("BTC", 100_000.0, 0.5, later + 3, 6, "Open Long"),
        ]
        await poll(exporter, "fills")
        await poll(exporter, "fills")  # overlapping poll: nothing counted twice
        found = samples(exporter.render_metrics())
    finally:
        await exporter.aclose()
    assert value(found, "hyperliquid_liquidations_total", coin="SOL", method="backstop") == 1
    assert value(
        found, "hyperliquid_liquidated_notional_usd_total", coin="SOL", method="backstop"
    ) == pytest.approx(675.499)
    assert value(found, "hyperliquid_auto_deleverages_total", coin="AVAX") == 1
    assert value(found, "hyperliquid_auto_deleveraged_notional_usd_total", coin="AVAX") == pytest.approx(
        2207.5
    )
    assert value(found, "hyperliquid_liquidations_total", coin="AVAX", method="backstop") == 0
    assert value(found, "hyperliquid_liquidations_total", coin="ETH", method="market") == 1
    assert value(
        found, "hyperliquid_liquidated_notional_usd_total", coin="ETH", method="market"
    ) == pytest.approx(12_002)
    assert value(found, "hyperliquid_liquidations_total", coin="BTC", method="market") == 0


@pytest.mark.parametrize(("recent_limit", "gaps"), [(2000, 0), (3, 1)])
async def test_crowded_millisecond_is_completed_from_recent_fills_or_counted_as_a_gap(
    fake: FakeHyperliquid, recent_limit: int, gaps: int
) -> None:
    """12 fills in one millisecond, pages of 5: userFills completes the millisecond when it reaches it."""
    fake.page_limit = 5
    fake.recent_limit = recent_limit
    start_ms = int(time.time() * 1000) + 1_000
    crowded = [fill("BTC", 1.0, 1.0, start_ms, n, "Open Long") for n in range(12)]
    backstop = fill(
        "ETH", 10.0, 3.0, start_ms + 1, 99, "Liquidated Isolated Short", liquidation(address(5), "backstop")
    )
    fake.fills[LIQUIDATORS[2]] = [*crowded, backstop]
    exporter = build_exporter(
        config_for(fake, {"vaults": {"enabled": False}, "fills": {"page_limit": 5, "max_pages_per_poll": 10}})
    )
    try:
        await poll(exporter, "fills")  # at start-up: nothing to read yet
        assert fake.count("userFillsByTime") == 0
        await poll(exporter, "fills")
        requests = fake.count("userFillsByTime")
        await poll(exporter, "fills")
        found = samples(exporter.render_metrics())
    finally:
        await exporter.aclose()
    assert value(found, "hyperliquid_fills_pagination_gaps_total", account=LIQUIDATORS[2]) == gaps
    assert value(found, "hyperliquid_liquidations_total", coin="ETH", method="backstop") == 1
    # First poll: 3 accounts x 1 page; the crowded account: a full page within one millisecond, its
    # recent fills, then the short page after that millisecond. The next poll: one page each.
    # (the first page, from the exporter's start, moves the cursor to the crowded millisecond).
    assert requests == 3 + 3
    assert fake.count("userFills") == 1
    assert fake.count("userFillsByTime") == requests + 4


async def test_fills_share_the_market_universe(fake: FakeHyperliquid) -> None:
    fake.universe = meta(["BTC", "HYPE"])
    exporter = build_exporter(config_for(fake, {"vaults": {"enabled": False}}, market=True))
    try:
        fills_poller = pollers_of(exporter)["fills"]
        assert isinstance(fills_poller, FillsPoller)
        await poll(exporter, "market", "fills")
        found = samples(exporter.render_metrics())
    finally:
        await exporter.aclose()
    assert fake.count("meta") == 0
    assert value(found, "hyperliquid_liquidations_total", coin="HYPE", method="backstop") == 0
    assert value(found, "hyperliquid_auto_deleverages_total", coin="BTC") == 0


async def test_failing_account_fails_only_its_poller(fake: FakeHyperliquid) -> None:
    fake.failing.add(LIQUIDATORS[3])
    exporter = build_exporter(config_for(fake, {"vaults": {"enabled": False}}))
    try:
        by_name = pollers_of(exporter)
        assert not await exporter.scheduler.poll_once(by_name["accounts_liquidators"])
        assert await exporter.scheduler.poll_once(by_name["fills"])  # start-up: nothing to read yet
        assert not await exporter.scheduler.poll_once(by_name["fills"])
        assert await exporter.scheduler.poll_once(by_name["accounts_hlp"])
        found = samples(exporter.render_metrics())
    finally:
        await exporter.aclose()
    assert value(found, "hyperliquid_exporter_collector_success", collector="accounts") == 0
    assert value(found, "hyperliquid_exporter_collector_success", collector="fills") == 0
    assert value(found, "hyperliquid_account_info", account=HLP, name="HLP", role="hlp", vault=HLP) == 1


async def test_a_malformed_fill_or_position_costs_only_itself(fake: FakeHyperliquid) -> None:
    start_ms = int(time.time() * 1000) + 1_000
    garbled = fill("ETH", 1.0, 1.0, start_ms, 1, "Liquidated Cross Long", liquidation(address(5), "backstop"))
    garbled["px"] = "NaN"
    good = fill(
        "ETH", 3000.0, 2.0, start_ms + 1, 2, "Liquidated Cross Long", liquidation(address(6), "backstop")
    )
    fake.fills[LIQUIDATORS[0]] = [garbled, good]
    state = clearinghouse(1e6, [position("SOL", 1.0, 100.0, 0.0, None), position("BTC", 1.0, 1.0, 0.0, None)])
    state["assetPositions"][0]["position"]["szi"] = {"unexpected": "object"}
    fake.states[LIQUIDATORS[1]] = state
    exporter = build_exporter(config_for(fake, {"vaults": {"enabled": False}}))
    try:
        await poll(exporter, "fills", "accounts_liquidators")
        await poll(exporter, "fills")  # the first poll shows ETH's new series at 0, the second counts
        found = samples(exporter.render_metrics())
    finally:
        await exporter.aclose()
    assert value(found, "hyperliquid_liquidations_total", coin="ETH", method="backstop") == 1
    assert value(found, "hyperliquid_liquidated_notional_usd_total", coin="ETH", method="backstop") == 6000
    errors = "hyperliquid_exporter_api_request_errors_total"
    assert value(found, errors, request="userFillsByTime", reason="parse") == 1
    assert value(found, errors, request="clearinghouseState", reason="parse") == 1
    assert value(found, "hyperliquid_account_position_size", account=LIQUIDATORS[1], coin="BTC") == 1
    assert value(found, "hyperliquid_account_position_size", account=LIQUIDATORS[1], coin="SOL") is None


async def test_first_event_in_a_new_coin_or_method_is_an_increase(fake: FakeHyperliquid) -> None:
    """Issue 14: a coin never listed (spot, another dex, listed later) or a new method appears at 0 first."""
    start_ms = int(time.time() * 1000) + 1_000
    fake.fills[LIQUIDATORS[0]] = [
        fill("xyz:NEW", 2.0, 5.0, start_ms, 1, "Liquidated Cross Long", liquidation(address(5), "teleport")),
        fill("BTC", 100.0, 1.0, start_ms, 2, "Auto-Deleveraging", liquidation(LIQUIDATORS[0], "backstop")),
    ]
    exporter = build_exporter(config_for(fake, {"vaults": {"enabled": False}}))
    try:
        await poll(exporter, "fills")  # start-up: nothing to read yet
        await poll(exporter, "fills")
        first = samples(exporter.render_metrics())
        await poll(exporter, "fills")
        second = samples(exporter.render_metrics())
    finally:
        await exporter.aclose()
    new = {"coin": "xyz:NEW", "method": "teleport"}
    assert value(first, "hyperliquid_liquidations_total", **new) == 0
    assert value(first, "hyperliquid_liquidations_total", coin="BTC", method="teleport") == 0
    assert value(first, "hyperliquid_auto_deleverages_total", coin="xyz:NEW") == 0
    assert value(second, "hyperliquid_liquidations_total", **new) == 1
    assert value(second, "hyperliquid_liquidated_notional_usd_total", **new) == 10
    # BTC was listed, so its ADL series was published at 0 by the start-up poll and the event counts at once.
    assert value(first, "hyperliquid_auto_deleverages_total", coin="BTC") == 1
    assert value(second, "hyperliquid_auto_deleverages_total", coin="BTC") == 1


async def test_a_child_named_liquidator_is_discovered_polled_first_and_its_fills_followed(
    fake: FakeHyperliquid,
) -> None:
    """Issue 14: roles come from the children's vaultDetails names; the configured list stays an override."""
    new_liquidator = address(77)
    fake.vaults[HLP] = vault_details(HLP, "Hyperliquidity Provider (HLP)", [*STRATEGIES, new_liquidator])
    fake.vaults[new_liquidator] = vault_details(new_liquidator, "HLP Liquidator 5", [])
    fake.vaults[STRATEGIES[0]] = vault_details(STRATEGIES[0], "HLP Strategy A", [])
    start_ms = int(time.time() * 1000) + 1_000
    fake.fills[new_liquidator] = [
        fill("ETH", 10.0, 3.0, start_ms, 5, "Liquidated Isolated Short", liquidation(address(5), "backstop"))
    ]
    exporter = build_exporter(config_for(fake, {"vaults": {"enabled": False}}))
    try:
        await poll(exporter, "accounts_hlp", "accounts_liquidators", "fills", "fills")
        found = samples(exporter.render_metrics())
    finally:
        await exporter.aclose()
    info = "hyperliquid_account_info"
    assert (
        value(found, info, account=new_liquidator, name="HLP Liquidator 5", role="hlp_liquidator", vault=HLP)
        == 1
    )
    assert value(found, info, account=new_liquidator, name="HLP Liquidator 5", role="hlp", vault=HLP) is None
    assert value(found, info, account=STRATEGIES[0], name="HLP Strategy A", role="hlp", vault=HLP) == 1
    # The configured liquidators stay liquidators although discovery no longer lists them.
    assert (
        value(found, info, account=LIQUIDATORS[0], name="HLP Liquidator", role="hlp_liquidator", vault=HLP)
        == 1
    )
    assert value(found, "hyperliquid_liquidations_total", coin="ETH", method="backstop") == 1
    assert value(found, "hyperliquid_fills_pagination_gaps_total", account=new_liquidator) == 0


async def test_a_fills_poll_starved_by_the_budget_keeps_what_it_read_and_reports_its_backlog(
    fake: FakeHyperliquid,
) -> None:
    """In a cascade the fill pages queue behind market data for the budget: a poll that cannot get its
    turn within one interval ends there, successfully, and says how far behind each account is; it does
    not run into its deadline and have its counters withdrawn exactly when the ADL alert reads them."""
    start_ms = int(time.time() * 1000) + 1_000
    fake.fills[LIQUIDATORS[0]] = [
        fill("ETH", 10.0, 3.0, start_ms, 1, "Liquidated Isolated Short", liquidation(address(5), "backstop"))
    ]
    config = config_for(fake, {"vaults": {"enabled": False}, "fills": {"interval_seconds": 0.5}})
    hyperliquid = config.hyperliquid.model_copy(update={"weight_limit_per_minute": 1200})
    exporter = build_exporter(config.model_copy(update={"hyperliquid": hyperliquid}))
    try:
        by_name = pollers_of(exporter)
        assert await exporter.scheduler.poll_once(by_name["fills"])  # start-up: nothing to read yet
        await asyncio.sleep(max(0.0, start_ms / 1000 - time.time()) + 0.05)  # the fill is in the past
        # Market data and liquidator positions have spent the next minute's weight.
        exporter.context.budget.charge(1200, "market")
        assert await exporter.scheduler.poll_once(by_name["fills"]), "a starved poll is not a failure"
        starved = samples(exporter.render_metrics())
        exporter.context.budget.refund(2400, "market")
        assert await exporter.scheduler.poll_once(by_name["fills"])
        caught_up = samples(exporter.render_metrics())
    finally:
        await exporter.aclose()
    assert value(starved, "hyperliquid_exporter_collector_success", collector="fills") == 1
    assert value(starved, "hyperliquid_liquidations_total", coin="ETH", method="backstop") == 0
    assert (value(starved, "hyperliquid_fills_backlog_seconds", account=LIQUIDATORS[0]) or 0) > 0
    assert value(caught_up, "hyperliquid_liquidations_total", coin="ETH", method="backstop") == 1
    assert value(caught_up, "hyperliquid_fills_backlog_seconds", account=LIQUIDATORS[0]) == 0
