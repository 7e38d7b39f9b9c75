"""Bounds on HTTP connections that a client can hold without sending a request.

A connection has `header_timeout` seconds to deliver a request's headers, from when it opens and again
after each response (kept-alive); past that it is closed (slowloris: a header byte every few seconds).
A listener holds at most `max_connections`: at the limit a new connection closes the one that has been
waiting longest for request headers (an idle or slow client), or, when every connection is busy with a
request, is itself closed at once. Either way the file-descriptor limit is never reached, so accept()
keeps working and answering clients get in.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, OrderedDict
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

DEFAULT_MAX_CONNECTIONS = 512
DEFAULT_HEADER_TIMEOUT_SECONDS = 10.0


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
        self._waiting: OrderedDict[GuardedProtocol, None] = OrderedDict()

    def admit(self) -> bool:
        """Room for one more connection, made by closing the longest-waiting one if needed."""
        if self.open < self.max_connections:
            return True
        if self._waiting:
            oldest, _ = self._waiting.popitem(last=False)
            self.closed["evicted"] += 1
            oldest.drop()
            return True
        self.closed["limit"] += 1
        return False

    def waiting(self, protocol: GuardedProtocol) -> None:
        self._waiting[protocol] = None
        self._waiting.move_to_end(protocol)

    def not_waiting(self, protocol: GuardedProtocol) -> None:
        self._waiting.pop(protocol, None)


class GuardedProtocol(H11Protocol):
    """uvicorn's h11 protocol under a ConnectionGuard; `guarded(base, guard)` makes the class to serve."""

    guard: ConnectionGuard

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._counted = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        admitted = self.guard.admit()
        super().connection_made(transport)
        if not admitted:
            self.transport.close()
            return
        self._counted = True
        self.guard.open += 1
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        if self._counted:
            self._counted = False
            self.guard.open -= 1
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
        self.guard.waiting(self)
        self._deadline = self.loop.call_later(self.guard.header_timeout, self._headers_too_late)

    def _stop_waiting(self) -> None:
        self.guard.not_waiting(self)
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _headers_too_late(self) -> None:
        self._deadline = None
        self.guard.not_waiting(self)
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
