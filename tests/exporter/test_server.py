"""HTTP endpoints: /metrics never calls upstream, readiness follows first polls, landing page links."""

from __future__ import annotations

import httpx

from exporter.exposition import CONTENT_TYPE, Exposition
from exporter.scheduler import Scheduler
from exporter.server import build_app
from exporter.store import SnapshotStore
from tests.exporter.fakes import ScriptedPoller, gauge


async def test_endpoints() -> None:
    store = SnapshotStore()
    poller = ScriptedPoller("market", "market", [lambda: [gauge("hyperliquid_mark_price", {"BTC": 1.0})]])
    scheduler = Scheduler([poller], store)

    def render() -> Exposition:
        return store.render()

    transport = httpx.ASGITransport(app=build_app(store, render))
    async with httpx.AsyncClient(transport=transport, base_url="http://exporter") as client:
        await check_endpoints(client, scheduler, poller)


async def check_endpoints(client: httpx.AsyncClient, scheduler: Scheduler, poller: ScriptedPoller) -> None:
    assert (await client.get("/-/healthy")).status_code == 200
    not_ready = await client.get("/-/ready")
    assert not_ready.status_code == 503
    assert "market" in not_ready.text
    assert (await client.get("/metrics")).content == b""
    await scheduler.poll_once(poller)
    assert (await client.get("/-/ready")).status_code == 200
    metrics = await client.get("/metrics")
    assert metrics.headers["content-type"] == CONTENT_TYPE
    assert b'hyperliquid_mark_price{coin="BTC"} 1.0' in metrics.content
    assert poller.calls == 1  # scrapes never poll
    landing = await client.get("/")
    assert "text/html" in landing.headers["content-type"]
    assert "href='metrics'" in landing.text
    assert (await client.post("/metrics")).status_code == 405
    assert (await client.get("/nope")).status_code == 404
