"""The heavy cascade (issue 14) on the simulator, in-process on a stepped scenario clock.

21,265 liquidator fills: 9,000 backstops spread over two minutes on Liquidators 2-4, five
auto-deleveraging bursts of 2,400 fills in one millisecond on the HLP Liquidator and 265 on HLP
Liquidator 2 (their own side, naming themselves as liquidatedUser), served in pages
of 500 (the scenario's) and of 2,000. The exporter polls as it would, at its default intervals in
scenario time: liquidator positions every 5 s, fills every 30 s. Its counters must equal the
scenario's own fills, with no pagination gap, every poll must succeed (so none ran past its
deadline of two intervals), and the liquidators' position series must never go missing.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from exporter.replay.scenario import SCENARIOS_DIR
from exporter.replay.timeline import Timeline
from exporter.scheduler import DEADLINE_INTERVALS
from tests.replay.support import HLP_LIQUIDATOR, LIQUIDATORS, InProcessExporter, Replay

END = 330.0  # the last burst lands at 278 s; two more fills polls count it and its new series
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scenario(page_size: int) -> dict[str, object]:
    loaded = yaml.safe_load(Path(SCENARIOS_DIR / "cascade-heavy.yaml").read_text())
    assert isinstance(loaded, dict)
    return {**loaded, "fills_page_size": page_size}


def ground_truth(timeline: Timeline) -> tuple[Counter[tuple[str, str]], Counter[str]]:
    """(liquidations by coin and method, auto-deleverages by coin) in the liquidators' fills."""
    liquidations: Counter[tuple[str, str]] = Counter()
    deleverages: Counter[str] = Counter()
    for address in LIQUIDATORS:
        track = timeline.account(address)
        assert track is not None
        for fill in track.fills:
            if fill.time > END:
                continue
            # A liquidator's own inventory closed by ADL: its fill names itself (never a backstop).
            liquidated_user = fill.liquidation.liquidated_user if fill.liquidation is not None else None
            if fill.direction == "Auto-Deleveraging" or liquidated_user == address:
                deleverages[fill.coin] += 1
            elif fill.liquidation is not None:
                liquidations[(fill.coin, fill.liquidation.method)] += 1
    return liquidations, deleverages


class Harness(InProcessExporter):
    def __init__(self, page_size: int, market: bool = False) -> None:
        super().__init__(
            Replay(scenario(page_size)),
            {
                "collectors": {
                    "market": {"enabled": market},
                    "vaults": {"enabled": False},
                    "fills": {"watched_enabled": False},
                },
                "reference_prices": {"enabled": False},
            },
        )
        self.pollers = {poller.name: poller for poller in self.scheduler.pollers}

    async def poll(self, name: str) -> float:
        """Poll once; the poll must succeed within its deadline. Returns its duration in seconds."""
        poller = self.pollers[name]
        assert await self.scheduler.poll_once(poller), f"{name} failed at t={self.replay.monotonic.value}"
        duration = self.store.health[name].last_duration
        assert duration <= DEADLINE_INTERVALS * poller.interval
        return duration

    def samples(self) -> Samples:
        return {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(self.exposition())
            for sample in family.samples
        }


@pytest.fixture(params=[500, 2000], ids=["pages-of-500", "pages-of-2000"])
def harness(request: pytest.FixtureRequest) -> Harness:
    return Harness(request.param)


async def test_heavy_cascade_counts_equal_ground_truth_without_gaps(harness: Harness) -> None:
    try:
        await harness.poll("accounts_hlp")  # discovery
        t = 0.0
        held_btc_seen = 0
        while t <= END:
            harness.replay.at(t)
            await harness.poll("accounts_liquidators")
            if t % 30 == 0:
                await harness.poll("fills")
            found = harness.samples()
            for address in LIQUIDATORS:  # every liquidator's series, in every poll
                assert any(
                    name == "hyperliquid_account_value_usd" and dict(labels) == {"account": address}
                    for name, labels in found
                ), f"{address} missing at t={t}"
            btc = (
                "hyperliquid_account_position_size",
                frozenset({"account": HLP_LIQUIDATOR, "coin": "BTC"}.items()),
            )
            if 50 <= t < 94:  # the takeover: the position series never drops out
                assert found.get(btc, 0) > 0, f"HLP Liquidator BTC position missing at t={t}"
                held_btc_seen += 1
            t += 5.0
        assert held_btc_seen == 9
        found = harness.samples()
    finally:
        await harness.aclose()

    liquidations, deleverages = ground_truth(harness.replay.state.timeline)
    assert sum(liquidations.values()) + sum(deleverages.values()) >= 20_000
    counted_liquidations = {
        (dict(labels)["coin"], dict(labels)["method"]): value
        for (name, labels), value in found.items()
        if name == "hyperliquid_liquidations_total" and value
    }
    counted_deleverages = {
        dict(labels)["coin"]: value
        for (name, labels), value in found.items()
        if name == "hyperliquid_auto_deleverages_total" and value
    }
    assert counted_liquidations == dict(liquidations)
    assert counted_deleverages == dict(deleverages)
    gaps = {
        dict(labels)["account"]: value
        for (name, labels), value in found.items()
        if name == "hyperliquid_fills_pagination_gaps_total"
    }
    assert gaps == dict.fromkeys(LIQUIDATORS, 0.0)
