"""The default weight plan with 10 builder dexes of 20 markets stays within half of the 1200/min limit."""

from __future__ import annotations

import math

import pytest

from exporter.app import build_exporter
from exporter.collectors.base import Poller
from exporter.collectors.dex_schedule import plan_schedule
from exporter.collectors.dexes import DexesPoller
from exporter.config import Config
from exporter.streaming.backed import StreamBackedPoller

WATCHED = [{"address": f"0x{2000 + n:040x}", "name": f"watched-{n}"} for n in range(20)]


async def planned(config: Config) -> tuple[float, float]:
    exporter = build_exporter(config)
    try:
        dexes = next(p for p in exporter.scheduler.pollers if isinstance(p, DexesPoller))
        return exporter.context.budget.planned_total, dexes.allowance
    finally:
        await exporter.aclose()


# The others plan 486.4 (596 with 20 watched accounts), exchangeStatus's 8 and the governance poller's 12.4
# (votes, validators, the Assistance Fund and one staking summary) included (stretched to 2 with 20
# watched); the dexes get what is left of 85% of the 600.
@pytest.mark.parametrize(("watched", "allowance"), [([], 23.6), (WATCHED, 0.0)])
async def test_builder_dexes_get_what_the_others_leave_up_to_their_cap(
    watched: list[dict[str, str]], allowance: float
) -> None:
    config = Config.model_validate({"collectors": {"accounts": {"watched": watched}}})
    total, given = await planned(config)
    assert given == pytest.approx(allowance)
    assert total <= 0.5 * config.hyperliquid.weight_limit_per_minute
    raised = Config.model_validate({"hyperliquid": {"weight_budget_share": 0.65}})
    assert (await planned(raised))[1] == pytest.approx(150.0)  # the cap: 0.85 x 780 - 486.4 = 176.6


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


def _rest_rate(poller: Poller) -> float:
    rest = poller.inner if isinstance(poller, StreamBackedPoller) else poller
    return rest.planned_weight_per_minute


async def test_the_dexes_spend_what_live_streams_save(monkeypatch: pytest.MonkeyPatch) -> None:
    # 20 watched accounts leave the dexes nothing at the others' REST rates; with the streams live the
    # others reconcile slowly, and the dexes may spend the difference, never more than the headroom.
    config = Config.model_validate({"collectors": {"accounts": {"watched": WATCHED}}})
    exporter = build_exporter(config)
    try:
        dexes = next(p for p in exporter.scheduler.pollers if isinstance(p, DexesPoller))
        others = [p for p in exporter.scheduler.pollers if p is not dexes]
        backed = {p.name for p in others if isinstance(p, StreamBackedPoller)}
        assert {"market", "fills", "accounts_liquidators"} <= backed
        assert dexes.allowance == 0.0  # no stream is live yet
        headroom = 0.85 * config.hyperliquid.weight_budget_per_minute

        def others_in_force(live: set[str]) -> float:
            return sum(p.planned_weight_per_minute if p.name in live else _rest_rate(p) for p in others)

        for live in (backed, backed - {"market"}, backed - {"fills"}, set()):
            monkeypatch.setattr(StreamBackedPoller, "stream_live", lambda self, live=live: self.name in live)
            dexes.refresh_allowance()
            # Never more than the others leave of the headroom at the rates in force.
            assert dexes.allowance <= max(headroom - others_in_force(live), 0.0) + 1e-9, live
        monkeypatch.setattr(StreamBackedPoller, "stream_live", lambda self: True)
        dexes.refresh_allowance()
        assert dexes.allowance == pytest.approx(150.0)  # the configured cap
        ten_dexes = config.collectors.dexes, 10, len(WATCHED)
        # 10 dexes streamed (contexts reconciled every 300 s): the watched accounts' positions on them are
        # polled again, every 11 minutes (the wanted 32.33/min per dex stretched into 146).
        streamed = plan_schedule(*ten_dexes, dexes.allowance, 300.0)
        assert streamed.watched == pytest.approx(300 * 323.33 / 146, rel=1e-3)
        liquidators_only = {"accounts_liquidators"}
        monkeypatch.setattr(StreamBackedPoller, "stream_live", lambda self: self.name in liquidators_only)
        dexes.refresh_allowance()
        # Only the liquidators' stream live: it saves 96 - 8 = 88 of the others' 596 at REST rates: 508,
        # which leaves 2 of the 510 headroom.
        assert dexes.allowance == pytest.approx(2.0)
        monkeypatch.setattr(StreamBackedPoller, "stream_live", lambda self: False)
        dexes.refresh_allowance()
        assert dexes.allowance == 0.0
        assert math.isinf(plan_schedule(*ten_dexes, dexes.allowance, 300.0).watched)
    finally:
        await exporter.aclose()
