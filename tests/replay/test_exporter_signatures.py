"""The exporter, pointed at the simulator, publishes each incident's signature.

The simulator runs in-process on a controllable clock and the exporter's HTTP clients talk to it
through an ASGI transport, so the test steps scenario time to the moments that matter and polls
every collector there, as the exporter would, without waiting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.replay.scenario import load_scenario
from tests.replay.support import HLP_LIQUIDATOR, InProcessExporter, Replay

BASE_URL = InProcessExporter.BASE_URL
Samples = dict[str, dict[frozenset[tuple[str, str]], float]]


@dataclass
class Observed:
    samples: Samples

    def value(self, name: str, **labels: str) -> float | None:
        return self.samples.get(name, {}).get(frozenset(labels.items()))

    def by(self, name: str, label: str) -> dict[str, float]:
        """Values summed by one label."""
        out: dict[str, float] = defaultdict(float)
        for key, value in self.samples.get(name, {}).items():
            out[dict(key)[label]] += value
        return dict(out)

    def labels_of(self, name: str, **labels: str) -> list[dict[str, str]]:
        return [dict(key) for key in self.samples.get(name, {}) if labels.items() <= dict(key).items()]


class ExporterOnReplay(InProcessExporter):
    """Every collector on, watching the scenario's accounts, reference prices from the simulator."""

    def __init__(self, scenario: str) -> None:
        accounts = load_scenario(scenario).accounts
        super().__init__(
            Replay(scenario),
            {
                "collectors": {
                    "accounts": {"watched": [{"address": a.address, "name": a.name[:64]} for a in accounts]}
                },
                "reference_prices": {
                    source: {"base_url": BASE_URL} for source in ("binance", "okx", "bybit", "coinbase")
                },
            },
        )

    async def observe(self, scenario_time: float) -> Observed:
        """Move the scenario to `scenario_time`, poll every collector once, read /metrics."""
        self.replay.at(scenario_time)
        for poller in self.scheduler.pollers:  # market first: the others read its universe
            assert await self.scheduler.poll_once(poller), f"{poller.name} failed at t={scenario_time}"
        samples: Samples = defaultdict(dict)
        for family in text_string_to_metric_families(self.exposition()):
            for sample in family.samples:
                samples[sample.name][frozenset(sample.labels.items())] = sample.value
        assert self.context.stats.errors == {}, dict(self.context.stats.errors)
        return Observed(samples)


@pytest.fixture
async def jelly() -> AsyncIterator[ExporterOnReplay]:
    exporter = ExporterOnReplay("jelly-2025-03-26")
    yield exporter
    await exporter.aclose()


@pytest.fixture
async def cascade() -> AsyncIterator[InProcessExporter]:
    exporter = ExporterOnReplay("cascade-2025-10-10")
    yield exporter
    await exporter.aclose()


async def test_jelly_signature(jelly: ExporterOnReplay) -> None:
    before = await jelly.observe(20)
    mark_before = before.value("hyperliquid_mark_price", coin="JELLY", quote="USDT")
    assert mark_before is not None
    assert (
        before.value("hyperliquid_account_position_notional_usd", account=HLP_LIQUIDATOR, coin="JELLY")
        is None
    )
    assert before.value("hyperliquid_open_interest_cap_reached", coin="JELLY") == 0

    takeover = await jelly.observe(60)
    notional = takeover.value(
        "hyperliquid_account_position_notional_usd", account=HLP_LIQUIDATOR, coin="JELLY"
    )
    size = takeover.value("hyperliquid_account_position_size", account=HLP_LIQUIDATOR, coin="JELLY")
    assert notional is not None
    assert notional >= 4_000_000
    assert size is not None
    assert size < 0
    assert takeover.value("hyperliquid_open_interest_cap_reached", coin="JELLY") == 1

    peak = await jelly.observe(1545)
    mark_peak = peak.value("hyperliquid_mark_price", coin="JELLY", quote="USDT")
    upnl = peak.value("hyperliquid_account_position_unrealized_pnl_usd", account=HLP_LIQUIDATOR, coin="JELLY")
    assert mark_peak is not None
    assert mark_peak > 4 * mark_before
    assert upnl is not None
    assert upnl < -10_000_000

    delisted = await jelly.observe(2760)
    assert [info["delisted"] for info in delisted.labels_of("hyperliquid_market_info", coin="JELLY")] == [
        "true"
    ]
    assert delisted.value("hyperliquid_mark_price", coin="JELLY", quote="USDT") is None  # delisted: info only


async def test_cascade_signature(cascade: ExporterOnReplay) -> None:
    before = await cascade.observe(20)
    oi_before = before.by("hyperliquid_open_interest_size", "coin")
    adl_before = sum(before.by("hyperliquid_auto_deleverages_total", "coin").values())
    assert adl_before == 0
    assert len(before.by("hyperliquid_auto_deleverages_total", "coin")) >= 100  # at 0 from startup

    after = await cascade.observe(130)
    oi_after = after.by("hyperliquid_open_interest_size", "coin")
    falling = [
        coin for coin, size in oi_after.items() if oi_before.get(coin) and size < 0.95 * oi_before[coin]
    ]
    assert len(falling) >= 0.8 * len(oi_before), (
        f"only {len(falling)} of {len(oi_before)} coins lost 5% of OI"
    )
    adl = after.by("hyperliquid_auto_deleverages_total", "coin")
    assert sum(adl.values()) > 0
    backstops = after.by("hyperliquid_liquidations_total", "coin")
    assert sum(backstops.values()) > 0
    btc_before = before.value("hyperliquid_mark_price", coin="BTC", quote="USDT")
    btc_after = after.value("hyperliquid_mark_price", coin="BTC", quote="USDT")
    assert btc_before is not None
    assert btc_after is not None
    assert btc_after < btc_before
