"""Venue-wide faults: the chain frozen (`chain-freeze`) and the API failing while the chain lives
(`api-errors`), and the liveness endpoints that tell them apart (exchangeStatus, HyperEVM JSON-RPC)."""

from __future__ import annotations

from typing import Any

from exporter.replay.venue import EVM_FIRST_BLOCK
from exporter.replay.ws import rewritten_ack
from tests.replay.support import WALL_START, Replay


def _evm_block(replay: Replay) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_getBlockByNumber", "params": ["latest", False]}
    response = replay.client.post("/evm", json=body)
    assert response.status_code == 200
    answer = response.json()
    assert answer["id"] == 1
    result: dict[str, Any] = answer["result"]
    return result


def _status_time(replay: Replay) -> int:
    answer = replay.info({"type": "exchangeStatus"})
    assert answer["specialStatuses"] is None
    time_ms: int = answer["time"]
    return time_ms


def test_exchange_status_and_the_evm_block_follow_the_chain_clock() -> None:
    replay = Replay("calm").at(10)
    assert _status_time(replay) == int((WALL_START + 10) * 1000)
    block = _evm_block(replay)
    assert int(block["number"], 16) == EVM_FIRST_BLOCK + 10
    assert int(block["timestamp"], 16) == int(WALL_START + 10)
    replay.at(25)
    assert int(_evm_block(replay)["number"], 16) == EVM_FIRST_BLOCK + 25


def test_chain_freeze_stops_the_chain_clock_and_serves_the_frozen_state() -> None:
    replay = Replay("venue-wide-crash").at(100)
    before = replay.ctx_by_coin()
    assert replay.client.post("/_replay/venue", json={"fault": "chain-freeze"}).status_code == 200
    replay.at(400)  # the crash happens in scenario time meanwhile; the frozen chain shows none of it
    assert _status_time(replay) == int((WALL_START + 100) * 1000)
    assert int(_evm_block(replay)["number"], 16) == EVM_FIRST_BLOCK + 100
    assert replay.ctx_by_coin() == before
    assert replay.client.get("/_replay/venue").json()["faults"] == ["chain-freeze"]
    assert replay.client.post("/_replay/venue", json={"fault": "none"}).status_code == 200
    assert _status_time(replay) == int((WALL_START + 400) * 1000)
    assert replay.ctx_by_coin() != before


def test_api_errors_fail_most_info_requests_while_the_chain_lives() -> None:
    scenario = {
        "name": "api-errors-test",
        "events": [{"at": 10, "kind": "venue", "fault": "api-errors", "duration": 60, "error_ratio": 0.8}],
    }
    replay = Replay(scenario).at(5)
    assert all(replay.client.post("/info", json={"type": "meta"}).status_code == 200 for _ in range(20))
    replay.at(20)
    statuses = [replay.client.post("/info", json={"type": "exchangeStatus"}).status_code for _ in range(100)]
    assert {502, 503} <= set(statuses)
    assert 60 <= sum(1 for status in statuses if status != 200) <= 95
    assert replay.sleeps, "some of the answered requests are slow"
    assert int(_evm_block(replay)["number"], 16) == EVM_FIRST_BLOCK + 20  # the chain lives on
    replay.at(71)
    assert all(replay.client.post("/info", json={"type": "meta"}).status_code == 200 for _ in range(20))


def test_bad_venue_faults_are_refused() -> None:
    replay = Replay("calm")
    response = replay.client.post("/_replay/venue", json={"fault": "meteor"})
    assert response.status_code == 400
    assert "chain-freeze" in response.json()["error"]


def test_acks_are_rewritten_the_way_the_live_server_is_reported_to() -> None:
    assert rewritten_ack({"type": "userFills", "user": "0xabc"}) == {
        "aggregateByTime": False,
        "user": "0xabc",
        "type": "userFills",
    }
    assert rewritten_ack({"type": "assetCtxs", "dex": ""}) == {"type": "assetCtxs"}
    assert rewritten_ack({"type": "assetCtxs", "dex": "xyz"}) == {"dex": "xyz", "type": "assetCtxs"}


def test_the_api_outage_scenario_fails_the_api_for_37_minutes_while_the_chain_lives() -> None:
    replay = Replay("api-outage-2025-07-29").at(200)
    hype = float(replay.ctx("HYPE")[1]["markPx"])
    assert all(replay.client.post("/info", json={"type": "meta"}).status_code == 200 for _ in range(20))
    replay.at(1000)  # 14:21: 90 % fail
    statuses = [replay.client.post("/info", json={"type": "exchangeStatus"}).status_code for _ in range(200)]
    assert 160 <= sum(1 for status in statuses if status in (502, 503)) <= 195
    assert int(_evm_block(replay)["number"], 16) == EVM_FIRST_BLOCK + 1000
    replay.at(2600)  # 14:48: recovered, HYPE 4.5 % lower
    assert all(replay.client.post("/info", json={"type": "meta"}).status_code == 200 for _ in range(20))
    assert float(replay.ctx("HYPE")[1]["markPx"]) / hype < 0.97


def test_the_chain_freeze_scenario_stops_the_chain_from_120_to_720_s() -> None:
    replay = Replay("chain-freeze").at(100)
    assert _status_time(replay) == int((WALL_START + 100) * 1000)
    replay.at(500)
    assert _status_time(replay) == int((WALL_START + 120) * 1000)
    assert int(_evm_block(replay)["number"], 16) == EVM_FIRST_BLOCK + 120
    replay.at(800)
    assert _status_time(replay) == int((WALL_START + 800) * 1000)


def test_none_also_ends_the_scenarios_venue_fault_in_force() -> None:
    replay = Replay("chain-freeze").at(300)
    assert _status_time(replay) == int((WALL_START + 120) * 1000)
    assert replay.client.post("/_replay/venue", json={"fault": "none"}).status_code == 200
    assert _status_time(replay) == int((WALL_START + 300) * 1000)
    assert replay.client.get("/_replay/venue").json()["faults"] == []
