"""Wires queue, renderers, senders and workers together; the HTTP layer only talks to this."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Mapping
from typing import Any

from exporter.relay.config import RelayConfig
from exporter.relay.delivery import DeliveryWorker, Sender
from exporter.relay.metrics import RelayMetrics
from exporter.relay.pacing import Pacer
from exporter.relay.payload import WebhookPayload
from exporter.relay.queue import ChannelBacklog, DurableQueue, EnqueueResult
from exporter.relay.render_discord import render_discord
from exporter.relay.render_telegram import render_telegram
from exporter.relay.send_discord import DiscordSender
from exporter.relay.send_telegram import TelegramSender

log = logging.getLogger(__name__)
RETENTION_SECONDS = 7 * 24 * 3600
PRUNE_INTERVAL_SECONDS = 3600
SHUTDOWN_GRACE_SECONDS = 5.0


class RelayService:
    def __init__(
        self,
        config: RelayConfig,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        speed: float = 1.0,
    ) -> None:
        """`clock`, `monotonic` and `speed`: see DeliveryWorker (tests fast-forward time with them)."""
        self.config = config
        self._clock = clock
        self._monotonic = monotonic
        self._speed = speed
        self._queue: DurableQueue | None = None
        self._workers: dict[str, DeliveryWorker] = {}
        self._senders: list[Sender] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._prune_task: asyncio.Task[None] | None = None
        self.metrics = RelayMetrics(self.backlog, clock)
        self.ready = False

    @property
    def channels(self) -> tuple[str, ...]:
        configured = (("telegram", self.config.telegram), ("discord", self.config.discord))
        return tuple(name for name, section in configured if section is not None)

    async def start(self) -> None:
        queue = await asyncio.to_thread(DurableQueue, self.config.queue_path)
        self._queue = queue
        await asyncio.to_thread(queue.prune, self._clock() - RETENTION_SECONDS)
        retry = self.config.retry
        await asyncio.to_thread(
            queue.limit_waits, self._clock() + max(retry.hold_seconds, retry.max_retry_after_seconds)
        )
        self.metrics.queue_limit.set(self.config.max_queue_messages)
        timeout = self.config.retry.request_timeout_seconds
        if self.config.telegram is not None:
            telegram = TelegramSender(self.config.telegram, timeout)
            self._add_worker("telegram", telegram, Pacer(self.config.telegram.pacing))
        if self.config.discord is not None:
            discord = DiscordSender(self.config.discord, timeout)
            self._add_worker("discord", discord, Pacer(self.config.discord.pacing))
        self._prune_task = asyncio.create_task(self._prune_periodically(), name="relay-prune")
        self.ready = True
        log.info("relay ready: channels %s, queue %s", ", ".join(self.channels), self.config.queue_path)

    async def stop(self) -> None:
        self.ready = False
        if self._prune_task is not None:
            self._prune_task.cancel()
            await asyncio.gather(self._prune_task, return_exceptions=True)
        for worker in self._workers.values():
            worker.stop()
        # A send in flight is allowed to finish so its outcome is recorded; then anything left is cancelled.
        grace = self.config.retry.request_timeout_seconds + SHUTDOWN_GRACE_SECONDS
        if self._tasks:
            _, still_running = await asyncio.wait(self._tasks, timeout=grace)
            for task in still_running:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for sender in self._senders:
            await sender.close()
        if self._queue is not None:
            await asyncio.to_thread(self._queue.close)

    async def accept(self, channel: str, payload: WebhookPayload) -> EnqueueResult:
        """Render and persist one webhook.

        Raises sqlite3.Error when it cannot be stored and QueueFullError when the channel's queue is full.
        """
        queue = self._require_queue()
        base_url = str(self.config.grafana_base_url) if self.config.grafana_base_url else None
        bodies: list[dict[str, Any]]
        if channel == "telegram" and self.config.telegram is not None:
            bodies = list(
                render_telegram(payload, base_url, self.config.telegram.max_messages_per_notification)
            )
        elif channel == "discord" and self.config.discord is not None:
            bodies = render_discord(payload, base_url, self.config.discord.max_messages_per_notification)
        else:
            raise ValueError(f"channel {channel} is not configured")
        result = await asyncio.to_thread(
            queue.enqueue,
            channel,
            payload.groupKey,
            payload.dedup_key(),
            bodies,
            self._clock(),
            self.config.dedup_window_seconds,
            self.config.max_queue_messages,
        )
        if result.superseded:
            self.metrics.messages_superseded.labels(channel).inc(result.superseded)
        if not result.duplicate:
            self._workers[channel].wake()
        return result

    def _add_worker(self, channel: str, sender: Sender, pacer: Pacer) -> None:
        worker = DeliveryWorker(
            channel,
            self._require_queue(),
            sender,
            pacer,
            self.config.retry,
            self.metrics,
            clock=self._clock,
            late_after_seconds=self.config.late_after_seconds,
            monotonic=self._monotonic,
            speed=self._speed,
        )
        self._senders.append(sender)
        self._workers[channel] = worker
        self._tasks.append(asyncio.create_task(worker.run(), name=f"relay-{channel}"))

    async def _prune_periodically(self) -> None:
        """Delivered and rejected rows are kept a week for inspection and dedup, then dropped."""
        while True:
            await asyncio.sleep(PRUNE_INTERVAL_SECONDS)
            try:
                cutoff = self._clock() - RETENTION_SECONDS
                removed = await asyncio.to_thread(self._require_queue().prune, cutoff)
            except sqlite3.Error as exc:
                log.warning("could not prune the relay queue: %s", exc)
            else:
                log.debug("pruned %d finished messages", removed)

    def backlog(self) -> Mapping[str, ChannelBacklog]:
        """Read at scrape time (in a worker thread), so queue gauges are never stale."""
        queue = self._queue
        if queue is None or not self.ready:
            return {}
        return queue.backlog()

    def _require_queue(self) -> DurableQueue:
        if self._queue is None:
            raise RuntimeError("relay queue is not open yet")
        return self._queue
