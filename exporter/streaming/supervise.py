"""Long-running tasks that never end quietly: one that returns or raises is logged, counted and restarted.

The streams' tasks run side by side in one task group; without this, one task raising would cancel
every other one, and one returning would leave its work undone with nothing in the logs.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

RESTART_DELAY_SECONDS = 1.0
MAX_RESTART_DELAY_SECONDS = 30.0


async def supervised(
    name: str,
    run: Callable[[], Awaitable[None]],
    restarts: Counter[str],
    delay: float = RESTART_DELAY_SECONDS,
    max_delay: float = MAX_RESTART_DELAY_SECONDS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Run `run()` for ever: restarted after it ends, sooner the longer it ran (doubling delays,
    reset by a run that lasted longer than `max_delay`). Ends only when cancelled."""
    loop = asyncio.get_running_loop()
    wait = delay
    while True:
        started = loop.time()
        try:
            await run()
            log.error("task %s ended; restarting in %.1f s", name, wait)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("task %s failed; restarting in %.1f s", name, wait)
        restarts[name] += 1
        if loop.time() - started > max_delay:
            wait = delay
        await sleep(wait)
        wait = min(max_delay, wait * 2)
