"""Fault injection (latency, 5xx, malformed bodies, an exchange down) from flags, admin API and events."""

from __future__ import annotations

import json

import pytest

from exporter.replay.faults import Fault, FaultError, parse_fault_flag
from tests.replay.support import Replay


def test_parse_fault_flags() -> None:
    assert parse_fault_flag("info:latency=0.5") == Fault(target="info", kind="latency", seconds=0.5)
    assert parse_fault_flag("binance:down=451") == Fault(target="binance", kind="down", status=451)
    assert parse_fault_flag("info:metaAndAssetCtxs:error=502@0.25") == Fault(
        target="info:metaAndAssetCtxs", kind="error", status=502, probability=0.25
    )
    assert parse_fault_flag("info:rate_limit=100000") == Fault(
        target="info", kind="rate_limit", retry_after=100_000
    )
    assert parse_fault_flag("info:vaultDetails:drip=1") == Fault(
        target="info:vaultDetails", kind="drip", seconds=1.0
    )
    assert parse_fault_flag("info:hang") == Fault(target="info", kind="hang")


@pytest.mark.parametrize(
    ("flag", "complaint"),
    [
        ("nonsense", "expected TARGET:KIND"),
        ("bitfinex:down", "target"),
        ("info:error=200", "status"),
        ("info:explode", "kind"),
    ],
)
def test_bad_fault_flags_are_named(flag: str, complaint: str) -> None:
    with pytest.raises(FaultError, match=complaint):
        parse_fault_flag(flag)


def set_faults(replay: Replay, faults: list[dict[str, object]]) -> None:
    response = replay.client.post("/_replay/faults", json={"faults": faults})
    assert response.status_code == 200, response.text


def test_latency_delays_matching_requests_only() -> None:
    replay = Replay("calm").at(5)
    set_faults(replay, [{"target": "info:allMids", "kind": "latency", "seconds": 1.5}])
    replay.info({"type": "allMids"})
    replay.info({"type": "meta"})
    assert replay.sleeps == [1.5]


def test_error_fault_returns_5xx_then_clears() -> None:
    replay = Replay("calm").at(5)
    set_faults(replay, [{"target": "info", "kind": "error", "status": 502}])
    assert replay.client.post("/info", json={"type": "meta"}).status_code == 502
    assert replay.client.get("/api/v3/ticker/price").status_code == 200, "exchanges are not targeted"
    assert replay.client.delete("/_replay/faults").json() == {"faults": []}
    assert replay.client.post("/info", json={"type": "meta"}).status_code == 200


def test_malformed_body_is_not_json() -> None:
    replay = Replay("calm").at(5)
    set_faults(replay, [{"target": "okx", "kind": "malformed"}])
    response = replay.client.get("/api/v5/market/tickers", params={"instType": "SPOT"})
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_exchange_down_with_its_real_refusal() -> None:
    replay = Replay("calm").at(5)
    set_faults(replay, [{"target": "binance", "kind": "down", "status": 451}])
    response = replay.client.get("/api/v3/ticker/price")
    assert response.status_code == 451
    assert "restricted location" in response.text
    assert set(replay.reference_prices("BTC")) == {"okx", "bybit", "coinbase"}


def test_probability_makes_some_requests_fail() -> None:
    replay = Replay("calm").at(5)
    set_faults(replay, [{"target": "info", "kind": "error", "probability": 0.5}])
    statuses = [replay.client.post("/info", json={"type": "allMids"}).status_code for _ in range(100)]
    assert 10 < statuses.count(503) < 90
    assert statuses.count(200) == 100 - statuses.count(503)


def test_admin_api_rejects_bad_faults_with_the_reason() -> None:
    replay = Replay("calm").at(5)
    response = replay.client.post("/_replay/faults", json={"faults": [{"target": "info", "kind": "boom"}]})
    assert response.status_code == 400
    assert "faults.0.kind" in response.json()["error"]
    assert replay.client.post("/_replay/faults", json={"fault": []}).status_code == 400
    assert replay.client.get("/_replay/faults").json() == {"faults": []}


def test_scenario_outage_event_takes_bybit_down_for_a_while() -> None:
    replay = Replay("oracle-deviation")
    assert replay.at(60).client.get("/v5/market/tickers", params={"category": "spot"}).status_code == 200
    down = replay.at(120).client.get("/v5/market/tickers", params={"category": "spot"})
    assert down.status_code == 403
    assert "403 Forbidden" in down.text
    assert replay.at(400).client.get("/v5/market/tickers", params={"category": "spot"}).status_code == 200


def test_status_reports_scenario_time_and_faults() -> None:
    replay = Replay("jelly-2025-03-26").at(42.5)
    set_faults(replay, [{"target": "*", "kind": "latency", "seconds": 0.1}])
    status = replay.client.get("/_replay/status").json()
    assert status["scenario"] == "jelly-2025-03-26"
    assert status["scenario_time_seconds"] == 42.5
    assert status["wall_time_ms"] - status["scenario_zero_wall_ms"] == 42_500
    assert status["events_applied"] == 7
    assert status["next_event_seconds"] == 45
    assert status["faults"][0]["kind"] == "latency"


def test_scenario_fault_event_applies_for_its_duration() -> None:
    scenario = {
        "name": "flaky",
        "events": [
            {
                "kind": "fault",
                "at": 10,
                "duration": 20,
                "fault": {"target": "info:allMids", "kind": "error", "status": 502},
            }
        ],
    }
    replay = Replay(scenario)
    assert replay.at(5).client.post("/info", json={"type": "allMids"}).status_code == 200
    assert replay.at(15).client.post("/info", json={"type": "allMids"}).status_code == 502
    assert replay.at(15).client.post("/info", json={"type": "meta"}).status_code == 200
    assert replay.at(31).client.post("/info", json={"type": "allMids"}).status_code == 200


def test_rate_limit_answers_429_with_its_retry_after() -> None:
    replay = Replay("calm").at(5)
    set_faults(replay, [{"target": "info:allMids", "kind": "rate_limit", "retry_after": 100000}])
    response = replay.client.post("/info", json={"type": "allMids"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "100000"


def test_drip_sends_the_real_body_one_byte_at_a_time() -> None:
    replay = Replay("calm").at(5)
    whole = replay.client.post("/info", json={"type": "allMids"}).content
    set_faults(replay, [{"target": "info:allMids", "kind": "drip", "seconds": 1.0}])
    dripped = replay.client.post("/info", json={"type": "allMids"})
    assert dripped.content == whole
    assert replay.sleeps == [1.0] * len(whole)  # one pause per byte (recorded, not slept)
