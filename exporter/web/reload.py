"""Configuration reload, triggered by SIGHUP or `POST /-/reload`, one at a time.

Each step loads and validates its file first and changes nothing when that fails, so a broken edit
leaves the process running on its previous configuration (Prometheus' behaviour); the outcome is
logged and exposed as `*_config_last_reload_successful`. A reload that has not finished within
`timeout` seconds (waiting for an earlier one included) fails, so no file can hold the lock for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

log = logging.getLogger(__name__)

ReloadStep = Callable[[], Awaitable[None]]
DEFAULT_TIMEOUT_SECONDS = 30.0


class ReloadError(Exception):
    """A reload step refused the new configuration; the message says which file and why."""


class Reloader:
    def __init__(
        self,
        steps: Sequence[ReloadStep] = (),
        clock: Callable[[], float] = time.time,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.steps = list(steps)
        self.clock = clock
        self.timeout = timeout
        self.last_successful = True
        self.last_success_timestamp = clock()
        self._lock = asyncio.Lock()

    async def reload(self) -> None:
        """Run every step; raise ReloadError with every failure's message."""
        try:
            async with asyncio.timeout(self.timeout):
                await self._reload()
        except TimeoutError:
            self.last_successful = False
            message = f"did not finish within {self.timeout:g}s"
            log.error("configuration reload failed, keeping the previous one: %s", message)
            raise ReloadError(message) from None

    async def _reload(self) -> None:
        async with self._lock:
            errors: list[str] = []
            for step in self.steps:
                try:
                    await step()
                except ReloadError as exc:
                    errors.append(str(exc))
            self.last_successful = not errors
            if errors:
                log.error("configuration reload failed, keeping the previous one: %s", "; ".join(errors))
                raise ReloadError("; ".join(errors))
            self.last_success_timestamp = self.clock()
            log.info("configuration reloaded")

    async def reload_quietly(self) -> None:
        """For SIGHUP: the failure is already logged and exposed."""
        with contextlib.suppress(ReloadError):
            await self.reload()
