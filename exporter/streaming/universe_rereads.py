"""Re-reading a perp universe when a push shows a market's open interest fall to zero.

`assetCtxs` pushes carry contexts only, never the universe (delisting, margin mode, leverage): that
comes from a REST `metaAndAssetCtxs` (weight 20). A delisting settles every position in the same
action, so an open interest falling to zero is the cue to read the universe at once instead of at the
next reconciliation. Used by the first dex's market feed and by the builder dexes' feed (one key each).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from exporter.hyperliquid.errors import ParseError, UpstreamError

log = logging.getLogger(__name__)

# Between two re-reads of one universe that pushes asked for.
UNIVERSE_REREAD_MIN_GAP_SECONDS = 10.0


def _open_interest(ctx: Any) -> float | None:
    try:
        return float(ctx["openInterest"])
    except (KeyError, TypeError, ValueError):
        return None


def open_interest_emptied(before: Any, after: Any) -> bool:
    """The market's open interest fell from something to zero between two contexts."""
    old, new = _open_interest(before), _open_interest(after)
    return old is not None and new is not None and old > 0 and new == 0


def any_emptied(before: Sequence[Any], after: Sequence[Any]) -> bool:
    """Two pushes of the same universe (same length), position by position."""
    return len(before) == len(after) and any(map(open_interest_emptied, before, after))


class UniverseRereads:
    """At most one re-read in flight per universe, and one every UNIVERSE_REREAD_MIN_GAP_SECONDS."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._last: dict[str, float] = {}
        self.done = 0  # re-reads that succeeded

    def start(self, key: str, reread: Callable[[], Awaitable[object]], then: Callable[[], None]) -> bool:
        """Start `reread` for the universe `key` unless one is running or ran too recently; `then`
        runs after it succeeds. Returns whether it started."""
        now = self._clock()
        running = key in self._tasks and not self._tasks[key].done()
        if (
            running
            or now - self._last.get(key, -UNIVERSE_REREAD_MIN_GAP_SECONDS) < UNIVERSE_REREAD_MIN_GAP_SECONDS
        ):
            return False
        self._last[key] = now
        self._tasks[key] = asyncio.create_task(self._run(key, reread, then), name=f"universe-reread-{key}")
        return True

    async def _run(self, key: str, reread: Callable[[], Awaitable[object]], then: Callable[[], None]) -> None:
        where = f"dex {key}" if key else "the first dex"
        try:
            await reread()
        except (UpstreamError, ParseError) as exc:
            log.warning(
                "re-reading the perp universe of %s after an open interest fell to zero failed: %s",
                where,
                exc,
            )
            return
        except Exception:  # a one-off task: nothing else would ever see what it raised
            log.exception("re-reading the perp universe of %s failed", where)
            return
        self.done += 1
        then()

    def cancel(self) -> None:
        """The connection ended: the next one reads every universe anyway."""
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()
