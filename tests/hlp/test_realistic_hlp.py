"""A realistic HLP on a loopback server: 7 children, positions in 150+ coins, 20 watched accounts,
backstop and auto-deleveraging fills. Every account, vault and event series must be exactly what the
server holds, and nothing else."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from exporter.app import Exporter, build_exporter
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
from tests.hlp.metrics_text import Samples, samples, series, value

COINS = ["BTC", "ETH", "SOL", "AVAX", "HYPE", "kPEPE", *(f"COIN{n:03d}" for n in range(150))]
NAMES = {
    HLP: "HLP",
    STRATEGIES[0]: "HLP Strategy A",
    STRATEGIES[1]: "HLP Strategy B",
    STRATEGIES[2]: "HLP Strategy X",
    LIQUIDATORS[0]: "HLP Liquidator",
    LIQUIDATORS[1]: "HLP Liquidator 2",
    LIQUIDATORS[2]: "HLP Liquidator 3",
    LIQUIDATORS[3]: "HLP Liquidator 4",
}
WATCHED = [(address(1000 + n), f"whale-{n:02d}") for n in range(20)]


@dataclass(frozen=True)
class Holding:
    size: float
    mark: float
    upnl: float
    liquidation: float | None


def holdings(rng: random.Random, coins: list[str]) -> dict[str, Holding]:
    out = {}
    for coin in coins:
        size = round(rng.uniform(-5000, 5000), 3) or 1.0
        liquidation = None if rng.random() < 0.3 else round(rng.uniform(1, 200), 4)
        out[coin] = Holding(
            size, round(rng.uniform(0.01, 500), 4), round(rng.uniform(-1e5, 1e5), 2), liquidation
        )
    return out


def realistic_state(fake: FakeHyperliquid) -> dict[str, tuple[float, dict[str, Holding]]]:
    rng = random.Random(20251010)
    accounts: dict[str, tuple[float, dict[str, Holding]]] = {HLP: (2.5e8, {})}
    for child in STRATEGIES:
        accounts[child] = (rng.uniform(5e7, 1.5e8), holdings(rng, rng.sample(COINS, 120)))
    accounts[LIQUIDATORS[0]] = (8e6, holdings(rng, ["SOL", "ETH", "COIN042"]))
    for liquidator in LIQUIDATORS[1:]:
        accounts[liquidator] = (rng.uniform(1e6, 5e6), {})
    for watched, _ in WATCHED:
        accounts[watched] = (rng.uniform(1e5, 5e7), holdings(rng, rng.sample(COINS, rng.randint(0, 4))))
    for account, (account_value, held) in accounts.items():
        fake.states[account] = clearinghouse(
            account_value, [position(c, h.size, h.mark, h.upnl, h.liquidation) for c, h in held.items()]
        )
    fake.vaults[HLP] = vault_details(HLP, "Hyperliquidity Provider (HLP)", [*STRATEGIES, *LIQUIDATORS])
    fake.universe = meta(COINS, delisted=("LOOM", "JELLY"))
    return accounts


def liquidated(user: str, method: str, mark: str) -> dict[str, Any]:
    return {"liquidatedUser": user, "markPx": mark, "method": method}


@pytest.fixture
async def hlp() -> AsyncIterator[tuple[FakeHyperliquid, dict[str, tuple[float, dict[str, Holding]]]]]:
    fake = FakeHyperliquid(page_limit=500)
    accounts = realistic_state(fake)
    async with serving(fake) as running:
        yield running, accounts


async def poll_all(exporter: Exporter) -> None:
    for poller in exporter.scheduler.pollers:
        assert await exporter.scheduler.poll_once(poller), f"{poller.name} failed"


async def test_realistic_hlp_every_series_right(
    hlp: tuple[FakeHyperliquid, dict[str, tuple[float, dict[str, Holding]]]],
) -> None:
    fake, accounts = hlp
    config = config_for(
        fake,
        {
            "accounts": {"watched": [{"address": a, "name": n} for a, n in WATCHED]},
            "fills": {"page_limit": 500},
        },
        market=True,
    )
    exporter = build_exporter(config)
    try:
        await poll_all(exporter)
        start_ms = int(time.time() * 1000) + 10
        trader, whale = address(7), WATCHED[3][0]
        backstop = liquidated(trader, "backstop", "68.2")
        adl = liquidated(LIQUIDATORS[0], "backstop", "22.025")
        market = liquidated(trader, "market", "39.9")
        one_hash = "0x" + "5" * 64
        fake.fills[LIQUIDATORS[0]] = [
            # Backstop takeovers: the liquidator's fill names the liquidated trader.
            fill("SOL", 67.5499, 1000.0, start_ms, 1, "Liquidated Cross Long", backstop),
            fill(
                "ETH",
                3500.0,
                20.0,
                start_ms + 1,
                2,
                "Liquidated Isolated Short",
                liquidated(whale, "backstop", "1"),
            ),
            # Auto-deleveraging against the liquidator: classified as ADL, not as a backstop.
            fill("AVAX", 22.075, 400.0, start_ms + 2, 3, "Auto-Deleveraging", adl),
            fill("AVAX", 22.075, 100.0, start_ms + 2, 4, "Auto-Deleveraging", adl),
            fill("BTC", 110_000.0, 0.1, start_ms + 3, 5, "Open Long"),
        ]
        fake.fills[LIQUIDATORS[1]] = [
            fill("COIN042", 2.0, 5000.0, start_ms + 4, 6, "Liquidated Cross Long", backstop)
        ]
        fake.fills[whale] = [
            # The watched whale was a resting maker on a market liquidation: two fills, one event.
            fill("HYPE", 40.0, 10.0, start_ms + 5, 7, "Open Long", market, one_hash),
            fill("HYPE", 40.1, 5.0, start_ms + 5, 8, "Open Long", market, one_hash),
            # Before the exporter started: never counted.
            fill("HYPE", 41.0, 1.0, start_ms - 3_600_000, 9, "Close Long", market),
        ]
        fake.fills[WATCHED[5][0]] = [fill("kPEPE", 0.012, 1e6, start_ms + 6, 10, "Auto-Deleveraging", adl)]
        # Watched accounts' fills are read every 600 s: move the collectors' clock past that.
        exporter.context.clock = lambda: time.time() + 601
        await poll_all(exporter)
        await poll_all(exporter)  # a second round changes nothing
        found = samples(exporter.render_metrics())
    finally:
        await exporter.aclose()

    check_accounts(found, accounts)
    check_vault(found)
    check_events(found)


def check_accounts(found: Samples, accounts: dict[str, tuple[float, dict[str, Holding]]]) -> None:
    def info(account: str, name: str, role: str, vault: str) -> tuple[tuple[str, str], ...]:
        return (("account", account), ("name", name), ("role", role), ("vault", vault))

    expected_info = {
        info(a, n, "hlp_liquidator" if a in LIQUIDATORS else "hlp", HLP) for a, n in NAMES.items()
    }
    expected_info |= {info(a, n, "watched", "") for a, n in WATCHED}
    assert set(series(found, "hyperliquid_account_info")) == expected_info
    assert len(expected_info) == 8 + 20
    size = series(found, "hyperliquid_account_position_size")
    notional = series(found, "hyperliquid_account_position_notional_usd")
    upnl = series(found, "hyperliquid_account_position_unrealized_pnl_usd")
    liquidation = series(found, "hyperliquid_account_position_liquidation_price")
    expected_positions = {(("account", a), ("coin", c)) for a, (_, held) in accounts.items() for c in held}
    assert set(size) == set(notional) == set(upnl) == expected_positions
    hlp_coins = {c for a in (*STRATEGIES, *LIQUIDATORS) for c in accounts[a][1]}
    assert len(hlp_coins) >= 150
    with_liquidation_price = set()
    for account, (account_value, held) in accounts.items():
        assert value(found, "hyperliquid_account_value_usd", account=account) == pytest.approx(account_value)
        cross_value = value(found, "hyperliquid_account_cross_value_usd", account=account)
        assert cross_value == pytest.approx(account_value)
        margin = value(found, "hyperliquid_account_cross_maintenance_margin_used_usd", account=account)
        assert margin == pytest.approx(account_value / 20)
        for coin, h in held.items():
            labels = (("account", account), ("coin", coin))
            assert size[labels] == h.size
            assert notional[labels] == pytest.approx(abs(h.size * h.mark))
            assert upnl[labels] == h.upnl
            # absent when the API says null; every position here is cross margin
            assert liquidation.get((*labels, ("margin", "cross"))) == h.liquidation
            if h.liquidation is not None:
                with_liquidation_price.add((*labels, ("margin", "cross")))
    assert set(liquidation) == with_liquidation_price


def check_vault(found: Samples) -> None:
    info = series(found, "hyperliquid_vault_info")
    assert info == {(("name", "Hyperliquidity Provider (HLP)"), ("vault", HLP)): 1.0}
    assert series(found, "hyperliquid_vault_pnl_usd") == pytest.approx(
        {
            (("vault", HLP), ("window", "day")): -130_193.448756,
            (("vault", HLP), ("window", "week")): -909_673.982675,
            (("vault", HLP), ("window", "month")): -780_711.46034,
            (("vault", HLP), ("window", "allTime")): 650_509.577425,
        }
    )
    assert value(found, "hyperliquid_vault_account_value_usd", vault=HLP) == pytest.approx(160_664_370.477425)
    assert value(found, "hyperliquid_vault_apr_ratio", vault=HLP) == pytest.approx(0.36387129259090006)


def check_events(found: Samples) -> None:
    counts = series(found, "hyperliquid_liquidations_total")
    notional = series(found, "hyperliquid_liquidated_notional_usd_total")
    adl = series(found, "hyperliquid_auto_deleverages_total")
    adl_notional = series(found, "hyperliquid_auto_deleveraged_notional_usd_total")
    # Every listed coin and method exists; delisted coins without events do not.
    every = {(("coin", c), ("method", m)) for c in COINS for m in ("market", "backstop")}
    assert set(counts) == set(notional) == every
    assert set(adl) == set(adl_notional) == {(("coin", c),) for c in COINS}
    nonzero = {dict(k)["coin"] + "/" + dict(k)["method"]: v for k, v in counts.items() if v}
    assert nonzero == {"SOL/backstop": 1, "ETH/backstop": 1, "COIN042/backstop": 1, "HYPE/market": 1}
    nonzero_notional = {dict(k)["coin"] + "/" + dict(k)["method"]: v for k, v in notional.items() if v}
    assert nonzero_notional == pytest.approx(
        {
            "SOL/backstop": 67_549.9,
            "ETH/backstop": 70_000.0,
            "COIN042/backstop": 10_000.0,
            "HYPE/market": 600.5,
        }
    )
    assert {dict(k)["coin"]: v for k, v in adl.items() if v} == {"AVAX": 2, "kPEPE": 1}
    adl_nonzero = {dict(k)["coin"]: v for k, v in adl_notional.items() if v}
    assert adl_nonzero == pytest.approx({"AVAX": 11_037.5, "kPEPE": 12_000.0})
    gaps = series(found, "hyperliquid_fills_pagination_gaps_total")
    assert gaps == {(("account", a),): 0.0 for a in [*LIQUIDATORS, *(w for w, _ in WATCHED)]}
