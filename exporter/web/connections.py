"""Bounds on HTTP connections that a client can hold without sending a request.

A connection has `header_timeout` seconds to deliver a request's headers, from when it opens and again
after each response (kept-alive); past that it is closed (slowloris: a header byte every few seconds).
A listener holds at most `max_connections`. At the limit a new connection makes room by closing a
connection that is waiting for request headers (idle or slow): the longest-waiting one of the client
address holding the most connections, so a client flooding the listener loses its own connections, not
Prometheus' one or two. When no connection is waiting, the new one is closed at once. Either way the
file-descriptor limit is never reached, so accept() keeps working and answering clients get in.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections import Counter, OrderedDict
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

DEFAULT_MAX_CONNECTIONS = 512
DEFAULT_HEADER_TIMEOUT_SECONDS = 10.0
# Descriptors kept for everything else: the queue database, upstream connections, logs, imports.
FD_RESERVE = 64
# How many connections asyncio accepts in one go before this guard sees any of them: the `backlog`
# given to the server (uvicorn's default, 2048, exceeds a 1,024 open-files limit by itself).
ACCEPT_BACKLOG = 128
# The kernel's queue of connections waiting for accept(), set again once serving: waiting connections
# hold no descriptor, and a queue of ACCEPT_BACKLOG overflowed when a slowloris pool reconnected at
# once (a dropped connection attempt is retried after a second).
LISTEN_QUEUE = 2048
MIN_CONNECTIONS = 16


def connection_budget(requested: int) -> int:
    """`requested`, lowered to fit the process' open-files limit.

    Besides the connections held, one accept batch (ACCEPT_BACKLOG) and as many connections closed but
    not yet released must fit, with FD_RESERVE to spare. Past the limit accept() fails (EMFILE) and
    asyncio's accept loop, which keeps trying the whole batch, turns every failure into a logged error."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return requested
    return max(MIN_CONNECTIONS, min(requested, soft - FD_RESERVE - 2 * ACCEPT_BACKLOG))


class ConnectionGuard:
    """Shared by the connections of one listener; counts what it closed, by reason."""

    def __init__(
        self,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT_SECONDS,
    ) -> None:
        self.max_connections = max_connections
        self.header_timeout = header_timeout
        self.open = 0
        self.closed: Counter[str] = Counter()  # limit, evicted, header_timeout
        self._open_by_client: Counter[str] = Counter()
        self._waiting: dict[str, OrderedDict[GuardedProtocol, None]] = {}

    def admit(self) -> bool:
        """Room for one more connection, made by closing a waiting one if needed (see the module doc)."""
        if self.open < self.max_connections:
            return True
        for client, _ in self._open_by_client.most_common():
            waiting = self._waiting.get(client)
            if waiting:
                oldest, _ = waiting.popitem(last=False)
                self.closed["evicted"] += 1
                oldest.drop()
                return True
        self.closed["limit"] += 1
        return False

    def opened(self, client: str) -> None:
        self.open += 1
        self._open_by_client[client] += 1

    def lost(self, client: str) -> None:
        self.open -= 1
        self._open_by_client[client] -= 1
        if self._open_by_client[client] <= 0:
            del self._open_by_client[client]

    def waiting(self, client: str, protocol: GuardedProtocol) -> None:
        self._waiting.setdefault(client, OrderedDict())[protocol] = None

    def not_waiting(self, client: str, protocol: GuardedProtocol) -> None:
        waiting = self._waiting.get(client)
        if waiting is not None:
            waiting.pop(protocol, None)
            if not waiting:
                del self._waiting[client]


class GuardedProtocol(H11Protocol):
    """uvicorn's h11 protocol under a ConnectionGuard; `guarded(base, guard)` makes the class to serve."""

    guard: ConnectionGuard

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._counted = False
        self._peer = ""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        peer = transport.get_extra_info("peername")
        self._peer = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        admitted = self.guard.admit()
        super().connection_made(transport)
        if not admitted:
            self.transport.close()
            return
        self._counted = True
        self.guard.opened(self._peer)
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        if self._counted:
            self._counted = False
            self.guard.lost(self._peer)
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self._deadline is not None and self.conn.their_state is not h11.IDLE:
            self._stop_waiting()  # a request's headers arrived

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE and self._deadline is None:
            self._await_headers()

    def _await_headers(self) -> None:
        self.guard.waiting(self._peer, self)
        self._deadline = self.loop.call_later(self.guard.header_timeout, self._headers_too_late)

    def _stop_waiting(self) -> None:
        self.guard.not_waiting(self._peer, self)
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _headers_too_late(self) -> None:
        self._deadline = None
        self.guard.not_waiting(self._peer, self)
        self.guard.closed["header_timeout"] += 1
        self.drop()

    def drop(self) -> None:
        """Close a connection that has no request in progress."""
        self._stop_waiting()
        if not self.transport.is_closing():
            self.transport.close()


def guarded(base: type[H11Protocol], guard: ConnectionGuard) -> type[H11Protocol]:
    """`base` (uvicorn's h11 protocol or a subclass) under `guard`."""
    return type(f"Guarded{base.__name__}", (GuardedProtocol, base), {"guard": guard})
