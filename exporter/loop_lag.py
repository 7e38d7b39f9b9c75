"""How late the exporter's own event loop runs: is a slow answer the API's, or ours?

Every request duration the exporter measures includes the time its coroutine waited to be resumed. On
a host whose CPU is taken by neighbours (or a container at its CPU limit), every request looks slow
although the API answered at once; the API-degraded alert must not page for the exporter's own
overload. A watcher sleeps `PERIOD_SECONDS` again and again and records how much later than asked it
woke up: a histogram the rules compare with the requests' durations over the same window.
"""

from __future__ import annotations

import asyncio

from prometheus_client.metrics_core import HistogramMetricFamily

PERIOD_SECONDS = 0.25
BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class LoopLag:
    def __init__(self) -> None:
        self._counts = [0] * (len(BUCKETS) + 1)
        self._sum = 0.0

    def observe(self, lag_seconds: float) -> None:
        lag = max(0.0, lag_seconds)
        self._sum += lag
        index = next((i for i, bound in enumerate(BUCKETS) if lag <= bound), len(BUCKETS))
        self._counts[index] += 1

    async def watch(self, period: float = PERIOD_SECONDS) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time() + period
            await asyncio.sleep(period)
            self.observe(loop.time() - asked)

    def family(self) -> HistogramMetricFamily:
        family = HistogramMetricFamily(
            "hyperliquid_exporter_event_loop_lag_seconds",
            f"How much later than asked the exporter's event loop woke a {PERIOD_SECONDS:g} s sleep: its "
            "own scheduling delay, which every request duration it measures includes (a busy host or a "
            "container at its CPU limit).",
        )
        cumulative, running = [], 0
        for bound, count in zip((*map(str, BUCKETS), "+Inf"), self._counts, strict=True):
            running += count
            cumulative.append((bound, float(running)))
        family.add_metric([], cumulative, self._sum)
        return family
