"""The default weight plan: HLP (7 children), fills of 4 liquidators, 20 watched accounts and the
market collectors stay under half of Hyperliquid's 1200 per minute; what one round really costs."""

from __future__ import annotations

import pytest

from exporter.app import build_exporter
from exporter.config import Config
from tests.hlp.fake_hyperliquid import (
    HLP,
    LIQUIDATORS,
    STRATEGIES,
    FakeHyperliquid,
    address,
    config_for,
    serving,
    vault_details,
)

WATCHED = [{"address": address(2000 + n), "name": f"watched-{n}"} for n in range(20)]


async def test_default_plan_stays_under_half_the_limit() -> None:
    # Polling only (tests/streaming/test_weight_plan.py has the plan with the streams up).
    config = Config.model_validate(
        {"collectors": {"accounts": {"watched": WATCHED}}, "streaming": {"enabled": False}}
    )
    exporter = build_exporter(config)
    try:
        planned = {name: h.planned_weight_per_minute for name, h in exporter.store.health.items()}
        budget = exporter.context.budget
    finally:
        await exporter.aclose()
    hl_planned = {name: weight for name, weight in planned.items() if weight}
    assert hl_planned == pytest.approx(
        {
            "market": 120.0,  # metaAndAssetCtxs every 10 s
            "market_open_interest_cap": 20.0,  # perpsAtOpenInterestCap every 60 s
            "prices_hyperliquid_spot": 12.0,  # allMids every 10 s: spot as HYPE's and PURR's reference
            "prices_hyperliquid_spot_volume": 4.0,  # spotMetaAndAssetCtxs every 300 s: spot pairs' volume
            "vaults": 20.0,  # vaultDetails(HLP) every 60 s
            "accounts_liquidators": 96.0,  # 4 x clearinghouseState (2) every 5 s
            "accounts_hlp": 32.0 + 2.0,  # parent + 3 children every 15 s, child discovery every 600 s
            "accounts_watched": 80.0,  # 20 x clearinghouseState every 30 s
            "fills": 160.0 + 40.0,  # 4 liquidators every 30 s, 20 watched every 600 s (base weight)
            "liveness_exchange_status": 8.0,  # exchangeStatus (2) every 15 s
            # validatorL1Votes, validatorSummaries (20), spotClearinghouseState (2) and one of the 21
            # monitored accounts' delegatorSummary (20): 12.4 every 300 s, stretched to the 2 the others
            # leave of the 600 (a poll every 31 minutes; each account's staking every 11 hours)
            "governance": 2.0,
            # builder dexes: what the others leave of 85% of the 600 (tests/dexes): only perpDexs here
            "dexes": 4.0,
        }
    )
    assert budget.planned_total == pytest.approx(600.0)
    assert budget.planned_total <= 0.5 * 1200
    assert budget.per_minute == 600.0


async def test_one_round_costs_what_the_plan_says() -> None:
    fake = FakeHyperliquid()
    fake.vaults[HLP] = vault_details(HLP, "HLP", [*STRATEGIES, *LIQUIDATORS])
    async with serving(fake):
        config = config_for(fake, {"accounts": {"watched": WATCHED}}, market=True)
        exporter = build_exporter(config)
        try:
            for poller in exporter.scheduler.pollers:
                assert await exporter.scheduler.poll_once(poller)
            used = dict(exporter.context.budget.used)
        finally:
            await exporter.aclose()
    assert used == {
        "market": 20 + 20,
        "vaults": 20,
        # 4 liquidators, parent + 3 children, 20 watched at 2 each; one discovery vaultDetails. HLP's
        # 7 known children take their names from the known list: read to confirm a discovery later.
        "accounts": (4 + 4 + 20) * 2 + 20,
        # No "fills": counting starts at start-up, so the first poll has no fill to read (the universe
        # came from market); the liquidators' fills are read from the second poll on, the 20 watched
        # accounts' one watched interval later.
    }
