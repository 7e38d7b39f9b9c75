"""The running exporter, replaced on a configuration reload by one built from the re-read file.

A reload that fails validation changes nothing. One that succeeds stops the old pollers, starts the new
ones and keeps the latest snapshot of every poller that exists in both configurations, so /metrics has
no gap. New pollers start from scratch, as after a restart: event counters begin again at zero, which
`rate()` and `increase()` treat as a counter reset.
"""

from __future__ import annotations

import asyncio
import logging

from exporter.app import Exporter, build_exporter
from exporter.config import ConfigError, load_config
from exporter.exposition import Exposition
from exporter.store import PollerHealth
from exporter.web.reload import ReloadError

log = logging.getLogger(__name__)


class ExporterRuntime:
    def __init__(self, config_file: str, exporter: Exporter) -> None:
        self.config_file = config_file
        self.exporter = exporter
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def health(self) -> dict[str, PollerHealth]:
        return self.exporter.store.health

    @property
    def ready(self) -> bool:
        return self.exporter.store.ready

    def render_exposition(self) -> Exposition:
        return self.exporter.render_exposition()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self.exporter.scheduler.run(), name="scheduler"),
            asyncio.create_task(self.exporter.loop_lag.watch(), name="loop-lag"),
        ]
        if self.exporter.streaming is not None:
            self._tasks.append(asyncio.create_task(self.exporter.streaming.run(), name="streaming"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.exporter.aclose()

    async def reload(self) -> None:
        try:
            config = await asyncio.to_thread(load_config, self.config_file)
        except ConfigError as exc:
            raise ReloadError(str(exc)) from exc
        if config == self.exporter.config:
            log.info("%s unchanged: pollers keep running", self.config_file)
            return
        try:
            replacement = build_exporter(config)
        except ValueError as exc:
            raise ReloadError(f"{self.config_file}: {exc}") from exc
        await self.stop()
        replacement.store.carry_over(self.exporter.store)
        self.exporter = replacement
        self.start()
        log.info("%s reloaded: %d pollers", self.config_file, len(replacement.scheduler.pollers))
