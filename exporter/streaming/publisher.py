"""Pushed state into the snapshot store: rendered off the event loop, at most every `interval` seconds.

A burst of pushes (thousands of ADL fills, a context update per block) marks a snapshot dirty many
times and renders it once per interval, so /metrics shows a pushed update within about
`interval` plus one render, and a scrape never waits on it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from prometheus_client.metrics_core import Metric

from exporter.exposition import render_families
from exporter.store import Snapshot, SnapshotStore

log = logging.getLogger(__name__)

# None: nothing to publish after all (the feed stopped being live since it marked the snapshot).
FamiliesSource = Callable[[], Sequence[Metric] | None]


class SnapshotPublisher:
    def __init__(self, store: SnapshotStore, interval: float) -> None:
        self._store = store
        self.interval = interval
        self._dirty: dict[str, FamiliesSource] = {}
        self._wake = asyncio.Event()
        self.published = 0

    def mark(self, poller: str, source: FamiliesSource) -> None:
        """`poller`'s snapshot is to be replaced by what `source` returns, at the next render."""
        self._dirty[poller] = source
        self._wake.set()

    async def publish_dirty(self) -> None:
        dirty, self._dirty = self._dirty, {}
        self._wake.clear()
        for poller, source in dirty.items():
            try:
                families = source()
                if families is None:
                    continue
                rendered = await asyncio.to_thread(render_families, families)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("rendering the pushed snapshot of %s failed", poller)
                continue
            self._store.publish(Snapshot(poller, self._store.clock(), rendered))
            self.published += 1

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            await self.publish_dirty()
            await asyncio.sleep(self.interval)
