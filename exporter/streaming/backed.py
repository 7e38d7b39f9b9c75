"""A REST poller whose data a stream also delivers: slow reconciliation while the stream is live,
the poller's own fast interval as soon as it is not.

The scheduler keeps polling the wrapper at the poller's configured interval. While the feed is
live, a poll returns the stream's view (no request) except every `reconcile_interval`, when the
real REST poll runs (or, for a feed that keeps state the pushes build on, the feed's own `refresh`, so the
next push does not bring back what REST just corrected); while the feed is down, every poll is a REST
poll. So the fall-back to fast
REST rates is automatic, takes at most one configured interval, and health, readiness and the
first poll at start-up behave exactly as without streaming.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

from prometheus_client.metrics_core import Metric

from exporter.collectors.base import Poller


class StreamBackedPoller:
    def __init__(
        self,
        inner: Poller,
        live: Callable[[], bool],
        stream_families: Callable[[], Sequence[Metric]],
        reconcile_interval: float,
        fallback: dict[str, bool],
        monotonic: Callable[[], float] = time.monotonic,
        refresh: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.inner = inner
        self._live = live
        self._stream_families = stream_families
        self.reconcile_interval = reconcile_interval
        self._fallback = fallback
        self._monotonic = monotonic
        self._refresh = refresh
        self._next_rest = 0.0
        self.rest_polls = 0
        fallback[inner.name] = True

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def collector(self) -> str:
        return self.inner.collector

    @property
    def interval(self) -> float:
        return self.inner.interval

    @property
    def max_age(self) -> float:
        return self.inner.max_age

    @property
    def planned_weight_per_minute(self) -> float:
        """Planned at the reconciliation rate: the stream is expected to be live."""
        return self.inner.planned_weight_per_minute * min(1.0, self.inner.interval / self.reconcile_interval)

    def stream_live(self) -> bool:
        return self._live()

    async def poll(self) -> Sequence[Metric]:
        now = self._monotonic()
        live = self._live()
        self._fallback[self.name] = not live
        if live and now < self._next_rest:
            return self._stream_families()
        if live and self._refresh is not None:
            await self._refresh()
            families = self._stream_families()
        else:
            families = await self.inner.poll()
        self.rest_polls += 1
        self._next_rest = now + self.reconcile_interval
        return families
