"""Wiring: config -> budget, clients, pollers, scheduler, store -> HTTP app."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from exporter.collectors.context import CollectorContext
from exporter.collectors.registry import build_pollers
from exporter.config import Config
from exporter.exposition import Exposition
from exporter.hyperliquid.budget import WeightBudget
from exporter.hyperliquid.client import USER_AGENT, InfoClient, RequestStats
from exporter.loop_lag import LoopLag
from exporter.scheduler import Scheduler
from exporter.self_metrics import render_self_metrics
from exporter.server import build_app
from exporter.store import SnapshotStore
from exporter.streaming.service import StreamingService
from exporter.web.layer import WebLayer

if TYPE_CHECKING:
    from exporter.runtime import ExporterRuntime

log = logging.getLogger(__name__)


@dataclass
class Exporter:
    config: Config
    context: CollectorContext
    scheduler: Scheduler
    store: SnapshotStore
    streaming: StreamingService | None = None
    loop_lag: LoopLag = field(default_factory=LoopLag)

    def render_exposition(self) -> Exposition:
        own = render_self_metrics(self.store, self.context.stats, self.context.budget, self.loop_lag)
        if self.streaming is not None:
            own = {**own, **self.streaming.render()}
        return self.store.render(own)

    def render_metrics(self) -> bytes:
        return self.render_exposition().identity()

    async def aclose(self) -> None:
        await self.context.client.aclose()
        await self.context.http.aclose()


def build_exporter(config: Config) -> Exporter:
    hl = config.hyperliquid
    budget = WeightBudget(hl.weight_budget_per_minute, max_pause_seconds=hl.retry_after_max_seconds)
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
    return Exporter(
        config, context, Scheduler(pollers, store, shortest_deadline=hl.timeout_seconds), store, streaming
    )


async def serve(runtime: ExporterRuntime, web: WebLayer, listen_address: str, telemetry_path: str) -> None:
    def render() -> Exposition:
        return runtime.render_exposition().then(web.telemetry.render())

    web.add_reload_step(runtime.reload)
    app = web.wrap(build_app(runtime, render, telemetry_path))
    exporter = runtime.exporter
    log.info(
        "listening on %s (%s, telemetry at %s); %d pollers, planned weight %.0f of %.0f per minute",
        listen_address,
        "https" if web.ssl_context else "http",
        telemetry_path,
        len(exporter.scheduler.pollers),
        exporter.context.budget.planned_total,
        exporter.context.budget.per_minute,
    )
    runtime.start()
    try:
        await web.serve(app, listen_address, one_send_per_response=True)
    finally:
        await runtime.stop()
