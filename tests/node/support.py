"""Node files in the exact format, written by the project's own writer, and a node poller over them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from exporter.collectors.context import CollectorContext
from exporter.collectors.node import NodePoller
from exporter.hyperliquid.budget import WeightBudget
from exporter.hyperliquid.client import InfoClient, RequestStats
from exporter.node.config import NodeConfig
from exporter.replay.node_files import Event
from tests.support.binaries import REPO_ROOT

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "node" / "adl_block_758800641.json"
HLP_LIQUIDATOR = "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14"
# 2025-10-10T21:16:04.831874 UTC: the fixture's block.
BLOCK_TIME = 1760130964.831874


def fixture_line() -> dict[str, Any]:
    line: dict[str, Any] = json.loads(FIXTURE.read_text())["line"]
    return line


def fixture_event() -> Event:
    user, fill = fixture_line()["events"][0]
    return user, fill


def fill(
    coin: str = "BTC",
    px: str = "100.0",
    sz: str = "1.0",
    tid: int = 1,
    hash_: str = "0x" + "ab" * 32,
    direction: str = "Open Long",
    liquidated_user: str | None = None,
    method: str = "market",
    time_ms: int = 1760130964831,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "coin": coin,
        "px": px,
        "sz": sz,
        "side": "A",
        "time": time_ms,
        "startPosition": "1.0",
        "dir": direction,
        "closedPnl": "-5.0",
        "hash": hash_,
        "oid": 1000 + tid,
        "crossed": True,
        "fee": "0.0",
        "tid": tid,
        "feeToken": "USDC",
    }
    if liquidated_user is not None:
        body["liquidation"] = {"liquidatedUser": liquidated_user, "markPx": px, "method": method}
    return body


def context(clock: Callable[[], float], listed: tuple[str, ...]) -> CollectorContext:
    budget = WeightBudget(1200)
    stats = RequestStats()
    http = httpx.AsyncClient()
    client = InfoClient("http://127.0.0.1:9", budget, http=http, stats=stats)
    built = CollectorContext(client=client, http=http, budget=budget, stats=stats, clock=clock)
    if listed:
        built.universe.publish(listed)  # as the market poller would
    return built


def poller(
    data_dir: Path,
    state_file: Path | None = None,
    clock: Callable[[], float] = lambda: BLOCK_TIME,
    listed: tuple[str, ...] = ("BTC", "AVAX"),
    **settings: Any,
) -> NodePoller:
    """A node poller that has made its start-up poll: series are on /metrics at 0 from then on (counted
    as scraped at once unless `new_series_hold_seconds` is given)."""
    settings.setdefault("new_series_hold_seconds", 0.0)
    config = NodeConfig(data_dir=data_dir, state_file=state_file, **settings)
    started = NodePoller(config, context(clock, listed), liquidators=[HLP_LIQUIDATOR])
    started.poll_now()
    return started


def samples(poller: NodePoller) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of one poll, by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in poller.poll_now()
        for sample in family.samples
    }


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]
