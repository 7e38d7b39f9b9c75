"""One WebSocket connection to Hyperliquid, kept alive: subscribe, heartbeat, detect stalls, reconnect.

Protocol (reference: Hyperliquid's WebSocket documentation):
- `{"method":"subscribe","subscription":{...}}` is acknowledged on channel `subscriptionResponse`;
  data then arrives as `{"channel": <type>, "data": ...}`; errors on channel `error`.
- `{"method":"ping"}` is answered on channel `pong`. The server drops connections silent for 60 s:
  a ping goes out every `ping_interval` seconds whatever the traffic (the official SDK pings every
  50 s); when no frame at all comes back within `pong_timeout` of a ping, the connection is stalled:
  it is closed and replaced.
- The first frame can be the plain text `Websocket connection established.`.
- Acknowledgements are matched on a subscription's identifying fields only (`type`, `user` in lower
  case, `coin`, a non-empty `dex`): the live server is reported to add fields to its echo
  (`"aggregateByTime": false`) and to drop an empty `dex`. A subscription's first data message
  counts as its acknowledgement when the echo never matches.
- Frames above `OFF_LOOP_BYTES` are parsed in a worker thread, so a 26 MB snapshot does not hold up
  scrapes; frames above `MAX_FRAME_BYTES` are refused (the library closes the connection with code
  1009 and it is replaced).
- Whatever a frame does to its handling (a RecursionError from `[` nested 100,000 deep, a bug in a
  feed), the exception stays in this connection: it is counted by kind, logged once per kind, and
  the connection is replaced. `run` ends only when cancelled.
A feed becomes live only once all its subscriptions on this connection are acknowledged and its
own start-of-session work (a REST backfill) is done; it stops being live when the connection ends.
A feed whose subscriptions change at run time sends them with `send` while connected; their
acknowledgements go to its `acknowledged_later(data)`, if it has one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import WebSocketException

from exporter.hyperliquid.errors import ParseError, UpstreamError
from exporter.streaming.pacing import Backoff, ConnectionRate
from exporter.streaming.stats import ConnectionStats, FeedStats

log = logging.getLogger(__name__)

ESTABLISHED_TEXT = "Websocket connection established."
PING = json.dumps({"method": "ping"})
# A userFills snapshot holds up to 2000 fills: well over the library's 1 MiB default.
MAX_FRAME_BYTES = 32 * 1024 * 1024
# Parsing 1 MiB of JSON takes about 10 ms; anything larger is parsed in a worker thread.
OFF_LOOP_BYTES = 1024 * 1024


class Stalled(Exception):
    """No frame came back after a ping within the pong timeout."""


class Resubscribe(Exception):
    """A feed needs a fresh start (a listing changed): end this connection and open another."""


class FrameFailed(Exception):
    """Handling a frame raised something no feed expects: the connection is replaced."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {str(cause)[:200]}")
        self.kind = type(cause).__name__


class Feed(Protocol):
    name: str
    channels: frozenset[str]
    stats: FeedStats

    def handle(self, channel: str, data: Any) -> None:
        """Take one data message; raise ParseError, ValueError, KeyError or TypeError if malformed."""

    def session_started(self) -> None:
        """A new connection: the feed is not live until `session_subscribed` completes."""

    async def session_subscribed(self) -> None:
        """Every subscription of the feed is acknowledged: backfill, then mark live."""

    def session_ended(self) -> None: ...


IDENTIFYING_FIELDS = ("user", "coin", "dex")


def subscription_key(subscription: dict[str, Any], kind: str | None = None) -> tuple[str, ...]:
    """What identifies a subscription in its acknowledgement (addresses compared in lower case; an
    empty `dex` is the first dex, the same as none; any other field is ignored). `kind` overrides
    `type`: a data message's channel, whose body carries the same identifying fields."""
    parts = [str(subscription.get("type") if kind is None else kind)]
    for name in IDENTIFYING_FIELDS:
        value = subscription.get(name)
        if value is None or (name == "dex" and value == ""):
            continue
        if not isinstance(value, str | int | float):
            continue
        parts.append(f"{name}={str(value).lower() if name == 'user' else value}")
    return tuple(parts)


class StreamConnection:
    def __init__(
        self,
        name: str,
        url: str,
        subscriptions: Callable[[], Awaitable[Sequence[tuple[Feed, dict[str, Any]]]]],
        stats: ConnectionStats,
        rate: ConnectionRate,
        backoff: Backoff,
        ping_interval: float,
        pong_timeout: float,
        connect_timeout: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.url = url
        self._subscriptions = subscriptions
        self.stats = stats
        self._rate = rate
        self._backoff = backoff
        self._ping_interval = ping_interval
        self._pong_timeout = pong_timeout
        self._connect_timeout = connect_timeout
        self._clock = clock
        self._logged_errors: set[str] = set()
        self._logged_failures: set[str] = set()
        self._socket: ClientConnection | None = None
        self._next_ping = 0.0
        self._ping_sent: float | None = None
        self._renewing: str | None = None

    async def send(self, message: dict[str, Any]) -> bool:
        """Send on the open connection (a subscription made at run time); False when there is none."""
        socket = self._socket
        if socket is None:
            return False
        try:
            await socket.send(json.dumps(message))
        except (OSError, WebSocketException):
            return False
        return True

    def _failed(self, kind: str, reason: str, exc: BaseException | None = None) -> None:
        """Count a failure of this connection's handling by kind; log the first of each kind in full."""
        self.stats.failures[kind] += 1
        if kind in self._logged_failures:
            log.debug("stream %s: %s again: %s", self.name, kind, reason)
            return
        self._logged_failures.add(kind)
        log.error(
            "stream %s: %s (%s); the connection is replaced, and further %s failures are logged at debug",
            self.name,
            kind,
            reason,
            kind,
            exc_info=exc,
        )

    async def renew(self, why: str) -> None:
        """End the open connection so that the next one subscribes what is planned now."""
        socket = self._socket
        if socket is None:
            return
        self._renewing = why
        await socket.close()

    async def run(self) -> None:
        """Connect, serve, reconnect, for ever (until cancelled)."""
        while True:
            await self._rate.acquire()
            reason = "closed by the server"
            self._renewing = None
            try:
                # Prepared before connecting: the market feed reads its REST starting point here.
                planned = list(await self._subscriptions())
                async with websockets.connect(
                    self.url,
                    ping_interval=None,  # Hyperliquid's heartbeat is its own ping message
                    open_timeout=self._connect_timeout,
                    max_size=MAX_FRAME_BYTES,
                    close_timeout=1.0,
                ) as connection:
                    if self.stats.connects:
                        self.stats.reconnects += 1
                    self.stats.connects += 1
                    self.stats.connected = True
                    log.info("stream %s connected to %s", self.name, self.url)
                    self._socket = connection
                    await self._session(connection, planned)
            except asyncio.CancelledError:
                raise
            except Resubscribe as exc:
                reason = f"resubscribing: {exc}"
            except Stalled:
                self.stats.stalls += 1
                reason = f"stalled: no frame within {self._pong_timeout:g} s of a ping"
            except FrameFailed as exc:
                reason = f"a frame's handling failed: {exc}"
                self._failed(exc.kind, reason, exc.__cause__)
            except (OSError, TimeoutError, WebSocketException, UpstreamError, ParseError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            except Exception as exc:  # anything else stays in this connection, which is replaced
                reason = f"{type(exc).__name__}: {str(exc)[:200]}"
                self._failed(type(exc).__name__, reason, exc)
            finally:
                self._socket = None
                self.stats.connected = False
            if self._renewing is not None:
                reason = f"renewed: {self._renewing}"
            delay = self._backoff.next_delay()
            log.warning("stream %s down (%s); reconnecting in %.1f s", self.name, reason, delay)
            await asyncio.sleep(delay)

    async def _subscribed(self, feed: Feed, connection: ClientConnection) -> None:
        """The feed's start-of-session work; if it fails, the connection is replaced."""
        try:
            await feed.session_subscribed()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._failed(type(exc).__name__, f"starting feed {feed.name} failed: {str(exc)[:200]}", exc)
            await connection.close(code=1011)

    async def _session(
        self, connection: ClientConnection, planned: list[tuple[Feed, dict[str, Any]]]
    ) -> None:
        feeds = list({id(feed): feed for feed, _ in planned}.values())
        pending: dict[tuple[str, ...], Feed] = {}
        for feed, subscription in planned:
            pending[subscription_key(subscription)] = feed
        tasks: list[asyncio.Task[None]] = []
        for feed in feeds:
            feed.session_started()
            feed.stats.acknowledged = 0
        loop = asyncio.get_running_loop()
        self._next_ping = loop.time() + self._ping_interval
        self._ping_sent = None
        try:
            for _, subscription in planned:
                await connection.send(json.dumps({"method": "subscribe", "subscription": subscription}))
            started = {id(feed) for feed in feeds if feed not in pending.values()}
            for feed in feeds:
                if id(feed) in started:
                    tasks.append(asyncio.create_task(self._subscribed(feed, connection)))
            while True:
                frame = await self._receive(connection)
                try:
                    acknowledged = await self._dispatch(frame, feeds, pending)
                except (asyncio.CancelledError, Resubscribe):
                    raise
                except Exception as exc:
                    raise FrameFailed(exc) from exc
                if acknowledged is None:
                    continue
                acknowledged.stats.acknowledged += 1
                if acknowledged not in pending.values() and id(acknowledged) not in started:
                    started.add(id(acknowledged))
                    tasks.append(asyncio.create_task(self._subscribed(acknowledged, connection)))
                    if not pending:
                        self._backoff.reset()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for feed in feeds:
                feed.session_ended()
                feed.stats.acknowledged = 0

    async def _receive(self, connection: ClientConnection) -> str | bytes:
        """The next frame; a ping goes out every `ping_interval` seconds meanwhile, whatever the
        traffic, and no frame at all within `pong_timeout` of a ping raises Stalled."""
        loop = asyncio.get_running_loop()
        while True:
            deadline = (
                self._ping_sent + self._pong_timeout if self._ping_sent is not None else self._next_ping
            )
            # asyncio.timeout_at, not wait_for: on Python 3.11 wait_for can swallow a cancellation
            # that arrives as a frame does, and the connection task would then never stop.
            try:
                async with asyncio.timeout_at(deadline):
                    frame = await connection.recv()
            except TimeoutError:
                if self._ping_sent is not None:
                    raise Stalled() from None
                now = loop.time()
                await connection.send(PING)
                self.stats.pings += 1
                self._ping_sent = now
                self._next_ping = now + self._ping_interval
                continue
            self._ping_sent = None  # any frame proves the connection alive
            return frame

    async def _decode(self, frame: str | bytes) -> Any:
        if len(frame) > OFF_LOOP_BYTES:
            return await asyncio.to_thread(json.loads, frame)
        return json.loads(frame)

    async def _dispatch(
        self, frame: str | bytes, feeds: list[Feed], pending: dict[tuple[str, ...], Feed]
    ) -> Feed | None:
        """Handle one frame; returns the feed whose subscription it acknowledges, if any."""
        if frame == ESTABLISHED_TEXT:
            return None
        try:
            message = await self._decode(frame)
            channel = message["channel"]
            if not isinstance(channel, str):
                raise TypeError("channel is not a string")
        except (ValueError, KeyError, TypeError):
            self.stats.malformed += 1
            log.debug("stream %s: malformed frame %.80r", self.name, frame)
            return None
        data = message.get("data")
        if channel == "pong":
            return None
        if channel == "subscriptionResponse":
            subscription = data.get("subscription") if isinstance(data, dict) else None
            if not isinstance(subscription, dict):
                self.stats.malformed += 1
                return None
            acknowledged = pending.pop(subscription_key(subscription), None)
            if acknowledged is None:
                for feed in feeds:
                    later = getattr(feed, "acknowledged_later", None)
                    if later is not None:
                        later(data)
            return acknowledged
        if channel == "error":
            self.stats.errors += 1
            text = str(data)[:200]
            if text not in self._logged_errors:
                self._logged_errors.add(text)
                log.warning("stream %s: error from the server: %s", self.name, text)
            return None
        for feed in feeds:
            if channel in feed.channels:
                feed.stats.messages += 1
                feed.stats.last_message = self._clock()
                # Data for a subscription whose echo never matched: it is live all the same.
                first = pending.pop(subscription_key(data, channel), None) if isinstance(data, dict) else None
                if first is not None:
                    self.stats.acknowledged_by_data += 1
                try:
                    feed.handle(channel, data)
                except (ParseError, ValueError, KeyError, TypeError) as exc:
                    feed.stats.malformed += 1
                    log.debug("stream %s: malformed %s message: %s", self.name, channel, exc)
                return first
        return None
