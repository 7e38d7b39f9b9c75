"""The perp venues' tickers in the simulator, read by the exporter's own parsers, and the mark replica
the exporter computes from them and the simulator's market, in process."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.prices.perps import binance, bybit, gate, mexc, okx
from tests.replay.support import InProcessExporter, Replay

OFF = {"enabled": False}
PERP_ENDPOINTS: list[tuple[Any, str, dict[str, str]]] = [
    (binance, "/fapi/v1/ticker/bookTicker", {}),
    (okx, "/api/v5/market/tickers", {"instType": "SWAP"}),
    (bybit, "/v5/market/tickers", {"category": "linear"}),
    (gate, "/api/v4/futures/usdt/tickers", {}),
    (mexc, "/api/v1/contract/ticker", {}),
]


@pytest.fixture(scope="module")
def replay() -> Replay:
    return Replay("calm").at(15)


@pytest.mark.parametrize(("module", "path", "params"), PERP_ENDPOINTS)
def test_each_perp_venue_quotes_the_listed_coins_near_the_spot_reference(
    replay: Replay, module: Any, path: str, params: dict[str, str]
) -> None:
    response = replay.client.get(path, params=params)
    assert response.status_code == 200
    quotes = module.parse(response.json()).by_currency["USDT"]
    spot = replay.reference_prices("BTC")
    assert quotes["BTC"] == pytest.approx(spot["binance"], rel=0.001)
    # kPEPE trades per 1,000 PEPE on Binance and Bybit (`1000PEPEUSDT`): read back per PEPE everywhere.
    kpepe = replay.reference_prices("kPEPE", exchange_symbol="PEPE", units=1000)["binance"]
    assert quotes["PEPE"] * 1000 == pytest.approx(kpepe, rel=0.001)
    assert "MEGA" not in quotes  # a hyperp has no external perp


def test_spot_outages_leave_the_perp_endpoints_up() -> None:
    replay = Replay("oracle-deviation")
    outage_at = next(
        event.at for event in replay.state.timeline.scenario.events if getattr(event, "kind", "") == "outage"
    )
    replay.at(outage_at + 1)
    assert replay.client.get("/fapi/v1/ticker/bookTicker").status_code == 200


def _exporter(replay: Replay) -> InProcessExporter:
    url = InProcessExporter.BASE_URL
    return InProcessExporter(
        replay,
        {
            "collectors": {
                "market": {"book_depth": OFF},
                "vaults": OFF,
                "accounts": OFF,
                "fills": OFF,
                "dexes": OFF,
                "liveness": OFF,
                "governance": OFF,
            },
            "reference_prices": {
                **{
                    source: {"base_url": url, "enabled": False}
                    for source in ("binance", "okx", "bybit", "kraken", "kucoin", "gate", "mexc", "coinbase")
                },
                "hyperliquid_spot": OFF,
                "oracle_replica": OFF,
                "perps": {venue: {"base_url": url} for venue in ("binance", "okx", "bybit", "gate", "mexc")},
            },
            "streaming": OFF,
        },
    )


def _series(exporter: InProcessExporter, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    out = {}
    for family in text_string_to_metric_families(exporter.exposition()):
        for sample in family.samples:
            if sample.name == name:
                out[tuple(sorted(sample.labels.items()))] = sample.value
    return out


async def _run(replay: Replay, exporter: InProcessExporter, start: float, end: float) -> list[float]:
    """Poll every poller every 10 scenario seconds; returns the largest |deviation| of each poll."""
    largest = []
    t = start
    while t <= end:
        replay.at(t)
        for poller in exporter.scheduler.pollers:
            await exporter.scheduler.poll_once(poller)
        deviations = _series(exporter, "hyperliquid_mark_replica_deviation_ratio").values()
        largest.append(max((abs(value) for value in deviations), default=0.0))
        t += 10
    return largest


async def test_in_calm_the_replica_has_all_three_components_and_the_mark_stays_within_its_formula() -> None:
    replay = Replay("calm")
    exporter = _exporter(replay)
    try:
        largest = await _run(replay, exporter, 10, 300)
        components = _series(exporter, "hyperliquid_mark_replica_component_price")
        btc = {dict(labels)["component"] for labels in components if dict(labels)["coin"] == "BTC"}
        assert btc == {"oracle_ema", "book", "perps"}
        assert _series(exporter, "hyperliquid_external_perp_price")
        # Below HyperliquidMarkFormulaDeviation's 0.2% once the EMA has started (150 s).
        assert max(largest[15:]) < 0.002
        replica = _series(exporter, "hyperliquid_mark_replica_price")
        assert (("coin", "BTC"), ("quote", "USDT")) in replica
        assert not any(dict(labels)["coin"] == "MEGA" for labels in replica)  # hyperp: its own formula
    finally:
        await exporter.aclose()


async def test_before_the_ema_has_run_150_s_the_replica_leaves_its_component_out() -> None:
    replay = Replay("calm")
    exporter = _exporter(replay)
    try:
        await _run(replay, exporter, 10, 60)
        components = _series(exporter, "hyperliquid_mark_replica_component_price")
        btc = {dict(labels)["component"] for labels in components if dict(labels)["coin"] == "BTC"}
        assert btc == {"book", "perps", "book_ema"}
    finally:
        await exporter.aclose()


async def test_a_mark_released_faster_than_its_formula_allows_shows_as_deviation() -> None:
    # jelly-2025-03-26: JELLY's mark premium (0.5%) is released over 60 s at 1,545 s; the replica's EMAs
    # trail it, so the published mark leaves the formula's median for a while.
    replay = Replay("jelly-2025-03-26")
    exporter = _exporter(replay)
    try:
        before = await _run(replay, exporter, 1300, 1540)
        after = await _run(replay, exporter, 1550, 1700)
        assert max(before[15:]) < 0.002
        assert max(after) > 0.002
    finally:
        await exporter.aclose()
