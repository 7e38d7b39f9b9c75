"""accept() failures (out of file descriptors, say) logged once per interval with a count, not per call.

asyncio reports every failed accept through the loop's exception handler with a traceback; under a
connection flood that is a traceback per attempt (tens of megabytes a minute) and the logging itself
competes with serving. Other loop errors go to the previous handler unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_SECONDS = 60.0


def _is_accept_error(context: dict[str, Any]) -> bool:
    """asyncio's own report of a failed accept(), an error its accept loop raised, or one of the
    retries it schedules per failure (which fail again once the server has closed the socket)."""
    if "accept" in str(context.get("message", "")):
        return True
    handle = context.get("handle")
    return handle is not None and any(
        name in repr(handle) for name in ("_accept_connection", "_start_serving")
    )


class AcceptErrorLog:
    def __init__(
        self, interval: float = DEFAULT_INTERVAL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.total = 0
        self._unlogged = 0
        self._last_logged: float | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        previous = loop.get_exception_handler()

        def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            if _is_accept_error(context):
                self.record(context.get("exception"))
            elif previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)

        loop.set_exception_handler(handler)

    def record(self, exc: BaseException | None) -> None:
        self.total += 1
        self._unlogged += 1
        now = self.clock()
        if self._last_logged is not None and now - self._last_logged < self.interval:
            return
        log.error(
            "accepting connections failed %d time(s) since the last report: %s "
            "(see --web.max-connections and the open-files limit)",
            self._unlogged,
            exc,
        )
        self._unlogged = 0
        self._last_logged = now
