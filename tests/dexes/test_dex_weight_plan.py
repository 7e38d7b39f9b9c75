"""The default weight plan with 10 builder dexes of 20 markets stays within half of the 1200/min limit."""

from __future__ import annotations

import math

import pytest

from exporter.app import build_exporter
from exporter.collectors.dex_schedule import plan_schedule
from exporter.collectors.dexes import DexesPoller
from exporter.config import Config

WATCHED = [{"address": f"0x{2000 + n:040x}", "name": f"watched-{n}"} for n in range(20)]


async def planned(config: Config) -> tuple[float, float]:
    exporter = build_exporter(config)
    try:
        dexes = next(p for p in exporter.scheduler.pollers if isinstance(p, DexesPoller))
        return exporter.context.budget.planned_total, dexes.allowance
    finally:
        await exporter.aclose()


# The others plan 466 (590 with 20 watched accounts); the dexes get what is left of 85% of the 600.
@pytest.mark.parametrize(("watched", "allowance"), [([], 44.0), (WATCHED, 0.0)])
async def test_builder_dexes_get_what_the_others_leave_up_to_their_cap(
    watched: list[dict[str, str]], allowance: float
) -> None:
    config = Config.model_validate({"collectors": {"accounts": {"watched": watched}}})
    total, given = await planned(config)
    assert given == pytest.approx(allowance)
    assert total <= 0.5 * config.hyperliquid.weight_limit_per_minute
    raised = Config.model_validate({"hyperliquid": {"weight_budget_share": 0.65}})
    assert (await planned(raised))[1] == pytest.approx(150.0)  # the cap: 0.85 x 780 - 466 = 197


@pytest.mark.parametrize(("watched", "allowance"), [(0, 60.0), (0, 150.0), (20, 150.0)])
def test_ten_dexes_fit_the_allowance_by_stretching(watched: int, allowance: float) -> None:
    section = Config().collectors.dexes
    schedule = plan_schedule(section, dexes=10, watched_accounts=watched, allowance=allowance)
    assert schedule.weight_per_minute == pytest.approx(allowance)
    assert math.isfinite(schedule.contexts)
    assert schedule.status / schedule.contexts == pytest.approx(
        section.status_interval_seconds / section.interval_seconds
    )
    # Two dexes at the default allowance are polled at the configured intervals.
    assert plan_schedule(section, dexes=1, watched_accounts=0, allowance=150.0).stretch == 1.0


def test_an_allowance_below_discovery_polls_no_dex() -> None:
    schedule = plan_schedule(Config().collectors.dexes, dexes=3, watched_accounts=0, allowance=2.0)
    assert math.isinf(schedule.contexts)
    assert schedule.weight_per_minute == pytest.approx(4.0)  # perpDexs every 300 s, nothing else
