"""One request for one fact, whoever asks: the same info request made by two of its readers at once
(the market poller and the market stream's starting point both read `metaAndAssetCtxs`; HLP's
`vaultDetails` feeds both the vault metrics and child discovery) is sent once and its answer shared.

At start-up every poller asks at once and the weight budget serves them one after another: a second
copy of a weight-20 request pushed every later first success back by two seconds at the shipped budget.
A reader may also take an answer already in hand if it is recent enough for it (`fresh_for`).
Answers are shared, not copied: readers parse them and never change them.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from exporter.hyperliquid.budget import Priority
from exporter.hyperliquid.client import InfoClient


class SharedReads:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._in_flight: dict[str, asyncio.Future[Any]] = {}
        self._answers: dict[str, tuple[float, Any]] = {}

    async def info(
        self,
        client: InfoClient,
        body: dict[str, Any],
        collector: str,
        fresh_for: float = 0.0,
        priority: Priority | None = None,
    ) -> Any:
        """`client.info(body, collector, priority)`, joining the same request in flight, or taking an
        answer at most `fresh_for` seconds old. The request's weight is charged to whoever sent it."""
        key = json.dumps(body, sort_keys=True)
        answered = self._answers.get(key)
        if answered is not None and self._clock() - answered[0] <= fresh_for:
            return answered[1]
        flight = self._in_flight.get(key)
        if flight is None:
            flight = asyncio.ensure_future(client.info(body, collector, priority))
            self._in_flight[key] = flight
            flight.add_done_callback(lambda done: self._landed(key, done))
        # A reader cancelled (its poll's deadline) leaves the request to the others waiting on it.
        return await asyncio.shield(flight)

    def _landed(self, key: str, flight: asyncio.Future[Any]) -> None:
        self._in_flight.pop(key, None)
        if not flight.cancelled() and flight.exception() is None:
            self._answers[key] = (self._clock(), flight.result())
