"""The simulator on a real loopback socket (the streams need a WebSocket server) and the exporter,
both in the test's event loop; the exporter's metrics read from its rendered exposition."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from prometheus_client.parser import text_string_to_metric_families

from exporter.app import Exporter, build_exporter
from exporter.config import Config
from exporter.replay.app import ReplayState, create_app
from exporter.replay.clock import ScenarioClock
from exporter.replay.scenario import load_scenario
from exporter.replay.timeline import Timeline
from tests.support.processes import free_port

LIQUIDATORS = (
    "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14",
    "0xb0a55f13d22f66e6d495ac98113841b2326e9540",
    "0x5e177e5e39c0f4e421f5865a6d8beed8d921cb70",
    "0x2ed5c4484ea3ff8b57d5f2fb152a40d9f2b68308",
)
FAST_STREAMS = {
    "ping_interval_seconds": 1.0,
    "pong_timeout_seconds": 1.0,
    "connect_timeout_seconds": 5.0,
    "reconnect_initial_backoff_seconds": 0.1,
    "reconnect_max_backoff_seconds": 0.5,
    "publish_interval_seconds": 0.1,
}


@contextlib.asynccontextmanager
async def live_replay(
    scenario: str, start_offset: float, speed: float
) -> AsyncIterator[tuple[ReplayState, str]]:
    state = ReplayState(
        timeline=Timeline(load_scenario(scenario)),
        clock=ScenarioClock(speed=speed, start_offset=start_offset),
        limiter=None,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(state), host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield state, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


def exporter_config(api_url: str, streaming: dict[str, Any] | None = None, **collectors: Any) -> Config:
    """Only what the streams back: fills and accounts of the liquidators, and market if asked."""
    sections: dict[str, Any] = {
        "market": {"enabled": False},
        "vaults": {"enabled": False},
        "accounts": {"interval_seconds": 5.0, "liquidator_interval_seconds": 2.0},
        "fills": {"interval_seconds": 2.0},
        "liveness": {"evm_rpc_url": f"{api_url}/evm"},
    }
    for name, values in collectors.items():
        sections[name] = {**sections.get(name, {}), **values}
    return Config.model_validate(
        {
            "hyperliquid": {"api_url": api_url, "max_retries": 0, "weight_limit_per_minute": 1_000_000},
            "collectors": sections,
            "reference_prices": {"enabled": False},
            "streaming": {**FAST_STREAMS, **(streaming or {})},
        }
    )


@contextlib.asynccontextmanager
async def running_exporter(config: Config) -> AsyncIterator[Exporter]:
    exporter = build_exporter(config)
    tasks = [asyncio.create_task(exporter.scheduler.run())]
    if exporter.streaming is not None:
        tasks.append(asyncio.create_task(exporter.streaming.run()))
    try:
        yield exporter
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await exporter.aclose()


Samples = dict[str, dict[frozenset[tuple[str, str]], float]]


def samples(exporter: Exporter) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(exporter.render_metrics().decode()):
        for sample in family.samples:
            out.setdefault(sample.name, {})[frozenset(sample.labels.items())] = sample.value
    return out


def total(observed: Samples, name: str, **labels: str) -> float:
    return sum(value for key, value in observed.get(name, {}).items() if labels.items() <= dict(key).items())


async def eventually(predicate: Any, within: float, step: float = 0.1) -> None:
    """Wait until `predicate()` is true, for at most `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(step)
