"""With the streams up, REST only reconciles: the default plan's weight, poller by poller."""

from __future__ import annotations

import pytest

from exporter.app import build_exporter
from exporter.config import Config

WATCHED = [{"address": f"0x{2000 + n:040x}", "name": f"watched-{n}"} for n in range(20)]


@pytest.mark.parametrize(
    ("watched", "accounts_watched", "fills", "dexes", "governance", "depth", "total"),
    [
        # No watched account: 4 liquidators stream; everything they back polls every 60-300 s.
        # Order-book depth (8 coins' l2Book, 2, every 30 s: 32) takes what the others leave of the 600.
        # Governance reads the HLP vault's staking summary too (12.4); the dexes get 4 less.
        ([], None, 16.0, 23.6, 12.4, 32.0, 210.0),
        # 20 watched: 6 fit in the user quota, so the watched group stays on REST every 30 s. Governance is
        # planned at the REST rates of the others (before the streams): stretched to 2 a minute.
        # Depth is off: at their REST rates the others leave nothing of the budget.
        (WATCHED, 80.0, 20.0, 4.0, 2.0, None, 232.0),
    ],
)
async def test_default_streaming_plan(
    watched: list[dict[str, str]],
    accounts_watched: float | None,
    fills: float,
    dexes: float,
    governance: float,
    depth: float | None,
    total: float,
) -> None:
    exporter = build_exporter(Config.model_validate({"collectors": {"accounts": {"watched": watched}}}))
    try:
        planned = {name: h.planned_weight_per_minute for name, h in exporter.store.health.items()}
        budget = exporter.context.budget
    finally:
        await exporter.aclose()
    expected = {
        "market": 20.0,  # metaAndAssetCtxs reconciliation every 60 s instead of every 10 s
        "market_open_interest_cap": 20.0,
        "vaults": 20.0,
        "accounts_liquidators": 8.0,  # 4 x clearinghouseState (2) every 60 s instead of 5 s
        "accounts_hlp": 34.0,  # not streamed: HLP's strategy vaults are polled as before
        "fills": fills,  # userFillsByTime reconciliation every 300 s instead of 30 s
        "prices_hyperliquid_spot": 12.0,  # allMids every 10 s: spot as HYPE's and PURR's reference
        "prices_hyperliquid_spot_volume": 4.0,  # spotMetaAndAssetCtxs every 300 s: the spot pairs' volume
        "liveness_exchange_status": 8.0,  # exchangeStatus (2) every 15 s: is the chain's clock running?
        # validatorL1Votes, validatorSummaries (20), spotClearinghouseState (2), one delegatorSummary (20)
        "governance": governance,
        # Builder dexes start with what the others leave of 85% of the budget at their fast (fallback)
        # rates: 23.6 without watched accounts, else perpDexs. Once the streams are live they also get what
        # the streams save (tests/dexes/test_dex_weight_plan.py), and give it back when one drops.
        "dexes": dexes,
    }
    if accounts_watched is not None:
        expected["accounts_watched"] = accounts_watched
    if depth is not None:
        expected["market_book_depth"] = depth
    assert {name: weight for name, weight in planned.items() if weight} == pytest.approx(expected)
    assert budget.planned_total == pytest.approx(total)
    assert budget.planned_total <= 0.3 * 1200
