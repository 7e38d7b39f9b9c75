"""Per-client budget of password checks: a token bucket per client address, bounded in clients tracked.

Every check that has to run bcrypt takes a token and a check that passes gives it back, so a client
that keeps guessing is refused (429) once its burst is spent, at `refill_per_second` guesses a second,
while credentials already verified never need a token.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

DEFAULT_BURST = 10.0
DEFAULT_REFILL_PER_SECOND = 1.0
DEFAULT_MAX_CLIENTS = 4096


class FailureLimiter:
    def __init__(
        self,
        burst: float = DEFAULT_BURST,
        refill_per_second: float = DEFAULT_REFILL_PER_SECOND,
        max_clients: int = DEFAULT_MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.refill_per_second = refill_per_second
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, at)

    def _tokens(self, client: str) -> float:
        tokens, at = self._buckets.get(client, (self.burst, self.clock()))
        return min(self.burst, tokens + (self.clock() - at) * self.refill_per_second)

    def _store(self, client: str, tokens: float) -> None:
        self._buckets[client] = (tokens, self.clock())
        self._buckets.move_to_end(client)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)

    def take(self, client: str) -> float:
        """0 when a check may run now (a token was taken); else the seconds until the next token."""
        tokens = self._tokens(client)
        if tokens >= 1:
            self._store(client, tokens - 1)
            return 0.0
        return (1 - tokens) / self.refill_per_second

    def give_back(self, client: str) -> None:
        self._store(client, min(self.burst, self._tokens(client) + 1))


def retry_after(seconds: float) -> str:
    """A `Retry-After` value: whole seconds, at least one."""
    return str(max(1, math.ceil(seconds)))
