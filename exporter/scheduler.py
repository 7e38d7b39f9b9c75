"""Runs every poller on its own interval, turns results into snapshots, and isolates failures.

A failing poller sets its success to 0, lets its last-success timestamp age and logs one line
when its failure kind changes (not a traceback per poll); the other pollers carry on.
A poll has a deadline of `DEADLINE_INTERVALS` intervals, but never less than one request's own
timeout (a poll cannot be shorter than the request the configuration allows): a poll stuck on a
dripping body, a long 429 pause or a full budget fails instead of hanging. Its success is 0 from
the moment its data is withdrawn either way (see SnapshotStore.healthy).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from exporter.collectors.base import Poller
from exporter.exposition import render_families
from exporter.hyperliquid.errors import ParseError, UpstreamError
from exporter.redaction import redact_url
from exporter.store import PollerHealth, Snapshot, SnapshotStore

log = logging.getLogger(__name__)

DEADLINE_INTERVALS = 2.0


class PollDeadlineExceeded(Exception):
    """A whole poll took longer than its deadline and was cancelled."""


def poll_deadline(poller: Poller, shortest: float = 0.0) -> float:
    return max(DEADLINE_INTERVALS * poller.interval, shortest)


def data_max_age(poller: Poller, shortest_deadline: float = 0.0) -> float:
    """How long a poller's data stays published: its maximum age, but never less than one interval
    plus the poll's deadline. Below that, data was withdrawn while the poll that would refresh it was
    still within its deadline: with short intervals (a poll's deadline is at least one request's
    timeout) one slow answer on a busy host expired the data and paged, although nothing had failed."""
    return max(poller.max_age, poller.interval + poll_deadline(poller, shortest_deadline))


def failure_kind(exc: BaseException) -> tuple[str, str]:
    """(kind used to decide whether to log again, human message with URL credentials redacted)."""
    if isinstance(exc, UpstreamError):
        return exc.reason, redact_url(str(exc))
    if isinstance(exc, ParseError):
        return f"parse:{exc.path}", redact_url(str(exc))
    if isinstance(exc, PollDeadlineExceeded):
        return "deadline", str(exc)
    return type(exc).__name__, redact_url(f"{type(exc).__name__}: {exc}")


class Scheduler:
    def __init__(
        self, pollers: Sequence[Poller], store: SnapshotStore, shortest_deadline: float = 0.0
    ) -> None:
        self.pollers = list(pollers)
        self.store = store
        self._shortest_deadline = shortest_deadline
        for poller in self.pollers:
            store.register(
                PollerHealth(
                    name=poller.name,
                    collector=poller.collector,
                    interval=poller.interval,
                    max_age=data_max_age(poller, shortest_deadline),
                    planned_weight_per_minute=poller.planned_weight_per_minute,
                )
            )

    async def poll_once(self, poller: Poller) -> bool:
        health = self.store.health[poller.name]
        started = time.monotonic()
        deadline = poll_deadline(poller, self._shortest_deadline)
        try:
            try:
                async with asyncio.timeout(deadline):
                    families = await poller.poll()
            except TimeoutError as exc:
                message = f"poll did not finish within its deadline of {deadline:g} s"
                raise PollDeadlineExceeded(message) from exc
            # Rendering thousands of series takes milliseconds; off the event loop, a scrape that
            # arrives meanwhile is served between the renderer's GIL slices instead of after it.
            rendered = await asyncio.to_thread(render_families, families)
            snapshot = Snapshot(poller.name, self.store.clock(), rendered)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            kind, message = failure_kind(exc)
            if health.failure.failed(kind):
                unexpected = not isinstance(exc, UpstreamError | ParseError | PollDeadlineExceeded)
                log.warning(
                    "poller %s (collector %s) failed: %s%s",
                    poller.name,
                    poller.collector,
                    message,
                    "; repeats of this failure are logged at debug level" if not unexpected else "",
                    exc_info=unexpected,
                )
            else:
                log.debug("poller %s still failing: %s", poller.name, message)
            health.succeeded = False
            return False
        finally:
            health.attempted = True
            health.last_duration = time.monotonic() - started
            # A plan can change at run time (the builder dexes' allowance follows the streams).
            health.planned_weight_per_minute = poller.planned_weight_per_minute
        self.store.publish(snapshot)
        if health.failure.succeeded():
            log.info("poller %s (collector %s) recovered", poller.name, poller.collector)
        health.succeeded = True
        health.last_success = snapshot.observed_at
        return True

    async def _loop(self, poller: Poller) -> None:
        next_run = time.monotonic()
        while True:
            await self.poll_once(poller)
            next_run += poller.interval
            now = time.monotonic()
            if next_run < now:  # a slow poll (backoff, a 429 pause): skip the missed slots
                next_run = now + poller.interval - (now - next_run) % poller.interval
            await asyncio.sleep(next_run - now)

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for poller in self.pollers:
                group.create_task(self._loop(poller), name=f"poller-{poller.name}")
