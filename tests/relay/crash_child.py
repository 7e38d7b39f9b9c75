"""A relay that SIGKILLs itself at one commit point; run by test_faults as a child process.

    python -m tests.relay.crash_child API_URL QUEUE_PATH POINT BODY_JSON

POINT is where the process dies, on the first webhook it handles:
- `enqueued`: the webhook's messages are committed, the 2xx answer never leaves (Alertmanager retries).
- `sent`: the chat API accepted the message, its delivery is not recorded yet.
- `recorded`: the delivery is recorded, nothing after it ran.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

from exporter.relay.payload import parse_payload
from exporter.relay.queue import DurableQueue
from exporter.relay.service import RelayService
from tests.relay.harness import relay_config


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def install(point: str) -> None:
    original_enqueue = DurableQueue.enqueue
    original_delivered = DurableQueue.mark_delivered

    def enqueue_then_die(self: DurableQueue, *args: Any, **kwargs: Any) -> Any:
        original_enqueue(self, *args, **kwargs)
        die()

    def die_before_recording(self: DurableQueue, *args: Any, **kwargs: Any) -> None:
        die()

    def record_then_die(self: DurableQueue, *args: Any, **kwargs: Any) -> None:
        original_delivered(self, *args, **kwargs)
        die()

    if point == "enqueued":
        DurableQueue.enqueue = enqueue_then_die  # type: ignore[method-assign]
    elif point == "sent":
        DurableQueue.mark_delivered = die_before_recording  # type: ignore[method-assign]
    elif point == "recorded":
        DurableQueue.mark_delivered = record_then_die  # type: ignore[method-assign]
    else:
        raise SystemExit(f"unknown commit point {point!r}")


async def main(api_url: str, queue_path: str, point: str, body: str) -> None:
    install(point)
    service = RelayService(relay_config(api_url, queue_path, discord=None))
    await service.start()
    await service.accept("telegram", parse_payload(body.encode()))
    await asyncio.sleep(30)  # the worker sends and dies; never reached in a passing test
    raise SystemExit("the crash point was never reached")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
