"""bcrypt checks that a flood of wrong passwords cannot turn into a denial of service.

A check costs tens of milliseconds of CPU by design, so the checks run on a thread of their own at a
lower priority (asyncio's default pool also runs the relay's SQLite queue and the exporter's
rendering), at most
`max_waiting` of them are running or queued at once (more are refused, to be retried later), and
credentials that passed are remembered in a bounded LRU keyed by a keyed digest of (user, password,
stored hash): wrong guesses are never remembered, so they cannot push a scraper's entry out.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import os
import threading
from collections import Counter, OrderedDict
from concurrent.futures import ThreadPoolExecutor

import bcrypt

# One thread: bcrypt releases the GIL, so two checks at once would take both cores of a small host
# away from the event loop that serves scrapes and webhooks.
DEFAULT_WORKERS = 1
# The checking thread runs at a lower priority than the rest of the process (Linux: per thread).
WORKER_NICENESS = 10
DEFAULT_MAX_WAITING = 8
DEFAULT_CACHE_SIZE = 1024


class ChecksBusy(Exception):
    """`max_waiting` checks are already running or queued."""


def _lower_priority() -> None:
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)


@functools.cache
def _dummy_hash() -> bytes:
    """Checked against for unknown users, so that timing does not tell whether a user exists."""
    return bcrypt.hashpw(b"dummy password", bcrypt.gensalt(rounds=10))


class VerifiedCache:
    """Digests of credentials that passed, least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[bytes, None] = OrderedDict()

    def __contains__(self, digest: object) -> bool:
        if digest not in self._entries:
            return False
        self._entries.move_to_end(digest)  # type: ignore[arg-type]
        return True

    def add(self, digest: bytes) -> None:
        self._entries[digest] = None
        self._entries.move_to_end(digest)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class PasswordChecker:
    def __init__(
        self,
        workers: int = DEFAULT_WORKERS,
        max_waiting: int = DEFAULT_MAX_WAITING,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self._key = os.urandom(32)
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="bcrypt", initializer=_lower_priority
        )
        self.max_waiting = max_waiting
        self.waiting = 0
        self.refused: Counter[str] = Counter()  # rate_limited, busy: counted by the auth middleware
        self.verified = VerifiedCache(cache_size)

    def _digest(self, user: str, password: str, hashed: bytes) -> bytes:
        message = b"\0".join((user.encode(), password.encode(), hashed))
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def cached(self, hashed: bytes | None, user: str, password: str) -> bool:
        """True when these credentials passed before against the same stored hash (no bcrypt)."""
        return hashed is not None and self._digest(user, password, hashed) in self.verified

    async def check(self, hashed: bytes | None, user: str, password: str) -> bool:
        """bcrypt against `hashed` (a dummy hash when the user is unknown); raises ChecksBusy when full."""
        if self.waiting >= self.max_waiting:
            raise ChecksBusy
        self.waiting += 1
        try:
            loop = asyncio.get_running_loop()
            stored = hashed if hashed is not None else await loop.run_in_executor(self._pool, _dummy_hash)
            matched = await loop.run_in_executor(self._pool, bcrypt.checkpw, password.encode(), stored)
        finally:
            self.waiting -= 1
        if hashed is None or not matched:
            return False
        self.verified.add(self._digest(user, password, hashed))
        return True

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
