"""A stalled stream is detected by its heartbeat and replaced; a malformed frame costs one count."""

from __future__ import annotations

import httpx

from tests.streaming.support import eventually, exporter_config, live_replay, running_exporter, samples, total


async def test_stalled_stream_is_detected_and_replaced() -> None:
    async with (
        live_replay("cascade-2025-10-10", start_offset=200.0, speed=1.0) as (state, url),
        running_exporter(exporter_config(url)) as exporter,
    ):
        streaming = exporter.streaming
        assert streaming is not None
        assert streaming.accounts is not None
        accounts = streaming.accounts
        await eventually(lambda: accounts.live, within=15)
        async with httpx.AsyncClient(base_url=url) as admin:
            assert (await admin.post("/_replay/ws", json={"fault": "stall"})).status_code == 200
        assert state.ws.status()["stalled"] >= 1
        users = streaming.stats.connection("users")
        # A ping every 1 s; no frame within 1 s of one: stalled, closed and replaced.
        await eventually(lambda: users.stalls >= 1, within=15)
        await eventually(lambda: accounts.live and users.connected, within=15)
        assert state.ws.opened >= 2  # the users connection, then its replacement
        # Each connection pings on its own phase: every stalled one is replaced within a ping and a timeout.
        await eventually(lambda: state.ws.status()["stalled"] == 0, within=5)
        observed = samples(exporter)
        assert total(observed, "hyperliquid_stream_stalls_total", connection="users") >= 1
        assert total(observed, "hyperliquid_stream_up", feed="account_state") == 1


async def test_malformed_frame_is_counted_and_the_connection_kept() -> None:
    async with (
        live_replay("cascade-2025-10-10", start_offset=200.0, speed=1.0) as (state, url),
        running_exporter(exporter_config(url)) as exporter,
    ):
        streaming = exporter.streaming
        assert streaming is not None
        assert streaming.fills is not None
        fills = streaming.fills
        await eventually(lambda: fills.live, within=15)
        opened = state.ws.opened
        async with httpx.AsyncClient(base_url=url) as admin:
            assert (await admin.post("/_replay/ws", json={"fault": "malformed"})).status_code == 200
        users = streaming.stats.connection("users")
        await eventually(lambda: users.malformed >= 1, within=10)
        assert users.reconnects == 0
        assert state.ws.opened == opened
        assert total(samples(exporter), "hyperliquid_stream_malformed_frames_total", connection="users") >= 1


async def test_simulator_rejects_unknown_fault() -> None:
    async with (
        live_replay("calm", start_offset=0.0, speed=1.0) as (_, url),
        httpx.AsyncClient(base_url=url) as admin,
    ):
        response = await admin.post("/_replay/ws", json={"fault": "explode"})
        assert response.status_code == 400
        assert "unknown fault" in response.json()["error"]
