"""The liveness collector against the simulator: the chain's clock per source, its lag, and what a
frozen chain and a failing API each look like on /metrics."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from exporter.collectors.liveness import parse_evm_block, parse_exchange_status
from exporter.hyperliquid.errors import ParseError
from tests.replay.support import WALL_START, InProcessExporter, Replay

OFF = {"enabled": False}


def _exporter(replay: Replay) -> InProcessExporter:
    return InProcessExporter(
        replay,
        {
            "collectors": {
                "market": OFF,
                "vaults": OFF,
                "accounts": OFF,
                "fills": OFF,
                "dexes": OFF,
                "liveness": {"evm_rpc_url": f"{InProcessExporter.BASE_URL}/evm"},
            },
            "reference_prices": OFF,
            "streaming": OFF,
        },
    )


def _values(exporter: InProcessExporter) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(exporter.exposition()):
        for sample in family.samples:
            out[(sample.name, sample.labels.get("source", ""))] = sample.value
    return out


async def _poll(exporter: InProcessExporter) -> dict[tuple[str, str], float]:
    for poller in exporter.scheduler.pollers:
        await exporter.scheduler.poll_once(poller)
    return _values(exporter)


async def test_a_live_chain_then_a_frozen_one() -> None:
    replay = Replay("calm").at(30)
    exporter = _exporter(replay)
    try:
        values = await _poll(exporter)
        assert values[("hyperliquid_chain_time_seconds", "exchange_status")] == WALL_START + 30
        assert values[("hyperliquid_chain_time_seconds", "evm")] == WALL_START + 30
        assert values[("hyperliquid_chain_time_lag_seconds", "exchange_status")] == 0
        assert values[("hyperliquid_exporter_api_weight_planned_per_minute", "")] == 8  # weight 2 every 15 s
        assert replay.client.post("/_replay/venue", json={"fault": "chain-freeze"}).status_code == 200
        replay.at(100)
        values = await _poll(exporter)
        assert values[("hyperliquid_chain_time_lag_seconds", "exchange_status")] == 70
        assert values[("hyperliquid_chain_time_lag_seconds", "evm")] == 70
        assert values[("hyperliquid_liveness_probe_failures_total", "exchange_status")] == 0
    finally:
        await exporter.aclose()


async def test_a_failing_api_is_not_a_frozen_chain() -> None:
    replay = Replay("calm").at(30)
    exporter = _exporter(replay)
    try:
        replay.client.post("/_replay/venue", json={"fault": "api-errors"})
        failures = 0.0
        for step in range(10):
            replay.at(31 + step)
            values = await _poll(exporter)
            failures = values[("hyperliquid_liveness_probe_failures_total", "exchange_status")]
            assert values[("hyperliquid_chain_time_lag_seconds", "evm")] == 0
        assert failures >= 5
        errors = [
            s
            for f in text_string_to_metric_families(exporter.exposition())
            for s in f.samples
            if s.name == "hyperliquid_exporter_api_request_errors_total"
            and s.labels["request"] == "exchangeStatus"
        ]
        assert sum(s.value for s in errors) >= 5
        durations = [
            s
            for f in text_string_to_metric_families(exporter.exposition())
            for s in f.samples
            if s.name == "hyperliquid_exporter_api_request_duration_seconds_count"
        ]
        assert durations[0].labels["request"] == "exchangeStatus"
        assert durations[0].value == 10
    finally:
        await exporter.aclose()


def test_liveness_answers_are_read_strictly() -> None:
    assert parse_exchange_status({"time": 1_760_000_000_500, "specialStatuses": None}) == 1_760_000_000.5
    assert parse_evm_block({"result": {"number": "0x10", "timestamp": "0x5f5e100"}}) == (16, 100_000_000.0)
    for bad in (None, {"time": "soon"}, {"time": True}, {"time": 0}):
        try:
            parse_exchange_status(bad)
        except ParseError:
            continue
        raise AssertionError(bad)
    for bad_block in (
        {"error": {"code": -32000}},
        {"result": {"number": "zz", "timestamp": "0x1"}},
        {"result": None},
    ):
        try:
            parse_evm_block(bad_block)
        except ParseError:
            continue
        raise AssertionError(bad_block)
