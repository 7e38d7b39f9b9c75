"""The worker that drains one channel's queue: paced, retried within a bound, deferred rather than dropped."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, stop_any
from tenacity.stop import stop_base

from exporter.relay.config import RetryConfig
from exporter.relay.errors import DeliveryError
from exporter.relay.late import mark_late
from exporter.relay.metrics import RelayMetrics
from exporter.relay.pacing import Pacer
from exporter.relay.queue import DurableQueue, QueuedMessage

log = logging.getLogger(__name__)
IDLE_POLL_SECONDS = 5.0


class Sender(Protocol):
    async def send(self, body: dict[str, Any]) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class _Outcome:
    state: str
    message_id: int
    write: Callable[[], None]


class _NoLongerPending(Exception):
    """The message was superseded while it waited for the pacer; it is not sent."""


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
        late_after_seconds: float = float("inf"),
        monotonic: Callable[[], float] = time.monotonic,
        speed: float = 1.0,
    ) -> None:
        """`clock` and `monotonic` may run `speed` times faster than real time (fault tests fast-forward
        hours of outage that way); every wait is then shortened by the same factor."""
        self.channel = channel
        self._queue = queue
        self._sender = sender
        self._pacer = pacer
        self._retry = retry
        self._metrics = metrics
        self._clock = clock
        self._monotonic = monotonic
        self._speed = speed
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._late_after = late_after_seconds
        self._unrecorded: _Outcome | None = None

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
                if self._unrecorded is not None:
                    await self._sleep(self._retry.hold_seconds, wake_on_enqueue=False)
                    await self._record(self._unrecorded)
                    continue
                now = self._clock()
                upcoming = await asyncio.to_thread(self._queue.next_due, self.channel, now)
                if upcoming.message is not None:
                    await self._deliver(upcoming.message)
                    continue
                wait = IDLE_POLL_SECONDS
                if upcoming.due_at is not None:
                    wait = min(wait, max(0.0, upcoming.due_at - now))
                await self._sleep(wait, wake_on_enqueue=True)  # a new message may be due before then
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
        age = self._clock() - message.received_at
        late = age > self._late_after
        body = mark_late(self.channel, message.body, age) if late else message.body
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
                    await self._send_paced(message.id, body, retry=attempts > 1)
        except _NoLongerPending:
            log.debug("%s message %d superseded while it waited its turn; not sent", self.channel, message.id)
            return
        except DeliveryError as exc:
            if exc.permanent:
                log.error("%s message %d refused, set aside: %s", self.channel, message.id, exc)
                self._metrics.messages_set_aside.labels(self.channel).inc()
                await self._record(
                    _Outcome(
                        "rejected",
                        message.id,
                        partial(self._queue.mark_rejected, message.id, self._clock(), str(exc), attempts),
                    )
                )
            else:
                # Failures that outlast a round (platform down, bad token) are the channel's, not the
                # message's: the whole channel rests for hold_seconds instead of trying message after message.
                hold = self._retry.hold_seconds
                self._pacer.pause_until(self._monotonic() + hold)
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
        self._metrics.notifications.labels(self.channel).inc()
        self._metrics.delivery_latency.labels(self.channel).observe(max(0.0, now - message.received_at))
        if late:
            self._metrics.notifications_late.labels(self.channel).inc()
        await self._record(
            _Outcome("delivered", message.id, partial(self._queue.mark_delivered, message.id, now, attempts))
        )

    async def _record(self, outcome: _Outcome) -> None:
        """Write a send's outcome; until that succeeds the channel sends nothing, so nothing is resent."""
        try:
            await asyncio.to_thread(outcome.write)
        except (sqlite3.Error, OSError) as exc:
            self._metrics.record_failures.labels(self.channel).inc()
            self._metrics.delivery_stalled.labels(self.channel).set(1)
            log.error(
                "%s message %d was %s but that could not be recorded in the queue (%s: %s); "
                "sending on this channel is stopped until it can be, retrying every %.0fs",
                self.channel,
                outcome.message_id,
                outcome.state,
                type(exc).__name__,
                exc,
                self._retry.hold_seconds,
            )
            self._unrecorded = outcome
            return
        if self._unrecorded is not None:
            log.info(
                "%s message %d recorded as %s; sending resumes",
                self.channel,
                outcome.message_id,
                outcome.state,
            )
        self._unrecorded = None
        self._metrics.delivery_stalled.labels(self.channel).set(0)

    async def _send_paced(self, message_id: int, body: dict[str, Any], retry: bool) -> None:
        delay = self._pacer.delay(self._monotonic())
        if delay > 0:
            await self._sleep(delay, wake_on_enqueue=False)
        # A newer state of the group may have arrived while this one waited its turn or its retry.
        if (delay > 0 or retry) and not await asyncio.to_thread(self._queue.is_pending, message_id):
            raise _NoLongerPending
        self._pacer.record(self._monotonic())
        try:
            await self._sender.send(body)
        except DeliveryError as exc:
            self._metrics.notifications_failed.labels(self.channel, exc.reason).inc()
            if exc.retry_after is not None:
                # Capped: one absurd retry_after must not silence the channel.
                pause = min(exc.retry_after, self._retry.max_retry_after_seconds)
                self._pacer.pause_until(self._monotonic() + pause)
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
            await asyncio.wait_for(event.wait(), timeout=seconds / self._speed)
        except TimeoutError:
            return
        if self._stopping.is_set():
            raise ShutdownRequested


class _RetryAfterBeyond(stop_base):
    """Ends the round when the platform asks for a wait longer than the cap; the message waits a round."""

    def __init__(self, limit_seconds: float) -> None:
        self._limit = limit_seconds

    def __call__(self, retry_state: RetryCallState) -> bool:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        return (
            isinstance(exc, DeliveryError) and exc.retry_after is not None and exc.retry_after > self._limit
        )
