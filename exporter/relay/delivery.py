"""The worker that drains one channel's queue: paced, retried within a bound, deferred rather than dropped."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, stop_any
from tenacity.stop import stop_base

from exporter.relay.config import RetryConfig
from exporter.relay.errors import DeliveryError
from exporter.relay.metrics import RelayMetrics
from exporter.relay.pacing import Pacer
from exporter.relay.queue import DurableQueue, QueuedMessage

log = logging.getLogger(__name__)
IDLE_POLL_SECONDS = 5.0


class Sender(Protocol):
    async def send(self, body: dict[str, Any]) -> None: ...

    async def close(self) -> None: ...


class ShutdownRequested(Exception):
    """Raised out of a wait when the relay is stopping; the message stays queued."""


class DeliveryWorker:
    def __init__(
        self,
        channel: str,
        queue: DurableQueue,
        sender: Sender,
        pacer: Pacer,
        retry: RetryConfig,
        metrics: RelayMetrics,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.channel = channel
        self._queue = queue
        self._sender = sender
        self._pacer = pacer
        self._retry = retry
        self._metrics = metrics
        self._clock = clock
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()

    def wake(self) -> None:
        """Called after an enqueue, so a new message does not wait for the idle poll."""
        self._wakeup.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            self._wakeup.clear()  # before reading the queue, so an enqueue that follows is never missed
            try:
                message = await asyncio.to_thread(self._queue.head, self.channel)
                if message is None:
                    await self._sleep(IDLE_POLL_SECONDS, wake_on_enqueue=True)
                elif message.next_attempt_at > self._clock():
                    await self._sleep(message.next_attempt_at - self._clock(), wake_on_enqueue=False)
                else:
                    await self._deliver(message)
            except ShutdownRequested:
                break
            except Exception:
                # The queue itself failed (disk full, locked database): keep the worker alive and retry.
                log.exception(
                    "%s delivery worker error; retrying in %.0fs", self.channel, self._retry.hold_seconds
                )
                try:
                    await self._sleep(self._retry.hold_seconds, wake_on_enqueue=False)
                except ShutdownRequested:
                    break

    async def _deliver(self, message: QueuedMessage) -> None:
        attempts = 0
        try:
            async for attempt in AsyncRetrying(
                stop=stop_any(
                    stop_after_attempt(self._retry.attempts),
                    _RetryAfterBeyond(self._retry.max_retry_after_seconds),
                ),
                wait=self._backoff,
                retry=retry_if_exception(lambda exc: isinstance(exc, DeliveryError) and not exc.permanent),
                sleep=lambda seconds: self._sleep(seconds, wake_on_enqueue=False),
                reraise=True,
            ):
                with attempt:
                    attempts += 1
                    await self._send_paced(message)
        except DeliveryError as exc:
            if exc.permanent:
                log.error("%s message %d refused, set aside: %s", self.channel, message.id, exc)
                await asyncio.to_thread(
                    self._queue.mark_rejected, message.id, self._clock(), str(exc), attempts
                )
            else:
                hold = max(self._retry.hold_seconds, exc.retry_after or 0.0)
                log.warning(
                    "%s message %d not delivered after %d attempts (%s); kept, next try in %.0fs",
                    self.channel,
                    message.id,
                    attempts,
                    exc,
                    hold,
                )
                await asyncio.to_thread(
                    self._queue.defer, message.id, attempts, self._clock() + hold, str(exc)
                )
            return
        now = self._clock()
        await asyncio.to_thread(self._queue.mark_delivered, message.id, now, attempts)
        self._metrics.notifications.labels(self.channel).inc()
        self._metrics.delivery_latency.labels(self.channel).observe(max(0.0, now - message.received_at))

    async def _send_paced(self, message: QueuedMessage) -> None:
        await self._sleep(self._pacer.delay(time.monotonic()), wake_on_enqueue=False)
        self._pacer.record(time.monotonic())
        try:
            await self._sender.send(message.body)
        except DeliveryError as exc:
            self._metrics.notifications_failed.labels(self.channel, exc.reason).inc()
            if exc.retry_after is not None:
                self._pacer.pause_until(time.monotonic() + exc.retry_after)
            raise

    def _backoff(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, DeliveryError) and exc.retry_after is not None:
            return 0.0  # the pacer already holds the chat for retry_after
        exponential = self._retry.initial_backoff_seconds * 2 ** (state.attempt_number - 1)
        return float(min(self._retry.max_backoff_seconds, exponential))

    async def _sleep(self, seconds: float, wake_on_enqueue: bool) -> None:
        if self._stopping.is_set():
            raise ShutdownRequested
        if seconds <= 0:
            return
        event = self._wakeup if wake_on_enqueue else self._stopping
        try:
            await asyncio.wait_for(event.wait(), timeout=seconds)
        except TimeoutError:
            return
        if self._stopping.is_set():
            raise ShutdownRequested


class _RetryAfterBeyond(stop_base):
    """Ends the round when the platform asks for a wait longer than we hold a message in memory for."""

    def __init__(self, limit_seconds: float) -> None:
        self._limit = limit_seconds

    def __call__(self, retry_state: RetryCallState) -> bool:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        return (
            isinstance(exc, DeliveryError) and exc.retry_after is not None and exc.retry_after > self._limit
        )
