"""Wiring: config -> budget, clients, pollers, scheduler, store -> HTTP app."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx
import uvicorn

from exporter.collectors.context import CollectorContext
from exporter.collectors.registry import build_pollers
from exporter.config import Config
from exporter.hyperliquid.budget import WeightBudget
from exporter.hyperliquid.client import USER_AGENT, InfoClient, RequestStats
from exporter.scheduler import Scheduler
from exporter.self_metrics import render_self_metrics
from exporter.server import build_app
from exporter.store import SnapshotStore
from exporter.streaming.service import StreamingService

log = logging.getLogger("exporter")


@dataclass
class Exporter:
    config: Config
    context: CollectorContext
    scheduler: Scheduler
    store: SnapshotStore
    streaming: StreamingService | None = None

    def render_metrics(self) -> bytes:
        own = render_self_metrics(self.store, self.context.stats, self.context.budget)
        if self.streaming is not None:
            own = {**own, **self.streaming.render()}
        return self.store.exposition(own)

    async def aclose(self) -> None:
        await self.context.client.aclose()
        await self.context.http.aclose()


def build_exporter(config: Config) -> Exporter:
    hl = config.hyperliquid
    budget = WeightBudget(hl.weight_budget_per_minute)
    stats = RequestStats()
    client = InfoClient(
        hl.api_url,
        budget,
        timeout_seconds=hl.timeout_seconds,
        max_retries=hl.max_retries,
        retry_max_wait_seconds=hl.retry_max_wait_seconds,
        stats=stats,
    )
    http = httpx.AsyncClient(headers={"User-Agent": USER_AGENT}, follow_redirects=False)
    context = CollectorContext(client=client, http=http, budget=budget, stats=stats)
    pollers = build_pollers(config, context)
    store = SnapshotStore()
    streaming = StreamingService(config, context, store) if config.streaming.enabled else None
    if streaming is not None:
        pollers = streaming.wrap(pollers)
    for poller in pollers:
        budget.plan(poller.collector, poller.planned_weight_per_minute)
    if budget.planned_total > budget.per_minute:
        log.warning(
            "planned Hyperliquid weight %.0f/min exceeds the budget of %.0f/min: polls will be delayed",
            budget.planned_total,
            budget.per_minute,
        )
    return Exporter(config, context, Scheduler(pollers, store), store, streaming)


async def serve(exporter: Exporter, host: str, port: int) -> None:
    app = build_app(exporter.store, exporter.render_metrics)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False))
    log.info(
        "listening on %s:%d; %d pollers, planned weight %.0f of %.0f per minute",
        host,
        port,
        len(exporter.scheduler.pollers),
        exporter.context.budget.planned_total,
        exporter.context.budget.per_minute,
    )
    polling = asyncio.create_task(exporter.scheduler.run(), name="scheduler")
    streams = [asyncio.create_task(exporter.streaming.run(), name="streaming")] if exporter.streaming else []
    try:
        await server.serve()
    finally:
        polling.cancel()
        for task in streams:
            task.cancel()
        await asyncio.gather(polling, *streams, return_exceptions=True)
        await exporter.aclose()
